package cycle_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/internal/testenv/testlakes"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/review/decisions"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// TestIncrementalEqualsFull runs nights of the demo (a day of user edits in
// both CRMs between runs, the load writing back) with run.incremental on,
// and after each night recomputes the transform in full over the same lake
// and the same previous run: every published table must be identical, row
// for row. The nights after the first must have been incremental and have
// rebuilt only part of the golden persons, companies and deals (some of
// each: the day's edits touch all three). Between nights, what changes a
// golden person without a change in the data: after night 2 a reviewer
// splits one golden person, merges two others, overrides a field until a
// time between nights 3 and 4 and renames a company with Contacts; night 3 is a dry run, so its writes are
// still due on night 4. The match state each night leaves (staged persons,
// compared pairs) must equal a full recompute's too, and the nights after
// the second must have compared only part of the person pairs. On a
// local lake and on S3 (where the tables and state a run reads are local
// copies).
func TestIncrementalEqualsFull(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four nights of the demo")
	}
	testlakes.Each(t, incrementalEqualsFull)
}

func incrementalEqualsFull(t *testing.T, store lake.Store) {
	ctx := context.Background()
	p := pipelines.Default()
	if !p.Run.Incremental {
		t.Fatal("run.incremental is off by default")
	}
	for night := 1; night <= 4; night++ {
		prev, err := cycle.ReadLatest(ctx, store)
		if err != nil {
			t.Fatal(err)
		}
		res, err := demo.Run(ctx, demo.Options{Store: store, People: 400, SeedNumber: 3, Pipeline: p, DryRun: night == 3,
			WorkDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("night %d: %v", night, err)
		}
		ts := res.Report.Transform
		if ts == nil {
			t.Fatalf("night %d: no transform state", night)
		}
		t.Logf("night %d: %s (%s)", night, ts.Mode, ts.Reason)
		golden := res.Report.Counts.Golden["person"]
		if night == 1 && ts.Mode != "full" {
			t.Errorf("night 1: mode %s, want full", ts.Mode)
		}
		if night >= 3 && (ts.Mode != "incremental" || ts.Rebuilt >= golden) {
			t.Errorf("night %d: mode %s rebuilt %d of %d golden persons, want incremental and fewer", night, ts.Mode, ts.Rebuilt, golden)
		}
		for _, e := range []struct {
			entity  string
			rebuilt int64
		}{{"company", ts.RebuiltCompanies}, {"deal", ts.RebuiltDeals}} {
			if n := res.Report.Counts.Golden[e.entity]; night >= 3 && (e.rebuilt == 0 || e.rebuilt >= n) {
				t.Errorf("night %d: rebuilt %d of %d golden %s records, want some and fewer", night, e.rebuilt, n, e.entity)
			}
		}
		latest, err := cycle.ReadLatest(ctx, store)
		if err != nil {
			t.Fatal(err)
		}
		db, err := cycle.RecomputeFull(ctx, store, sqlmodels.Models, p, prev, t.TempDir())
		if err != nil {
			t.Fatalf("night %d: full recompute: %v", night, err)
		}
		for _, table := range []string{"golden_persons", "conflicts", "outbox", "xref", "review_queue", "golden_companies", "golden_deals", "match_pairs"} {
			file, err := store.LocalPath(ctx, latest.Tables[table])
			if err != nil {
				t.Fatal(err)
			}
			var published, recomputed, onlyPublished, onlyRecomputed int64
			err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM read_parquet($1)), (SELECT count(*) FROM query_table($2)),
				(SELECT count(*) FROM (SELECT * FROM read_parquet($1) EXCEPT ALL SELECT * FROM query_table($2))),
				(SELECT count(*) FROM (SELECT * FROM query_table($2) EXCEPT ALL SELECT * FROM read_parquet($1)))`,
				file, table).Scan(&published, &recomputed, &onlyPublished, &onlyRecomputed)
			if err != nil {
				t.Fatalf("night %d: compare %s: %v", night, table, err)
			}
			if onlyPublished != 0 || onlyRecomputed != 0 {
				t.Errorf("night %d (%s): %s differs from a full recompute: %d rows only in the published table (of %d), %d only in the recomputed one (of %d)",
					night, ts.Mode, table, onlyPublished, published, onlyRecomputed, recomputed)
			}
		}
		// the match state the next night stages and compares from must be
		// what a full recompute stages and compares
		for part, query := range cycle.MatchStateQueries {
			file, err := store.LocalPath(ctx, latest.Transform.State[part])
			if err != nil {
				t.Fatalf("night %d: match state %s: %v", night, part, err)
			}
			var onlyPublished, onlyRecomputed int64
			err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT * FROM read_parquet($1) EXCEPT ALL `+query+`)),
				(SELECT count(*) FROM (`+query+` EXCEPT ALL SELECT * FROM read_parquet($1)))`, file).Scan(&onlyPublished, &onlyRecomputed)
			if err != nil {
				t.Fatalf("night %d: compare match state %s: %v", night, part, err)
			}
			if onlyPublished != 0 || onlyRecomputed != 0 {
				t.Errorf("night %d (%s): match state %s differs from a full recompute: %d rows only in the published state, %d only in the recomputed one",
					night, ts.Mode, part, onlyPublished, onlyRecomputed)
			}
		}
		// only the latest run's state is kept
		if prev != nil && prev.Transform != nil {
			for part, key := range prev.Transform.State {
				if _, err := lake.ReadAll(ctx, store, key); !errors.Is(err, lake.ErrNotFound) {
					t.Errorf("night %d: the last run's match state %s is still there (%v)", night, part, err)
				}
			}
		}
		if night >= 3 && (ts.ComparedPairs <= 0 || ts.ComparedPairs >= ts.CandidatePairs) {
			t.Errorf("night %d: compared %d of %d person pairs, want some and fewer", night, ts.ComparedPairs, ts.CandidatePairs)
		}
		if night == 2 {
			reviewBetweenNights(t, db, store, latest)
		}
		db.Close()
	}
}

