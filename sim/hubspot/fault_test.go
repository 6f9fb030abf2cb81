package hubspot

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	client "github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/sim/fault"
)

// faultRun is what one faulty run observed.
type faultRun struct {
	failed   []string // ids reported failed by the batch update
	injected map[fault.Kind]int
	records  int
	retries  int
}

// runFaulty lists 2,000 contacts and updates 1,000 of them through the
// client against a simulator that injects faults.
func runFaulty(t *testing.T, seed uint64) faultRun {
	t.Helper()
	s := New(Options{Now: func() time.Time { return t0 }, Faults: fault.Config{Seed: seed,
		RateLimited: 0.10, ServerError: 0.02, Reset: 0.01, RecordFailure: 0.05}})
	if err := s.Load("contacts", seedContacts(2000)); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, err := client.New(client.Config{BaseURL: ts.URL, Token: "test-token", RequestsPer10s: 1_000_000,
		MaxRetries: 12, RetryBackoff: time.Millisecond, MaxRetryWait: 5 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	seen := map[string]int{}
	err = c.List(ctx, "contacts", client.ListOptions{PageSize: 20, Properties: []string{"email"}}, func(objs []client.Object) error {
		for _, o := range objs {
			seen[o.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2000 {
		t.Fatalf("listed %d distinct records, want 2000", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("record %s read %d times", id, n)
		}
	}

	var run faultRun
	applied := map[string]bool{}
	for b := range 10 {
		inputs := make([]client.BatchInput, 100)
		for i := range inputs {
			id := strconv.Itoa(b*100 + i + 1)
			inputs[i] = client.BatchInput{ID: id, Properties: map[string]string{"city": "Oslo-" + id}}
		}
		res, err := c.BatchUpdate(ctx, "contacts", inputs)
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		for _, r := range res.Results {
			applied[r.ID] = true
		}
		for _, e := range res.Errors {
			if e.Category != "INTERNAL_ERROR" {
				t.Fatalf("unexpected batch error %+v", e)
			}
			run.failed = append(run.failed, e.IDs...)
		}
	}
	snap := s.Snapshot()["contacts"]
	for i := 1; i <= 1000; i++ {
		id := strconv.Itoa(i)
		failed := slices.Contains(run.failed, id)
		if applied[id] == failed {
			t.Fatalf("record %s: applied=%v reported failed=%v", id, applied[id], failed)
		}
		if got := snap[i-1].Values["city"]; (got == "Oslo-"+id) != applied[id] {
			t.Fatalf("record %s: city %q, applied=%v", id, got, applied[id])
		}
	}
	run.injected, run.records = s.Faults()
	for _, st := range c.Calls() {
		run.retries += st.Retries
		if st.Errors != 0 {
			t.Fatalf("client stats %+v", c.Calls())
		}
	}
	return run
}

func seedContacts(n int) []seed.Record {
	recs := make([]seed.Record, n)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@example.com", i+1), "firstname": "P"},
			CreatedAt: t0, UpdatedAt: t0}
	}
	return recs
}

func TestFaultsListAndBatchUpdate(t *testing.T) {
	run := runFaulty(t, 42)
	rate, server, reset := run.injected[fault.RateLimited], run.injected[fault.ServerError], run.injected[fault.Reset]
	t.Logf("injected: %d 429s, %d 5xx, %d resets, %d record failures; client retries %d", rate, server, reset, run.records, run.retries)
	if rate == 0 || server == 0 || reset == 0 || run.records == 0 {
		t.Fatalf("seed injected too little: %+v", run)
	}
	if len(run.failed) != run.records {
		t.Fatalf("%d records reported failed, %d failed on purpose", len(run.failed), run.records)
	}
	// Resets of idempotent requests may be retried by net/http itself.
	if run.retries < rate+server || run.retries > rate+server+reset {
		t.Fatalf("client retries %d, injected %d+%d+%d", run.retries, rate, server, reset)
	}
	again := runFaulty(t, 42)
	if !maps.Equal(again.injected, run.injected) || !slices.Equal(again.failed, run.failed) {
		t.Fatalf("same seed, different faults:\n%+v\n%+v", run, again)
	}
}
