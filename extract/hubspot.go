package extract

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/seed"
)

// HubSpotSource reads one HubSpot object type through the CRM v3 API.
type HubSpotSource struct {
	Client *hubspot.Client
	Obj    string // contacts, companies, deals
}

func (s HubSpotSource) System() string { return seed.HubSpot }
func (s HubSpotSource) Object() string { return s.Obj }

// Calls reports the client's call counters.
func (s HubSpotSource) Calls() map[string]CallStats {
	out := map[string]CallStats{}
	for k, v := range s.Client.Calls() {
		out[k] = CallStats{Calls: v.Calls, Errors: v.Errors, Retries: v.Retries, Latency: v.Latency, Status: v.Status}
	}
	return out
}

// Schema lists every property, custom ones included, typed from the
// properties API.
func (s HubSpotSource) Schema(ctx context.Context) ([]Column, error) {
	props, err := s.Client.Properties(ctx, s.Obj)
	if err != nil {
		return nil, err
	}
	out := make([]Column, 0, len(props))
	for _, p := range props {
		out = append(out, Column{Name: p.Name, Type: HubSpotType(p.Type), APIType: p.Type})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// assocTargets are the object types whose associations are landed:
// contacts and deals to companies, deals also to contacts.
func (s HubSpotSource) assocTargets() []string {
	switch s.Obj {
	case "contacts":
		return []string{"companies"}
	case "deals":
		return []string{"companies", "contacts"}
	}
	return nil
}

// ReadAll lists live records with their associations, then archived ones.
func (s HubSpotSource) ReadAll(ctx context.Context, cols []Column, out Sink) error {
	opts := hubspot.ListOptions{Properties: columnNames(cols), PageSize: 100, Associations: s.assocTargets()}
	page := 0
	emit := func(objs []hubspot.Object) error {
		page++
		rows, err := s.rows(ctx, objs, nil, "list", page)
		if err != nil {
			return err
		}
		return out.Write(rows)
	}
	if err := s.Client.List(ctx, s.Obj, opts, emit); err != nil {
		return err
	}
	opts.Archived, opts.Associations, page = true, nil, 0
	return s.Client.List(ctx, s.Obj, opts, func(objs []hubspot.Object) error {
		page++
		rows, err := s.rows(ctx, objs, map[string]map[string][]string{}, "archived list", page)
		if err != nil {
			return err
		}
		return out.Write(rows)
	})
}

// ReadSince reads the records modified (or archived) at or after since.
// Usually it searches on the last-modified property (past the 10,000-result
// cap, see hubspot.Client.ScanModified) and reads the found records'
// associations in one batch per page and target type. When most of the
// object changed, as on the night after a first sync wrote cross-system ids
// everywhere, it lists every live record instead and keeps the modified
// ones: the same records, for fewer calls (see listIsCheaper). Records
// archived since are picked up from the archived list either way (search
// never shows them; archiving bumps updatedAt).
func (s HubSpotSource) ReadSince(ctx context.Context, cols []Column, since time.Time, out Sink) error {
	changed, all, err := s.Client.CountModified(ctx, s.Obj, since)
	if err != nil {
		return fmt.Errorf("%s: counting changes: %w", s.Obj, err)
	}
	if listIsCheaper(changed, all) {
		out.Expect(int64(changed))
		err = s.listModified(ctx, cols, since, out)
	} else {
		err = s.searchModified(ctx, cols, since, out)
	}
	if err != nil {
		return err
	}
	return s.archivedSince(ctx, cols, since, out)
}

// listIsCheaper says whether listing all live records beats searching the
// changed ones. HubSpot documents search at 5 requests per second and 200
// records per page, plus one association read per page and target from the
// ten-second budget; a list page carries 100 records with their
// associations at the ten-second rate (about 19 per second for a private
// app). Per record that is about 1/1000 s searching against 1/1900 s
// listing, so listing wins once about half the records changed. Small
// objects stay on search: the difference is a few calls.
func listIsCheaper(changed, all int) bool {
	return all >= 1000 && changed*2 > all
}

func (s HubSpotSource) searchModified(ctx context.Context, cols []Column, since time.Time, out Sink) error {
	page := 0
	return s.Client.ScanModified(ctx, s.Obj, since, columnNames(cols), func(n int) { out.Expect(int64(n)) },
		func(objs []hubspot.Object) error {
			page++
			assoc, err := s.batchAssociations(ctx, objs, nil)
			if err != nil {
				return fmt.Errorf("%s search page %d: %w", s.Obj, page, err)
			}
			rows, err := s.rows(ctx, objs, assoc, "search", page)
			if err != nil {
				return err
			}
			return out.Write(rows)
		})
}

// listModified lists live records with their associations and keeps those
// updated at or after since.
func (s HubSpotSource) listModified(ctx context.Context, cols []Column, since time.Time, out Sink) error {
	opts := hubspot.ListOptions{Properties: columnNames(cols), PageSize: 100, Associations: s.assocTargets()}
	page := 0
	return s.Client.List(ctx, s.Obj, opts, func(objs []hubspot.Object) error {
		page++
		rows, err := s.rows(ctx, updatedSince(objs, since), nil, "list", page)
		if err != nil {
			return err
		}
		return out.Write(rows)
	})
}

// archivedSince lists archived records and keeps those archived (updated)
// at or after since.
func (s HubSpotSource) archivedSince(ctx context.Context, cols []Column, since time.Time, out Sink) error {
	opts := hubspot.ListOptions{Properties: columnNames(cols), PageSize: 100, Archived: true}
	page := 0
	return s.Client.List(ctx, s.Obj, opts, func(objs []hubspot.Object) error {
		page++
		rows, err := s.rows(ctx, updatedSince(objs, since), map[string]map[string][]string{}, "archived list", page)
		if err != nil {
			return err
		}
		return out.Write(rows)
	})
}

// updatedSince keeps the objects updated at or after since, in place.
func updatedSince(objs []hubspot.Object, since time.Time) []hubspot.Object {
	recent := objs[:0]
	for _, o := range objs {
		if !o.UpdatedAt.Before(since) {
			recent = append(recent, o)
		}
	}
	return recent
}

// batchAssociations reads the associations of objs for every target type
// (all of them when only is nil, else the ids only lists per type).
func (s HubSpotSource) batchAssociations(ctx context.Context, objs []hubspot.Object, only map[string][]string) (map[string]map[string][]string, error) {
	res := map[string]map[string][]string{}
	for _, to := range s.assocTargets() {
		var ids []string
		if only == nil {
			for _, o := range objs {
				ids = append(ids, o.ID)
			}
		} else {
			ids = only[to]
		}
		if len(ids) == 0 {
			continue
		}
		got, err := s.Client.BatchAssociations(ctx, s.Obj, to, ids)
		if err != nil {
			return nil, err
		}
		m := make(map[string][]string, len(got))
		for id, as := range got {
			seen := map[string]bool{}
			for _, a := range as {
				if !seen[a.ToObjectID] {
					seen[a.ToObjectID] = true
					m[id] = append(m[id], a.ToObjectID)
				}
			}
		}
		res[to] = m
	}
	return res, nil
}

// rows turns a page into lake rows. assoc, when not nil, holds the
// associations read apart (target -> id -> ids); otherwise the embedded
// ones are used, completed by a batch read where HubSpot truncated them. A
// record without id or modification time fails the page. A record that
// absorbed others by merge (hs_merged_object_ids) also lands a tombstone
// for each merged-away id, pointing at it.
func (s HubSpotSource) rows(ctx context.Context, objs []hubspot.Object, assoc map[string]map[string][]string, what string, page int) ([]Row, error) {
	batchAll := assoc != nil
	if assoc == nil {
		var more map[string][]string
		for _, o := range objs {
			for to := range o.AssociationsTruncated {
				if more == nil {
					more = map[string][]string{}
				}
				more[to] = append(more[to], o.ID)
			}
		}
		if more != nil {
			var err error
			if assoc, err = s.batchAssociations(ctx, objs, more); err != nil {
				return nil, fmt.Errorf("%s %s page %d: %w", s.Obj, what, page, err)
			}
		}
	}
	rows := make([]Row, 0, len(objs))
	for i, o := range objs {
		if o.ID == "" {
			return nil, fmt.Errorf("%s %s page %d: record %d has no id", s.Obj, what, page, i+1)
		}
		if o.UpdatedAt.IsZero() {
			return nil, fmt.Errorf("%s %s page %d: record %s has no updatedAt", s.Obj, what, page, o.ID)
		}
		r := Row{ID: o.ID, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Archived: o.Archived,
			Values: make(map[string]string, len(o.Properties))}
		for k, v := range o.Properties {
			if v != nil {
				r.Values[k] = *v
			}
		}
		for _, to := range s.assocTargets() {
			ids := o.Associations[to]
			if m, ok := assoc[to]; ok && (batchAll || o.AssociationsTruncated[to]) {
				ids = m[o.ID]
			}
			switch to {
			case "companies":
				r.AssocCompanies = strings.Join(ids, ",")
			case "contacts":
				r.AssocContacts = strings.Join(ids, ",")
			}
		}
		rows = append(rows, r)
		for _, old := range strings.Split(r.Values["hs_merged_object_ids"], ";") {
			if old = strings.TrimSpace(old); old != "" && old != o.ID {
				rows = append(rows, Row{ID: old, UpdatedAt: o.UpdatedAt, Archived: true, MergedInto: o.ID, Tombstone: true})
			}
		}
	}
	return rows, nil
}
