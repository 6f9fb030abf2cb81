package load

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/seed"
)

// HubSpotTarget writes changes with batch update, at most Batch per call.
type HubSpotTarget struct {
	Client *hubspot.Client
	Batch  int
	// Workers is the most batch calls in flight at once; 0 means
	// DefaultWorkers. HubSpot limits requests per ten seconds (the client's
	// limiter keeps to it), not requests in flight.
	Workers int
	specs   map[string]map[string]fieldSpec // object -> property -> what it accepts
	// noUpsert: objects whose golden id property exists without
	// hasUniqueValue (made by hand, or a portal restored from records):
	// HubSpot refuses an upsert keyed on it, so creates are plain creates
	noUpsert map[string]bool
}

func (t *HubSpotTarget) System() string { return seed.HubSpot }

func (t *HubSpotTarget) BatchSize() int {
	if t.Batch <= 0 || t.Batch > 100 {
		return 100
	}
	return t.Batch
}

// DefaultWorkers is how many write calls a CRM target has in flight when
// its Workers is 0: one, and the CRMs one after the other. Pipelines set
// Workers (load.hubspot_workers, load.salesforce_workers; 4 by default).
// Several calls in flight change the order in which the CRM stamps the
// records' modification times; the golden rules compare no time a CRM
// stamps on crmhub's writes (field_winners), so the next night does not
// depend on it (TestLoadOrderDoesNotMatter).
const DefaultWorkers = 1

func (t *HubSpotTarget) Concurrency() int { return cmp.Or(t.Workers, DefaultWorkers) }

// groupOf is the property group crmhub's own properties go in.
var groupOf = map[string]string{"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation"}

// Merger is the HubSpot merge call (POST /crm/v3/objects/{type}/merge):
// it answers the merged record, whose id may be new (HubSpot today gives
// the result a new id and lists the old ones in hs_merged_object_ids).
type Merger interface {
	Merge(ctx context.Context, object, primaryID, mergeID string) (hubspot.Object, error)
}

// The client must keep offering the merge call: an earlier Merger with
// another signature went unmet and every merge was reported unsupported.
var _ Merger = (*hubspot.Client)(nil)

// Prepare creates crmhub's own properties (crmhub_*) when missing, the golden
// id one with hasUniqueValue so creates upsert on it; any other missing
// property is a mapping mistake and stops the load. It keeps each written
// property's type, options and length for checking values before the call.
func (t *HubSpotTarget) Prepare(ctx context.Context, fieldsByObject map[string][]string) error {
	t.specs = map[string]map[string]fieldSpec{}
	t.noUpsert = map[string]bool{}
	for obj, fields := range fieldsByObject {
		props, err := t.Client.Properties(ctx, obj)
		if err != nil {
			return err
		}
		have := map[string]hubspot.Property{}
		for _, p := range props {
			have[p.Name] = p
		}
		specs := map[string]fieldSpec{}
		for _, f := range fields {
			p, ok := have[f]
			if !ok {
				if !strings.HasPrefix(f, "crmhub_") {
					return fmt.Errorf("hubspot %s has no property %q that the field map writes", obj, f)
				}
				p = hubspot.Property{Name: f, Label: propertyLabel(f), Type: "string", FieldType: "text", GroupName: groupOf[obj],
					HasUniqueValue: f == GoldenIDProperty,
					Description:    "Written by crmhub: " + propertyLabel(f) + "."}
				if _, err := t.Client.CreateProperty(ctx, obj, p); err != nil {
					return fmt.Errorf("create hubspot property %s.%s: %w", obj, f, err)
				}
			}
			if f == GoldenIDProperty && !p.HasUniqueValue {
				// HubSpot sets hasUniqueValue only when a property is created
				t.noUpsert[obj] = true
				slog.Warn("hubspot golden id property has no unique values: creates use batch create, a retried batch may duplicate",
					"object", obj, "property", f)
			}
			specs[f] = hubspotSpec(f, p)
		}
		t.specs[obj] = specs
	}
	return nil
}

// GoldenIDProperty is the unique HubSpot property creates upsert on.
const GoldenIDProperty = "crmhub_golden_id"

