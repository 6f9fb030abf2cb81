package extract

import (
	"context"
	"encoding/json"
	"errors"
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
	// Now is the clock for the deleted window's end; default time.Now.
	Now func() time.Time
}

func (s SalesforceSource) System() string { return seed.Salesforce }
func (s SalesforceSource) Object() string { return s.Obj }

// Calls reports the client's call counters.
func (s SalesforceSource) Calls() map[string]CallStats {
	out := map[string]CallStats{}
	for k, v := range s.Client.Calls() {
		out[k] = CallStats{Calls: v.Count, Errors: v.Errors, Retries: v.Retries, Latency: v.Latency, Status: v.Status}
	}
	return out
}

// sfMeta are describe fields that land as metadata columns, not values.
var sfMeta = map[string]bool{"Id": true, "IsDeleted": true, "CreatedDate": true, "SystemModstamp": true}

// Schema lists the sObject's scalar fields from describe, custom (__c) and
// lookup (reference) fields included, typed; compound address and
// location fields are left out: their parts are fields of their own.
func (s SalesforceSource) Schema(ctx context.Context) ([]Column, error) {
	d, err := s.Client.Describe(ctx, s.Obj)
	if err != nil {
		return nil, err
	}
	var out []Column
	for _, f := range d.Fields {
		if sfMeta[f.Name] || f.Type == "address" || f.Type == "location" || f.Type == "base64" {
			continue
		}
		out = append(out, Column{Name: f.Name, Type: SalesforceType(f.Type), APIType: f.Type})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
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

// ReadAll runs queryAll over the object, deleted rows included, in Id
// order so that a query cursor lost mid-way (INVALID_QUERY_LOCATOR: a
// session refresh or too many open cursors) resumes after the last Id.
func (s SalesforceSource) ReadAll(ctx context.Context, cols []Column, out Sink) error {
	return s.query(ctx, cols, "", false, out, nil)
}

// ReadSince runs queryAll on SystemModstamp >= since (deleted rows carry
// IsDeleted; deleting bumps SystemModstamp), ordered by SystemModstamp then
// Id so ties page stably. Then the deleted window (the last 15 days) is
// asked for records deleted since: one that queryAll no longer returns
// (purged from the recycle bin) lands as a tombstone.
func (s SalesforceSource) ReadSince(ctx context.Context, cols []Column, since time.Time, out Sink) error {
	seen := map[string]bool{}
	if err := s.query(ctx, cols, "SystemModstamp >= "+salesforce.FormatDateTime(since), true, out, seen); err != nil {
		return err
	}
	return s.purged(ctx, since, seen, out)
}

// purged lands tombstones for records the deleted window lists but the
// query did not return.
func (s SalesforceSource) purged(ctx context.Context, since time.Time, seen map[string]bool, out Sink) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	end := now().UTC().Add(time.Minute)
	start := since.UTC().Truncate(time.Minute)
	if earliest := end.AddDate(0, 0, -15).Truncate(24 * time.Hour).Add(24 * time.Hour); start.Before(earliest) {
		// Older deletions may be purged and unlisted: only a full
		// extract sees past this window.
		start = earliest
	}
	if !start.Before(end) {
		return nil
	}
	d, err := s.Client.GetDeleted(ctx, s.Obj, start, end)
	var apiErr *salesforce.APIError
	if errors.As(err, &apiErr) && apiErr.Code == "INVALID_REPLICATION_DATE" {
		return nil // window refused (too old): queryAll stays the source of deletions
	}
	if err != nil {
		return fmt.Errorf("%s deleted window: %w", s.Obj, err)
	}
	var rows []Row
	for _, r := range d.DeletedRecords {
		if r.ID == "" || seen[r.ID] {
			continue
		}
		t, err := time.Parse(sfTime, r.DeletedDate)
		if err != nil {
			return fmt.Errorf("%s deleted window: record %s: deletedDate %q is not a Salesforce datetime", s.Obj, r.ID, r.DeletedDate)
		}
		rows = append(rows, Row{ID: r.ID, UpdatedAt: t, Archived: true, Tombstone: true})
	}
	if len(rows) == 0 {
		return nil
	}
	return out.Write(rows)
}

// query runs queryAll with where, in Id order or (byStamp) in
// SystemModstamp, Id order. When the server drops the query cursor
// (INVALID_QUERY_LOCATOR) after some rows, it resumes after the last row
// read, by Id or by (SystemModstamp, Id), so nothing is read twice or lost.
func (s SalesforceSource) query(ctx context.Context, cols []Column, where string, byStamp bool, out Sink, seen map[string]bool) error {
	page, resumes := 0, 0
	var lastID string
	var lastStamp time.Time
	for {
		cond := where
		if lastID != "" {
			// SOQL datetimes have whole seconds: resume at the last row's
			// second and skip the rows of that second already read.
			after := "Id > " + salesforce.QuoteString(lastID)
			if byStamp {
				after = "SystemModstamp >= " + salesforce.FormatDateTime(lastStamp)
			}
			if cond != "" {
				cond = "(" + cond + ") AND " + after
			} else {
				cond = after
			}
		}
		order := " ORDER BY Id"
		if byStamp {
			order = " ORDER BY SystemModstamp, Id"
		}
		progressed := false
		opts := salesforce.QueryOptions{All: true}
		if lastID == "" {
			opts.Total = func(n int) { out.Expect(int64(n)) }
		}
		err := s.Client.Query(ctx, s.soql(columnNames(cols), cond)+order, opts, func(recs []salesforce.Record) error {
			page++
			rows := make([]Row, 0, len(recs))
			for i, r := range recs {
				row, err := sfRow(r, cols)
				if err != nil {
					return fmt.Errorf("%s page %d record %d: %w", s.Obj, page, i+1, err)
				}
				if byStamp && lastID != "" && (row.UpdatedAt.Before(lastStamp) || row.UpdatedAt.Equal(lastStamp) && row.ID <= lastID) {
					continue // read before the cursor was lost
				}
				if seen != nil {
					seen[row.ID] = true
				}
				rows = append(rows, row)
			}
			if err := out.Write(rows); err != nil {
				return err
			}
			if n := len(rows); n > 0 {
				progressed = true
				lastID, lastStamp = rows[n-1].ID, rows[n-1].UpdatedAt
			}
			return nil
		})
		var apiErr *salesforce.APIError
		if err != nil && errors.As(err, &apiErr) && apiErr.Code == "INVALID_QUERY_LOCATOR" && progressed && resumes < 100 {
			resumes++
			continue
		}
		return err
	}
}

// sfTime is how Salesforce writes datetimes.
const sfTime = "2006-01-02T15:04:05.000-0700"

// sfRow converts one record. A value that is not a scalar (an object or a
// list where describe announced a field) is kept as its JSON text in
// _invalid and reported.
func sfRow(r salesforce.Record, cols []Column) (Row, error) {
	id, ok := salesforce.String(r["Id"])
	if !ok || id == "" {
		return Row{}, fmt.Errorf("record has no Id")
	}
	row := Row{ID: id, Values: make(map[string]string, len(cols))}
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
	switch d := r["IsDeleted"].(type) {
	case bool:
		row.Archived = d
	case nil:
	default:
		return row, fmt.Errorf("record %s: IsDeleted is %v, not a boolean", id, d)
	}
	for _, c := range cols {
		v, present := r[c.Name]
		if !present || v == nil {
			continue
		}
		if s, ok := salesforce.String(v); ok {
			row.Values[c.Name] = s
			continue
		}
		b, _ := json.Marshal(v)
		if row.Invalid == nil {
			row.Invalid = map[string]string{}
		}
		row.Invalid[c.Name] = string(b)
	}
	return row, nil
}