// reviewBetweenNights records, as `crmhub review` would, a cannot_link that
// splits a golden person of two records, a must_link that merges two
// golden persons of one record each, an override of a third golden
// person's title that expires a day and a half later (between the next two
// nights, which the demo runs a day apart), a new name for a golden
// company whose Salesforce Account has Contacts, and a must_link that
// merges two golden companies that deals belong to.
func reviewBetweenNights(t *testing.T, db *sql.DB, store lake.Store, latest *cycle.Latest) {
	t.Helper()
	ctx := context.Background()
	xref, err := store.LocalPath(ctx, latest.Tables["xref"])
	if err != nil {
		t.Fatal(err)
	}
	pick := func(members int, n int) [][2]string { // golden id and one record key, of n golden persons
		rows, err := db.QueryContext(ctx, `SELECT golden_id, min(system || ':' || object || ':' || record_id)
			FROM read_parquet(?) WHERE entity = 'person' AND NOT deleted GROUP BY golden_id
			HAVING count(*) = ? ORDER BY golden_id LIMIT ?`, xref, members, n)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out [][2]string
		for rows.Next() {
			var g, k string
			if err := rows.Scan(&g, &k); err != nil {
				t.Fatal(err)
			}
			out = append(out, [2]string{g, k})
		}
		if len(out) < n {
			t.Fatalf("want %d golden persons of %d records, found %d", n, members, len(out))
		}
		return out
	}
	pair := pick(2, 1)[0]
	var other string
	if err := db.QueryRowContext(ctx, `SELECT max(system || ':' || object || ':' || record_id) FROM read_parquet(?)
		WHERE entity = 'person' AND golden_id = ?`, xref, pair[0]).Scan(&other); err != nil {
		t.Fatal(err)
	}
	singles := pick(1, 3)
	// a golden company with a Salesforce Account that Contacts belong to:
	// renaming it in review renames their company with no change in them
	var company string
	if err := db.QueryRowContext(ctx, `SELECT min(cc.golden_id) FROM stg_persons s
		JOIN company_clusters cc ON cc.record_key = 'salesforce:Account:' || s.company_ref
		WHERE s.object = 'Contact' AND NOT s.deleted`).Scan(&company); err != nil {
		t.Fatal(err)
	}
	// a HubSpot and a Salesforce company record of two golden companies that
	// deals point at: linking them merges the two, which moves those deals'
	// golden company with no change in the deals
	var hubspotCompany, salesforceCompany string
	if err := db.QueryRowContext(ctx, `WITH g AS (
			SELECT golden_id, record_key FROM company_clusters
			WHERE golden_id IN (SELECT company_golden_id FROM stg_deals WHERE NOT deleted))
		SELECT h.record_key, s.record_key FROM g h JOIN g s ON h.golden_id <> s.golden_id
		WHERE h.record_key LIKE 'hubspot:%' AND s.record_key LIKE 'salesforce:%'
		ORDER BY h.record_key, s.record_key LIMIT 1`).Scan(&hubspotCompany, &salesforceCompany); err != nil {
		t.Fatalf("two golden companies with deals: %v", err)
	}
	now := latest.FinishedAt
	expires := now.Add(36 * time.Hour)
	for i, d := range []*decisions.Decision{
		{Action: decisions.CannotLink, Pairs: []decisions.Pair{decisions.NewPair("person", pair[1], other)}},
		{Action: decisions.MustLink, Pairs: []decisions.Pair{decisions.NewPair("person", singles[0][1], singles[1][1])}},
		{Action: decisions.MustLink, Pairs: []decisions.Pair{decisions.NewPair("company", hubspotCompany, salesforceCompany)}},
		{Action: decisions.Override, ExpiresAt: &expires, Overrides: []decisions.FieldOverride{
			{Entity: "person", GoldenID: singles[2][0], Field: "title", Value: "Chief Reviewer", From: "typed"}}},
		{Action: decisions.Override, Overrides: []decisions.FieldOverride{
			{Entity: "company", GoldenID: company, Field: "name", Value: "Reviewed Name Holdings", From: "typed"}}},
	} {
		d.ID, d.By, d.Why, d.DecidedAt = decisions.NewID(now.Add(time.Duration(i)*time.Millisecond)), "test", "incremental test", now
		if err := decisions.Write(ctx, store, d); err != nil {
			t.Fatal(err)
		}
	}
}
