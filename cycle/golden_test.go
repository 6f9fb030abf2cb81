package cycle_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/pipelines"
)

// writeCalls counts the write calls a client made (batch and collection
// writes, bulk jobs, merges, deletes), from its own per-endpoint counters;
// retried attempts count.
func writeCalls(hs *hubspot.Client, sf *salesforce.Client) (h, s int) {
	for kind, st := range hs.Calls() {
		if strings.Contains(kind, "batch_update") || strings.Contains(kind, "batch_upsert") || strings.Contains(kind, "batch_create") ||
			strings.Contains(kind, "batch_archive") || strings.Contains(kind, "merge") {
			h += st.Calls + st.Retries
		}
	}
	for kind, st := range sf.Calls() {
		switch kind {
		case "create", "update", "upsert", "delete", "bulk_ingest":
			s += st.Count + st.Retries
		}
	}
	return h, s
}

// TestGoldenRunsConverge: generated data in both simulators over real
// sockets; the first run writes (fields, cross ids, counterparts), and a
// second run with no change in either CRM writes nothing: crmhub's own
// writes come back as echoes, not as edits or conflicts.
func TestGoldenRunsConverge(t *testing.T) {
	ctx := context.Background()
	day := 0
	now := func() time.Time { return time.Now().Add(time.Duration(day) * time.Hour) }
	f := newSimFixture(t, 150, now)
	hs, sf := f.hs, f.sf
	cfg := f.config(t, pipelines.Default(), 100)
	cfg.Approve, cfg.Now = "test: first sync", now

	rep1, err := cycle.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h1, s1 := writeCalls(hs, sf)
	var created, minCalls, calls int
	for _, l := range rep1.Load {
		created += l.Creates
		minCalls += l.MinBatches
		calls += l.Batches
	}
	t.Logf("run 1: outbox %d fields, %d creates, write calls hubspot %d salesforce %d (minimum %d)", rep1.Counts.OutboxFields, created, h1, s1, minCalls)
	if rep1.Counts.OutboxFields == 0 || created == 0 {
		t.Fatalf("run 1 wrote nothing: %+v", rep1.Counts)
	}
	if calls != minCalls || h1+s1 < minCalls {
		t.Errorf("run 1: %d write batches, %d HTTP write calls, minimum %d", calls, h1+s1, minCalls)
	}
	checkReleased(t, "run 1", rep1)

	day++ // the next night; nobody touched either CRM
	rep2, err := cycle.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h2, s2 := writeCalls(hs, sf)
	if h2 != h1 || s2 != s1 || rep2.Counts.OutboxFields != 0 {
		t.Errorf("run 2 with no change: outbox %d fields, write calls hubspot %d salesforce %d; plan %+v",
			rep2.Counts.OutboxFields, h2-h1, s2-s1, rep2.Counts.Plan)
	}
	if rep2.Counts.Conflicts != 0 {
		t.Errorf("run 2: %d conflicts from crmhub's own writes (echoes)", rep2.Counts.Conflicts)
	}
	checkReleased(t, "run 2", rep2)
}

// checkReleased: a run's transform drops the inputs and the working
// models once their last reader has run (transform.Runner.Release), at
// that reader, and keeps what the exports and the match state read.
func checkReleased(t *testing.T, run string, rep *cycle.Report) {
	t.Helper()
	after := map[string]string{}
	for _, m := range rep.Models {
		for _, tb := range m.Released {
			after[tb] = m.Model
		}
	}
	for tb, reader := range map[string]string{
		"person_candidates":    "person_pairs",
		"raw_hubspot_contacts": "person_scope",
		"person_field_changes": "person_values",
		"person_values":        "outbox",
	} {
		if after[tb] != reader {
			t.Errorf("%s: %s released after %q, want after its last reader %s", run, tb, after[tb], reader)
		}
	}
	kept := append([]string{"stg_persons", "person_pairs", "stg_companies", "stg_deals", "prev_writes"}, cycle.PublishedTables...)
	for _, tb := range kept {
		if m, ok := after[tb]; ok {
			t.Errorf("%s: %s released after %s; the exports or the match state read it after the models", run, tb, m)
		}
	}
}
