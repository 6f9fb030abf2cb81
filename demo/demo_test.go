package demo_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/internal/lake"
)

// TestNightsContinue runs the demo three times on one lake, as a user
// running `crmhub demo` night after night: each run restores the
// simulators from the lake, a day of edits follows, and the run must
// succeed with the CRMs' schema as the runs left it. Before the schema was
// kept, the second night failed: HubSpot refused the upsert on
// crmhub_golden_id, no longer a unique property.
func TestNightsContinue(t *testing.T) {
	ctx := context.Background()
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for night := range 3 {
		res, err := demo.Run(ctx, demo.Options{Store: store, People: 600, SeedNumber: 5, WorkDir: t.TempDir(), Logger: log})
		if err != nil {
			t.Fatalf("night %d: %v", night, err)
		}
		if res.Day != night {
			t.Fatalf("night %d: demo says day %d", night, res.Day)
		}
		writes, errs := 0, 0
		for _, l := range res.Load {
			writes += l.Records
			errs += len(l.Errors)
		}
		mut := res.Mutations.Total()
		t.Logf("night %d: edits %d (conflicting %d), conflicts raised %d, records written %d, errors %d",
			night, mut.Updated, mut.Conflicts, res.Counts.Conflicts, writes, errs)
		if errs > 0 {
			t.Errorf("night %d: %d record errors", night, errs)
		}
		if writes == 0 {
			t.Errorf("night %d: nothing written back", night)
		}
		if night > 0 && mut.Conflicts > 0 && res.Counts.Conflicts == 0 {
			t.Errorf("night %d: the day's edits collided %d times, the run raised no conflict", night, mut.Conflicts)
		}
	}
}

// TestFiguresIgnoreTheClock runs the demo on two wall clocks half a year
// and some hours apart, as `crmhub demo` started on another day at another
// hour: every figure it prints, and every deal pair it scored, must be the
// same. Generated close dates followed the clock, so the deal F1 changed
// with the hour of the run (0.9476, 0.9466, 0.9453 at 14:30, 16:07 and
// 16:58 one day, at 10,000 people). The first night only: from the second
// on, record ids the simulators give during the load follow the order of
// concurrent calls (gen's TestNowMovesOnlyTimes covers Mutate).
func TestFiguresIgnoreTheClock(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	figures := func(at time.Time) []string {
		store, err := lake.OpenLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		// a wall clock set to at: it keeps moving, as the simulators and
		// the lake's lease expect
		start := time.Now()
		clock := func() time.Time { return at.Add(time.Since(start)) }
		res, err := demo.Run(ctx, demo.Options{Store: store, People: 600, SeedNumber: 5, WorkDir: t.TempDir(),
			Logger: slog.New(slog.DiscardHandler), Now: clock})
		if err != nil {
			t.Fatalf("clock %s: %v", at, err)
		}
		c := res.Counts
		var out []string
		for _, q := range res.Quality {
			out = append(out, fmt.Sprintf("%s: P=%.6f R=%.6f F1=%.6f true pairs %d predicted %d; %d records, %d golden",
				q.Entity, q.Precision, q.Recall, q.F1, q.TruePairs, q.PredictedPairs, c.Records[q.Entity], c.Golden[q.Entity]))
		}
		out = append(out, fmt.Sprintf("matched pairs %d, review items %d, conflicts %d", c.MatchedPairs, c.ReviewItems, c.Conflicts))
		file, err := store.LocalPath(ctx, res.Published.Tables["match_pairs"])
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, `SELECT concat_ws(' ', 'deal pair', left_object, left_record_id, right_object, right_record_id, score, decision)
			FROM read_parquet(?) WHERE entity = 'deal' ORDER BY ALL`, file)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			out = append(out, l)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a := figures(time.Date(2026, 12, 7, 14, 30, 0, 0, time.UTC))
	b := figures(time.Date(2027, 6, 20, 3, 47, 12, 0, time.UTC))
	for _, l := range a {
		if !strings.HasPrefix(l, "deal pair") {
			t.Log(l)
		}
	}
	if !slices.ContainsFunc(a, func(l string) bool { return strings.HasPrefix(l, "deal:") }) ||
		!slices.ContainsFunc(a, func(l string) bool { return strings.HasPrefix(l, "deal pair") }) {
		t.Fatalf("no deal quality or no deal pairs: %q", a)
	}
	if slices.Equal(a, b) {
		return
	}
	// the lines of one clock missing from the other's
	ina, inb := map[string]bool{}, map[string]bool{}
	for _, l := range a {
		ina[l] = true
	}
	for _, l := range b {
		inb[l] = true
	}
	for _, l := range a {
		if !inb[l] {
			t.Errorf("at 2026-12-07 14:30 only: %s", l)
		}
	}
	for _, l := range b {
		if !ina[l] {
			t.Errorf("at 2027-06-20 03:47 only: %s", l)
		}
	}
}
