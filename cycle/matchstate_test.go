package cycle

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// TestPlanTransformNeedsMatchState: a run may be incremental only when the
// last run left every part of the match state; a missing part makes it
// full, with the reason said.
func TestPlanTransformNeedsMatchState(t *testing.T) {
	ctx := context.Background()
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := pipelines.Default()
	cfg := Config{Store: store, Models: sqlmodels.Models, Pipeline: p}
	fp, err := Fingerprint(cfg.Models, cfg.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	full := map[string]string{stateStagedPersons: "published/r1/_state/stg_persons.parquet", statePersonPairs: "published/r1/_state/person_pairs.parquet",
		stateStagedCompanies: "published/r1/_state/stg_companies.parquet", stateStagedDeals: "published/r1/_state/stg_deals.parquet"}
	for _, key := range full {
		if err := store.Put(ctx, key, strings.NewReader("state")); err != nil {
			t.Fatal(err)
		}
	}
	// _latest.json rolled back to a run whose state a later run deleted
	gone := maps.Clone(full)
	gone[statePersonPairs] = "published/r0/_state/person_pairs.parquet"
	without := func(part string) map[string]string {
		m := maps.Clone(full)
		delete(m, part)
		return m
	}
	for _, tc := range []struct {
		name            string
		state           map[string]string
		wantIncremental bool
		wantReason      string
	}{
		{"every part", full, true, ""},
		{"no state", nil, false, "no person matching state"},
		{"no staged persons", without(stateStagedPersons), false, "no person matching state"},
		{"no pairs", without(statePersonPairs), false, "no person matching state"},
		// a run before companies and deals were carried left only the persons' parts
		{"no staged companies", without(stateStagedCompanies), false, "no person matching state"},
		{"no staged deals", without(stateStagedDeals), false, "no person matching state"},
		{"pairs deleted from the lake", gone, false, "no person matching state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := &Latest{RunID: "r1", FinishedAt: now.Add(-24 * time.Hour), Tables: map[string]string{},
				Transform: &TransformState{Mode: "full", Fingerprint: fp, FullAt: now.Add(-24 * time.Hour), State: tc.state}}
			for _, tb := range PublishedTables {
				prev.Tables[tb] = "published/r1/" + tb + ".parquet"
			}
			plan, err := planTransform(ctx, cfg, prev, now)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Incremental != tc.wantIncremental || !strings.Contains(plan.State.Reason, tc.wantReason) {
				t.Errorf("incremental %v (%s), want %v (%q)", plan.Incremental, plan.State.Reason, tc.wantIncremental, tc.wantReason)
			}
		})
	}
}
