package extract

import (
	"context"
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

// Fields lists every property, custom ones included.
func (s HubSpotSource) Fields(ctx context.Context) ([]string, error) {
	props, err := s.Client.Properties(ctx, s.Obj)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(props))
	for _, p := range props {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out, nil
}

// withCompanies says whether the object's company associations are landed.
func (s HubSpotSource) withCompanies() bool { return s.Obj == "contacts" || s.Obj == "deals" }

// ReadAll lists live records, then archived ones.
func (s HubSpotSource) ReadAll(ctx context.Context, fields []string, emit func([]Row) error) error {
	opts := hubspot.ListOptions{Properties: fields, PageSize: 100}
	if s.withCompanies() {
		opts.Associations = []string{"companies"}
	}
	page := func(objs []hubspot.Object) error { return emit(s.rows(objs, nil)) }
	if err := s.Client.List(ctx, s.Obj, opts, page); err != nil {
		return err
	}
	opts.Archived = true
	return s.Client.List(ctx, s.Obj, opts, page)
}

// ReadSince searches on the last-modified property (past the 10,000-result
// cap, see hubspot.Client.ModifiedSince), reads the found records' company
// associations in one batch per page, and picks up records archived since.
func (s HubSpotSource) ReadSince(ctx context.Context, fields []string, since time.Time, emit func([]Row) error) error {
	err := s.Client.ModifiedSince(ctx, s.Obj, since, fields, func(objs []hubspot.Object) error {
		var assoc map[string][]hubspot.Association
		if s.withCompanies() && len(objs) > 0 {
			ids := make([]string, len(objs))
			for i, o := range objs {
				ids[i] = o.ID
			}
			var err error
			if assoc, err = s.Client.BatchAssociations(ctx, s.Obj, "companies", ids); err != nil {
				return err
			}
		}
		return emit(s.rows(objs, assoc))
	})
	if err != nil {
		return err
	}
	// Search never shows archived records; the archived list does, and
	// archiving bumps updatedAt.
	opts := hubspot.ListOptions{Properties: fields, PageSize: 100, Archived: true}
	return s.Client.List(ctx, s.Obj, opts, func(objs []hubspot.Object) error {
		recent := objs[:0]
		for _, o := range objs {
			if !o.UpdatedAt.Before(since) {
				recent = append(recent, o)
			}
		}
		return emit(s.rows(recent, nil))
	})
}

func (s HubSpotSource) rows(objs []hubspot.Object, assoc map[string][]hubspot.Association) []Row {
	rows := make([]Row, 0, len(objs))
	for _, o := range objs {
		r := Row{ID: o.ID, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Archived: o.Archived,
			Values: make(map[string]string, len(o.Properties))}
		for k, v := range o.Properties {
			if v != nil {
				r.Values[k] = *v
			}
		}
		if s.withCompanies() {
			ids := o.Associations["companies"]
			if assoc != nil {
				ids = ids[:0:0]
				for _, a := range assoc[o.ID] {
					ids = append(ids, a.ToObjectID)
				}
			}
			r.AssocCompanies = strings.Join(ids, ",")
		}
		rows = append(rows, r)
	}
	return rows
}
