package extract

import (
	"context"
	"sort"
	"time"

	"github.com/crmhub/crmhub/seed"
)

// SeedSource reads one object of a seed dataset directly, without an API:
// for evaluating the models on a benchmark seed and for tests.
type SeedSource struct {
	Dataset *seed.Dataset
	Sys     string
	Obj     string
}

func (s SeedSource) System() string { return s.Sys }
func (s SeedSource) Object() string { return s.Obj }

func (s SeedSource) Fields(ctx context.Context) ([]string, error) {
	cols := append([]string(nil), s.Dataset.ColumnsOf(s.Sys, s.Obj)...)
	sort.Strings(cols)
	out := cols[:0]
	for _, c := range cols {
		if c != "associatedcompanyid" || s.Obj != "deals" {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s SeedSource) ReadAll(ctx context.Context, fields []string, emit func([]Row) error) error {
	return s.emit(time.Time{}, emit)
}

func (s SeedSource) ReadSince(ctx context.Context, fields []string, since time.Time, emit func([]Row) error) error {
	return s.emit(since, emit)
}

func (s SeedSource) emit(since time.Time, emit func([]Row) error) error {
	const page = 1000
	recs := s.Dataset.Records(s.Sys, s.Obj)
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
			if err := emit(rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	if len(rows) > 0 {
		return emit(rows)
	}
	return nil
}
