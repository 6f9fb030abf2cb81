package extract

import (
	"context"
	"sort"
	"time"

	"github.com/crmhub/crmhub/seed"
)

// SeedSource reads one object of a seed dataset directly, without an API:
// for evaluating the models on a benchmark seed and for tests. Every field
// is a string (seed files carry no types).
type SeedSource struct {
	Dataset *seed.Dataset
	Sys     string
	Obj     string
}

func (s SeedSource) System() string { return s.Sys }
func (s SeedSource) Object() string { return s.Obj }

func (s SeedSource) Schema(ctx context.Context) ([]Column, error) {
	cols := append([]string(nil), s.Dataset.ColumnsOf(s.Sys, s.Obj)...)
	sort.Strings(cols)
	out := cols[:0]
	for _, c := range cols {
		if c != "associatedcompanyid" || s.Obj != "deals" {
			out = append(out, c)
		}
	}
	return stringColumns(out), nil
}

func (s SeedSource) ReadAll(ctx context.Context, cols []Column, out Sink) error {
	return s.emit(time.Time{}, out)
}

func (s SeedSource) ReadSince(ctx context.Context, cols []Column, since time.Time, out Sink) error {
	return s.emit(since, out)
}

func (s SeedSource) emit(since time.Time, out Sink) error {
	const page = 1000
	recs := s.Dataset.Records(s.Sys, s.Obj)
	if since.IsZero() {
		out.Expect(int64(len(recs)))
	}
	rows := make([]Row, 0, page)
	for _, r := range recs {
		if r.UpdatedAt.Before(since) {
			continue
		}
		row := Row{ID: r.ID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Archived: r.Archived, Values: r.Values}
		if s.Obj == "deals" {
			row.AssocCompanies = r.Values["associatedcompanyid"]
		}
		rows = append(rows, row)
		if len(rows) == page {
			if err := out.Write(rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	if len(rows) > 0 {
		return out.Write(rows)
	}
	return nil
}