func hubspotSpec(name string, p hubspot.Property) fieldSpec {
	s := fieldSpec{Type: "string", Length: 65536}
	switch {
	case name == "email" || p.FieldType == "email":
		s.Type = "email"
	case p.Type == "number":
		s.Type = "number"
	case p.Type == "date":
		s.Type = "date"
	case p.Type == "bool":
		s.Type = "bool"
	case p.Type == "enumeration" && len(p.Options) > 0:
		s.Options = map[string]bool{}
		for _, o := range p.Options {
			s.Options[o.Value] = true
		}
	}
	return s
}

func propertyLabel(name string) string {
	switch name {
	case "crmhub_salesforce_id":
		return "Salesforce ID (crmhub)"
	case GoldenIDProperty:
		return "Golden ID (crmhub)"
	}
	return name
}

// Apply sends one batch: update by id, create as upsert keyed on the golden
// id (a batch retried after a timeout finds the records it created), archive,
// or merge. Values HubSpot would refuse are held back and reported;
// per-record failures of a 207 answer come back as RecordErrors.
func (t *HubSpotTarget) Apply(ctx context.Context, object string, batch []Change) ([]RecordError, error) {
	kind := kindOf(batch[0])
	if kind == KindMerge {
		return t.merge(ctx, object, batch)
	}
	send, out := batch, []RecordError(nil)
	if kind != KindArchive {
		send, out = screen(seed.HubSpot, object, batch, t.specs[object])
	}
	if len(send) == 0 {
		return out, nil
	}
	var res *hubspot.BatchResult
	var err error
	switch kind {
	case KindArchive:
		ids := make([]string, len(send))
		for i, c := range send {
			ids[i] = c.RecordID
		}
		res, err = t.Client.BatchArchive(ctx, object, ids)
	case KindCreate:
		inputs := make([]hubspot.BatchInput, len(send))
		for i, c := range send {
			if t.noUpsert[object] {
				inputs[i] = hubspot.BatchInput{Properties: c.Values}
				continue
			}
			props := make(map[string]string, len(c.Values))
			for k, v := range c.Values {
				if k != GoldenIDProperty {
					props[k] = v
				}
			}
			inputs[i] = hubspot.BatchInput{ID: c.Values[GoldenIDProperty], IDProperty: GoldenIDProperty, Properties: props}
		}
		if t.noUpsert[object] {
			res, err = t.Client.BatchCreate(ctx, object, inputs)
		} else {
			res, err = t.Client.BatchUpsert(ctx, object, inputs)
		}
	default:
		inputs := make([]hubspot.BatchInput, len(send))
		for i, c := range send {
			inputs[i] = hubspot.BatchInput{ID: c.RecordID, Properties: c.Values}
		}
		res, err = t.Client.BatchUpdate(ctx, object, inputs)
	}
	if err != nil {
		return nil, err
	}
	if kind == KindCreate {
		byGolden := map[string]string{}
		for _, r := range res.Results {
			if v, ok := r.Value(GoldenIDProperty); ok {
				byGolden[v] = r.ID
			}
		}
		for i := range batch {
			if id, ok := byGolden[batch[i].Values[GoldenIDProperty]]; ok {
				batch[i].CreatedID = id
			}
		}
	}
	for _, e := range res.Errors {
		ids := e.IDs
		if len(ids) == 0 {
			ids = []string{""}
		}
		for _, id := range ids {
			if kind == KindCreate { // errors name the golden id the input carried
				id = "new:" + id
			}
			out = append(out, RecordError{System: seed.HubSpot, Object: object, RecordID: id, Code: e.Category, Message: e.Message})
		}
	}
	return out, nil
}

// merge merges each duplicate into its primary record; one call per pair,
// as the API takes them. When a merge gives the result a new id, later
// merges into the same primary name the new id.
func (t *HubSpotTarget) merge(ctx context.Context, object string, batch []Change) ([]RecordError, error) {
	var out []RecordError
	became := map[string]string{} // primary id -> id of the merged record
	for _, c := range batch {
		primary := c.Values["_merge_into"]
		if id, ok := became[primary]; ok {
			primary = id
		}
		res, err := t.Client.Merge(ctx, object, primary, c.RecordID)
		if err != nil {
			out = append(out, RecordError{System: seed.HubSpot, Object: object, RecordID: c.RecordID, Code: "MERGE_FAILED", Message: err.Error()})
			continue
		}
		if res.ID != "" {
			became[c.Values["_merge_into"]] = res.ID
		}
	}
	return out, nil
}
