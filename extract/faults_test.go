package extract_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/sim/fault"
	simhs "github.com/crmhub/crmhub/sim/hubspot"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
)

// TestExtractThroughFaults: with a quarter of the requests failing (429,
// 5xx, dropped connections) and Salesforce sessions expiring, full and
// incremental extracts still land every record once; the per-call
// metrics show the retries by status.
func TestExtractThroughFaults(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	faults := fault.Config{Seed: 3, RateLimited: 0.1, ServerError: 0.1, Reset: 0.05}
	hsSim := simhs.New(simhs.Options{Now: clk.now, Faults: faults, Logger: quiet})
	sfSim := simsf.New(simsf.Options{Now: clk.now, Faults: faults, ExpireSessionsEvery: 5})
	const n = 1_500
	var hsRecs, sfRecs []seed.Record
	for i := range n {
		at := clk.t.Add(-time.Duration(n-i) * time.Minute)
		hsRecs = append(hsRecs, seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@example.com", i)}, UpdatedAt: at})
		sfRecs = append(sfRecs, seed.Record{Values: map[string]string{"LastName": fmt.Sprint("L", i)}, UpdatedAt: at})
	}
	if err := hsSim.Load("contacts", hsRecs); err != nil {
		t.Fatal(err)
	}
	if err := sfSim.Load("Contact", sfRecs); err != nil {
		t.Fatal(err)
	}
	hsSrv, sfSrv := httptest.NewServer(hsSim), httptest.NewServer(sfSim)
	defer hsSrv.Close()
	defer sfSrv.Close()
	hs, err := hubspot.New(hubspot.Config{BaseURL: hsSrv.URL, Token: "test-token", RequestsPer10s: 1 << 20, SearchPerSecond: 1 << 20,
		MaxRetries: 12, RetryBackoff: 2 * time.Millisecond, MaxRetryWait: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := salesforce.New(salesforce.Config{LoginURL: sfSrv.URL, ClientID: "test-client", ClientSecret: "test-secret",
		MaxRetries: 12, RetryBaseDelay: 2 * time.Millisecond, RetryMaxDelay: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	store := localLake(t)
	sources := []extract.Source{extract.HubSpotSource{Client: hs, Obj: "contacts"}, extract.SalesforceSource{Client: sf, Obj: "Contact", Now: clk.now}}
	opts := extract.Options{Store: store, RunID: "r1", Sources: sources, Overlap: time.Minute, TempDir: t.TempDir(), Now: clk.now, Logger: quiet}
	res := runExtract(t, opts)
	calls := extract.SumCalls([]extract.Result{res["contacts"], res["Contact"]})
	retries, errs := 0, 0
	for _, c := range calls {
		retries += c.Retries
		errs += c.Errors
	}
	if res["contacts"].Records != n || res["Contact"].Records != n || retries == 0 || errs != 0 {
		t.Fatalf("records %d / %d, retries %d, errors %d, calls %+v", res["contacts"].Records, res["Contact"].Records, retries, errs, calls)
	}
	clk.t = clk.t.Add(time.Hour)
	opts.RunID = "r2"
	runExtract(t, opts)
	if v := currentView(t, store, seed.HubSpot, "contacts"); len(v) != n {
		t.Errorf("hubspot view %d records", len(v))
	}
	if v := currentView(t, store, seed.Salesforce, "Contact"); len(v) != n {
		t.Errorf("salesforce view %d records", len(v))
	}
}

// TestSalesforceLostCursorResumes: while the extract pages, another job of
// the same user opens ten query cursors, which pushes the extract's cursor
// out (INVALID_QUERY_LOCATOR); the full (Id order) and incremental
// (SystemModstamp, Id order) reads resume after the last row and land
// every record exactly once, ties on SystemModstamp included.
func TestSalesforceLostCursorResumes(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	sim, sf := salesforceEnv(t, simsf.Options{Now: clk.now})
	const n = 9_000
	var recs []seed.Record
	for i := range n {
		// groups of 700 records share a SystemModstamp
		at := clk.t.Add(-time.Hour).Add(time.Duration(i/700) * time.Second)
		recs = append(recs, seed.Record{Values: map[string]string{"LastName": fmt.Sprint("L", i)}, UpdatedAt: at})
	}
	if err := sim.Load("Contact", recs); err != nil {
		t.Fatal(err)
	}
	store := localLake(t)
	src := cursorThief{SalesforceSource: extract.SalesforceSource{Client: sf, Obj: "Contact", Now: clk.now}}
	opts := extract.Options{Store: store, Sources: []extract.Source{src}, Overlap: 2 * time.Hour, TempDir: t.TempDir(), Now: clk.now, Logger: quiet}
	for _, run := range []string{"r1", "r2"} {
		opts.RunID = run
		r := runExtract(t, opts)["Contact"]
		if r.Records != n {
			t.Errorf("%s (%s): %d records landed, want %d exactly", run, r.Mode, r.Records, n)
		}
		if r.Calls["queryMore"].Status[400] == 0 {
			t.Errorf("%s: no cursor was lost: %+v", run, r.Calls)
		}
	}
	if v := currentView(t, store, seed.Salesforce, "Contact"); len(v) != n {
		t.Errorf("view %d records", len(v))
	}
}

// cursorThief opens ten other cursors of the same user after the second
// page it lands.
type cursorThief struct{ extract.SalesforceSource }

type thiefSink struct {
	extract.Sink
	sf    *salesforce.Client
	pages *int
}

func (s thiefSink) Write(rows []extract.Row) error {
	if *s.pages++; *s.pages == 2 {
		for range 10 {
			_ = s.sf.Query(context.Background(), "SELECT Id FROM Contact", salesforce.QueryOptions{}, func([]salesforce.Record) error { return errStop })
		}
	}
	return s.Sink.Write(rows)
}

var errStop = errors.New("stop")

func (c cursorThief) ReadAll(ctx context.Context, cols []extract.Column, out extract.Sink) error {
	pages := 0
	return c.SalesforceSource.ReadAll(ctx, cols, thiefSink{out, c.Client, &pages})
}

func (c cursorThief) ReadSince(ctx context.Context, cols []extract.Column, since time.Time, out extract.Sink) error {
	pages := 0
	return c.SalesforceSource.ReadSince(ctx, cols, since, thiefSink{out, c.Client, &pages})
}
