package extract

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/seed"
)

// SalesforceSource reads one sObject with SOQL through the REST API.
type SalesforceSource struct {
	Client *salesforce.Client
	Obj    string // Account, Contact, Lead, Opportunity
}

func (s SalesforceSource) System() string { return seed.Salesforce }
func (s SalesforceSource) Object() string { return s.Obj }

// sfMeta are describe fields that land as metadata columns, not values.
var sfMeta = map[string]bool{"Id": true, "IsDeleted": true, "CreatedDate": true, "SystemModstamp": true}

// Fields lists the sObject's scalar fields from describe (compound address
// and location fields are left out: their parts are fields of their own).
func (s SalesforceSource) Fields(ctx context.Context) ([]string, error) {
	d, err := s.Client.Describe(ctx, s.Obj)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range d.Fields {
		if sfMeta[f.Name] || f.Type == "address" || f.Type == "location" {
			continue
		}
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out, nil
}

func (s SalesforceSource) soql(fields []string, where string) string {
	cols := append([]string{"Id", "IsDeleted", "CreatedDate", "SystemModstamp"}, fields...)
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + s.Obj
	if where != "" {
		q += " WHERE " + where
	}
	return q
}

// ReadAll runs queryAll over the object, deleted rows included.
func (s SalesforceSource) ReadAll(ctx context.Context, fields []string, emit func([]Row) error) error {
	return s.query(ctx, s.soql(fields, ""), fields, emit)
}

// ReadSince runs queryAll on SystemModstamp >= since (deleted rows carry
// IsDeleted), ordered by SystemModstamp then Id so ties page stably.
func (s SalesforceSource) ReadSince(ctx context.Context, fields []string, since time.Time, emit func([]Row) error) error {
	q := s.soql(fields, "SystemModstamp >= "+salesforce.FormatDateTime(since)) + " ORDER BY SystemModstamp, Id"
	return s.query(ctx, q, fields, emit)
}

func (s SalesforceSource) query(ctx context.Context, soql string, fields []string, emit func([]Row) error) error {
	page := 0
	return s.Client.Query(ctx, soql, salesforce.QueryOptions{All: true}, func(recs []salesforce.Record) error {
		page++
		rows := make([]Row, 0, len(recs))
		for i, r := range recs {
			row, err := sfRow(r, fields)
			if err != nil {
				return fmt.Errorf("%s page %d record %d: %w", s.Obj, page, i+1, err)
			}
			rows = append(rows, row)
		}
		return emit(rows)
	})
}

// sfTime is how Salesforce writes datetimes.
const sfTime = "2006-01-02T15:04:05.000-0700"

func sfRow(r salesforce.Record, fields []string) (Row, error) {
	id, ok := salesforce.String(r["Id"])
	if !ok || id == "" {
		return Row{}, fmt.Errorf("record has no Id")
	}
	row := Row{ID: id, Values: make(map[string]string, len(fields))}
	stamp, _ := salesforce.String(r["SystemModstamp"])
	t, err := time.Parse(sfTime, stamp)
	if err != nil {
		return row, fmt.Errorf("record %s: SystemModstamp %q is not a Salesforce datetime", id, stamp)
	}
	row.UpdatedAt = t
	if c, ok := salesforce.String(r["CreatedDate"]); ok {
		if t, err := time.Parse(sfTime, c); err == nil {
			row.CreatedAt = t
		}
	}
	if d, ok := r["IsDeleted"].(bool); ok {
		row.Archived = d
	}
	for _, f := range fields {
		if v, ok := salesforce.String(r[f]); ok {
			row.Values[f] = v
		}
	}
	return row, nil
}
