package extract_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/internal/testenv"
	"github.com/crmhub/crmhub/seed"
	simhs "github.com/crmhub/crmhub/sim/hubspot"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
)

// errCrash stands for the process dying: nothing after it runs.
var errCrash = errors.New("simulated crash")

// killer cancels the run after a number of pages, as a kill at a random
// moment would.
type killer struct {
	extract.Source
	pages  *atomic.Int64
	at     int64
	cancel context.CancelFunc
}

type killSink struct {
	extract.Sink
	k *killer
}

func (s killSink) Write(rows []extract.Row) error {
	if s.k.pages.Add(1) == s.k.at {
		s.k.cancel()
		return errCrash
	}
	return s.Sink.Write(rows)
}

func (k killer) ReadAll(ctx context.Context, cols []extract.Column, out extract.Sink) error {
	return k.Source.ReadAll(ctx, cols, killSink{out, &k})
}

func (k killer) ReadSince(ctx context.Context, cols []extract.Column, since time.Time, out extract.Sink) error {
	return k.Source.ReadSince(ctx, cols, since, killSink{out, &k})
}

// crashStore dies at its n-th write: either before a data file lands or
// between the file and its manifest.
type crashStore struct {
	lake.Store
	writes *atomic.Int64
	at     int64
}

func (s crashStore) hit() bool { return s.writes.Add(1) == s.at }

func (s crashStore) Put(ctx context.Context, key string, r io.Reader) error {
	if s.hit() {
		return errCrash
	}
	return s.Store.Put(ctx, key, r)
}

func (s crashStore) PutFile(ctx context.Context, key, local string) error {
	if s.hit() {
		return errCrash
	}
	return s.Store.PutFile(ctx, key, local)
}

func TestKilledExtractResumesLocal(t *testing.T) {
	testKilledExtractResumes(t, localLake(t), 8)
}

func TestKilledExtractResumesS3(t *testing.T) {
	_, bucket := testenv.S3(t)
	store, err := lake.OpenS3(context.Background(), "s3://"+bucket+"/resume", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testKilledExtractResumes(t, store, 4)
}

// testKilledExtractResumes runs nights of edits in both CRMs; each night
// the extract is killed at a random page or dies at a random lake write,
// then runs again to completion. After every completed run, every record of
// both simulators is in the current view exactly once, with its latest
// values and deletion state.
func testKilledExtractResumes(t *testing.T, store lake.Store, nights int) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	hsSim, hs := hubspotEnv(t, simhs.Options{Now: clk.now})
	sfSim, sf := salesforceEnv(t, simsf.Options{Now: clk.now})
	const n = 2_500
	hsRecs := make([]seed.Record, n)
	sfRecs := make([]seed.Record, n)
	for i := range n {
		at := clk.t.Add(-time.Duration(n-i) * time.Minute)
		hsRecs[i] = seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@example.com", i), "jobtitle": "v0"}, CreatedAt: at, UpdatedAt: at}
		sfRecs[i] = seed.Record{Values: map[string]string{"LastName": fmt.Sprint("L", i), "Title": "v0"}, CreatedAt: at, UpdatedAt: at}
	}
	if err := hsSim.Load("contacts", hsRecs); err != nil {
		t.Fatal(err)
	}
	if err := sfSim.Load("Contact", sfRecs); err != nil {
		t.Fatal(err)
	}
	hsIDs, sfIDs := contactIDs(t, hs), sfIDs(t, sf, "Contact")
	rng := rand.New(rand.NewPCG(42, uint64(nights)))
	sources := []extract.Source{extract.HubSpotSource{Client: hs, Obj: "contacts"}, extract.SalesforceSource{Client: sf, Obj: "Contact", Now: clk.now}}
	for night := 1; night <= nights; night++ {
		if night > 1 {
			clk.t = clk.t.Add(24 * time.Hour)
			editBoth(t, hs, sf, hsIDs, sfIDs, rng, night)
		}
		// the killed attempt
		// either killed at a random page (a full night has about 28 pages
		// per system, an incremental one 2 to 3) or dead at a random lake
		// write (data file or manifest, of either system)
		kctx, cancel := context.WithCancel(ctx)
		var pages, writes atomic.Int64
		killAt, crashAt := int64(-1), int64(-1)
		if rng.IntN(2) == 0 {
			killAt = 1 + rng.Int64N(map[bool]int64{true: 28, false: 3}[night == 1])
		} else {
			crashAt = 1 + rng.Int64N(4)
		}
		var killed []extract.Source
		for _, s := range sources {
			killed = append(killed, killer{Source: s, pages: &pages, at: killAt, cancel: cancel})
		}
		crash := crashStore{Store: store, writes: &writes, at: crashAt}
		opts := extract.Options{Store: crash, RunID: fmt.Sprintf("night%02d-a", night), Sources: killed, Overlap: time.Minute,
			TempDir: t.TempDir(), Now: clk.now, Logger: quiet}
		_, err := extract.Run(kctx, opts)
		cancel()
		t.Logf("night %d: killed run (at page %d / write %d): pages %d writes %d: %v", night, killAt, crashAt, pages.Load(), writes.Load(), err)
		// started again
		opts = extract.Options{Store: store, RunID: fmt.Sprintf("night%02d-b", night), Sources: sources, Overlap: time.Minute,
			TempDir: t.TempDir(), Now: clk.now, Logger: quiet}
		if _, err := extract.Run(ctx, opts); err != nil {
			t.Fatalf("night %d: rerun: %v", night, err)
		}
		checkHubSpotView(t, store, hs, night)
		checkSalesforceView(t, store, sf, night)
	}
}

