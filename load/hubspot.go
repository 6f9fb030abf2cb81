package load

import (
	"context"
	"fmt"
	"strings"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/seed"
)

// HubSpotTarget writes changes with batch update, at most Batch per call.
type HubSpotTarget struct {
	Client *hubspot.Client
	Batch  int
}

func (t *HubSpotTarget) System() string { return seed.HubSpot }

func (t *HubSpotTarget) BatchSize() int {
	if t.Batch <= 0 || t.Batch > 100 {
		return 100
	}
	return t.Batch
}

// groupOf is the property group crmhub's own properties go in.
var groupOf = map[string]string{"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation"}

// Prepare creates crmhub's own properties (crmhub_*) when missing; any other
// missing property is a mapping mistake and stops the load.
func (t *HubSpotTarget) Prepare(ctx context.Context, fieldsByObject map[string][]string) error {
	for obj, fields := range fieldsByObject {
		props, err := t.Client.Properties(ctx, obj)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, p := range props {
			have[p.Name] = true
		}
		for _, f := range fields {
			if have[f] {
				continue
			}
			if !strings.HasPrefix(f, "crmhub_") {
				return fmt.Errorf("hubspot %s has no property %q that the field map writes", obj, f)
			}
			_, err := t.Client.CreateProperty(ctx, obj, hubspot.Property{Name: f, Label: propertyLabel(f),
				Type: "string", FieldType: "text", GroupName: groupOf[obj],
				Description: "Written by crmhub: the id of this record's counterpart in the other CRM."})
			if err != nil {
				return fmt.Errorf("create hubspot property %s.%s: %w", obj, f, err)
			}
		}
	}
	return nil
}

func propertyLabel(name string) string {
	if name == "crmhub_salesforce_id" {
		return "Salesforce ID (crmhub)"
	}
	return name
}

// Apply sends one batch update; per-record failures of a 207 answer come
// back as RecordErrors.
func (t *HubSpotTarget) Apply(ctx context.Context, object string, batch []Change) ([]RecordError, error) {
	inputs := make([]hubspot.BatchInput, len(batch))
	for i, c := range batch {
		inputs[i] = hubspot.BatchInput{ID: c.RecordID, Properties: c.Values}
	}
	res, err := t.Client.BatchUpdate(ctx, object, inputs)
	if err != nil {
		return nil, err
	}
	var out []RecordError
	for _, e := range res.Errors {
		ids := e.IDs
		if len(ids) == 0 {
			ids = []string{""}
		}
		for _, id := range ids {
			out = append(out, RecordError{System: seed.HubSpot, Object: object, RecordID: id, Code: e.Category, Message: e.Message})
		}
	}
	return out, nil
}