func editBoth(t *testing.T, hs *hubspot.Client, sf *salesforce.Client, hsIDs, sfIDs []string, rng *rand.Rand, night int) {
	t.Helper()
	ctx := context.Background()
	var in []hubspot.BatchInput
	var recs []salesforce.Record
	for range 40 {
		in = append(in, hubspot.BatchInput{ID: hsIDs[rng.IntN(len(hsIDs))], Properties: map[string]string{"jobtitle": fmt.Sprint("v", night)}})
		recs = append(recs, salesforce.Record{"Id": sfIDs[rng.IntN(len(sfIDs))], "Title": fmt.Sprint("v", night)})
	}
	in = dedupeInputs(in)
	if _, err := hs.BatchUpdate(ctx, "contacts", in); err != nil {
		t.Fatal(err)
	}
	_, _ = hs.BatchArchive(ctx, "contacts", []string{hsIDs[rng.IntN(len(hsIDs))]})
	if _, err := sf.Update(ctx, "Contact", dedupeRecords(recs), false); err != nil {
		t.Fatal(err)
	}
	_, _ = sf.Delete(ctx, []string{sfIDs[rng.IntN(len(sfIDs))]}, false)
}

func dedupeInputs(in []hubspot.BatchInput) []hubspot.BatchInput {
	seen := map[string]bool{}
	out := in[:0]
	for _, x := range in {
		if !seen[x.ID] {
			seen[x.ID] = true
			out = append(out, x)
		}
	}
	return out
}

func dedupeRecords(in []salesforce.Record) []salesforce.Record {
	seen := map[any]bool{}
	out := in[:0]
	for _, x := range in {
		if !seen[x["Id"]] {
			seen[x["Id"]] = true
			out = append(out, x)
		}
	}
	return out
}

func checkHubSpotView(t *testing.T, store lake.Store, hs *hubspot.Client, night int) {
	t.Helper()
	want := map[string]string{}
	for _, archived := range []bool{false, true} {
		err := hs.List(context.Background(), "contacts", hubspot.ListOptions{Properties: []string{"jobtitle"}, Archived: archived}, func(objs []hubspot.Object) error {
			for _, o := range objs {
				v, _ := o.Value("jobtitle")
				want[o.ID] = fmt.Sprint(v, " archived=", o.Archived)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	compareView(t, currentView(t, store, seed.HubSpot, "contacts"), want, "jobtitle", night, "hubspot")
}

func checkSalesforceView(t *testing.T, store lake.Store, sf *salesforce.Client, night int) {
	t.Helper()
	want := map[string]string{}
	err := sf.Query(context.Background(), "SELECT Id, Title, IsDeleted FROM Contact", salesforce.QueryOptions{All: true}, func(recs []salesforce.Record) error {
		for _, r := range recs {
			id, _ := salesforce.String(r["Id"])
			title, _ := salesforce.String(r["Title"])
			want[id] = fmt.Sprint(title, " archived=", r["IsDeleted"])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	compareView(t, currentView(t, store, seed.Salesforce, "Contact"), want, "Title", night, "salesforce")
}

func compareView(t *testing.T, v view, want map[string]string, col string, night int, sys string) {
	t.Helper()
	var bad []string
	for id, w := range want {
		got := v.get(id, col) + " archived=" + v.get(id, extract.ColArchived)
		if _, ok := v[id]; !ok {
			got = "missing"
		}
		if got != w {
			bad = append(bad, fmt.Sprintf("%s: got %q want %q", id, got, w))
		}
	}
	if len(v) != len(want) {
		bad = append(bad, fmt.Sprintf("view holds %d records, the CRM %d", len(v), len(want)))
	}
	if len(bad) > 0 {
		if len(bad) > 5 {
			bad = bad[:5]
		}
		t.Fatalf("night %d %s: %d differences: %s", night, sys, len(bad), strings.Join(bad, "; "))
	}
}
