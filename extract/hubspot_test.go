package extract_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/seed"
	simhs "github.com/crmhub/crmhub/sim/hubspot"
)

// TestHubSpotIncrementalCompleteness: 12,345 contacts share one
// modification time (13,000 older ones keep the incremental run on search
// rather than a full list), so the incremental search must get past the 10,000
// cap by hs_object_id without looping or dropping; between the runs a
// contact is archived, two are merged (the merged-away ids become
// tombstones pointing at the new record), five are edited, a custom
// property appears, and a deal gains a contact association. A number
// property holding a legacy non-number keeps it as text and reports it.
func TestHubSpotIncrementalCompleteness(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	sim, hs := hubspotEnv(t, simhs.Options{Now: clk.now})
	if _, err := hs.CreateProperty(ctx, "contacts", hubspot.Property{Name: "score", Label: "Score", Type: "number", FieldType: "number", GroupName: "contactinformation"}); err != nil {
		t.Fatal(err)
	}
	const n = 12_345
	t0 := clk.t.Add(-time.Hour)
	recs := make([]seed.Record, n)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@example.com", i), "firstname": "P" + strconv.Itoa(i)},
			CreatedAt: t0, UpdatedAt: t0}
	}
	recs[0].Values["score"] = "12.50"
	recs[1].Values["score"] = "n/a"
	const old = 13_000
	for i := range old {
		at := t0.Add(-24 * time.Hour)
		recs = append(recs, seed.Record{Values: map[string]string{"email": fmt.Sprintf("old%d@example.com", i)}, CreatedAt: at, UpdatedAt: at})
	}
	if err := sim.Load("contacts", recs); err != nil {
		t.Fatal(err)
	}
	if err := sim.Load("companies", []seed.Record{{ID: "900", Values: map[string]string{"name": "Acme"}, UpdatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Load("deals", []seed.Record{{ID: "800", Values: map[string]string{"dealname": "Big", "amount": "1500.50", "associatedcompanyid": "900"}, UpdatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	ids := contactIDs(t, hs)
	if len(ids) != n+old {
		t.Fatalf("simulator holds %d contacts", len(ids))
	}
	var sources []extract.Source
	for _, obj := range seed.HubSpotObjects {
		sources = append(sources, extract.HubSpotSource{Client: hs, Obj: obj})
	}
	store := localLake(t)
	opts := extract.Options{Store: store, RunID: "run-1", Sources: sources, Overlap: time.Minute, TempDir: t.TempDir(), Now: clk.now, Logger: quiet}
	res := runExtract(t, opts)
	if r := res["contacts"]; r.Mode != extract.ModeFull || r.Records != n+old || r.Invalid["score"] != 1 || len(r.InvalidSamples) != 1 || r.InvalidSamples[0].Record != ids[1] {
		t.Fatalf("full run: %+v", r)
	}
	v := currentView(t, store, seed.HubSpot, "contacts")
	if got := v.get(ids[0], "score") + "|" + v.get(ids[1], "score") + "|" + v.get(ids[2], "score"); got != "12.5|n/a|<null>" {
		t.Errorf("typed number as text: %s", got)
	}
	if got := v.get(ids[0], "createdate"); got != t0.Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("datetime as text: %s", got)
	}

	// An hour later: edits, an archive, a merge, a new property, an association.
	clk.t = clk.t.Add(time.Hour)
	var inputs []hubspot.BatchInput
	for _, id := range ids[10:15] {
		inputs = append(inputs, hubspot.BatchInput{ID: id, Properties: map[string]string{"jobtitle": "Edited"}})
	}
	if br, err := hs.BatchUpdate(ctx, "contacts", inputs); err != nil || len(br.Errors) > 0 {
		t.Fatalf("update: %v %+v", err, br)
	}
	if _, err := hs.BatchArchive(ctx, "contacts", []string{ids[20]}); err != nil {
		t.Fatal(err)
	}
	merged, err := hs.Merge(ctx, "contacts", ids[30], ids[31])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hs.CreateProperty(ctx, "contacts", hubspot.Property{Name: "favorite_color", Label: "Color", Type: "string", FieldType: "text", GroupName: "contactinformation"}); err != nil {
		t.Fatal(err)
	}
	if br, err := hs.CreateAssociations(ctx, "deals", "contacts", []hubspot.AssociationPair{{FromID: "800", ToID: ids[40], TypeID: 3}}); err != nil || len(br.Errors) > 0 {
		t.Fatalf("associate: %v %+v", err, br)
	}
	if br, err := hs.BatchUpdate(ctx, "deals", []hubspot.BatchInput{{ID: "800", Properties: map[string]string{"dealstage": "closedwon"}}}); err != nil || len(br.Errors) > 0 {
		t.Fatalf("deal update: %v %+v", err, br)
	}

	opts.RunID = "run-2"
	res = runExtract(t, opts)
	r := res["contacts"]
	// every live record (all share the cursor's time, inside the overlap),
	// the archived one, and a tombstone per merged-away id
	live := n - 1 - 2 + 1
	if r.Mode != extract.ModeIncremental || r.Records != int64(live+1+2) || r.Tombstones != 2 || r.Expected != int64(live) {
		t.Errorf("incremental run: mode %s records %d tombstones %d expected %d; want %d records",
			r.Mode, r.Records, r.Tombstones, r.Expected, live+3)
	}
	if len(r.SchemaChanges) != 1 || r.SchemaChanges[0].Field != "favorite_color" || r.SchemaChanges[0].Change != "added" {
		t.Errorf("schema changes %+v", r.SchemaChanges)
	}
	if c := r.Calls["search"]; c.Calls < live/200 || c.Errors != 0 {
		t.Errorf("search calls %+v", c)
	}
	v = currentView(t, store, seed.HubSpot, "contacts")
	if len(v) != n+old+1 {
		t.Errorf("current view holds %d ids, want %d", len(v), n+old+1)
	}
	for _, id := range ids[10:15] {
		if v.get(id, "jobtitle") != "Edited" {
			t.Errorf("edit of %s missing", id)
		}
	}
	if v.get(ids[20], "_archived") != "true" {
		t.Errorf("archived contact %s: %v", ids[20], v.get(ids[20], "_archived"))
	}
	for _, id := range ids[30:32] {
		if v.get(id, "_archived") != "true" || v.get(id, "_merged_into") != merged.ID {
			t.Errorf("merged-away %s: archived %s merged_into %s, want true and %s", id, v.get(id, "_archived"), v.get(id, "_merged_into"), merged.ID)
		}
	}
	if v.get(merged.ID, "_archived") != "false" || v.get(merged.ID, "email") == "<null>" {
		t.Errorf("merged record %s: %v", merged.ID, v[merged.ID])
	}
	d := currentView(t, store, seed.HubSpot, "deals")
	if got := d.get("800", "_assoc_companies") + "|" + d.get("800", "_assoc_contacts") + "|" + d.get("800", "amount"); got != "900|"+ids[40]+"|1500.5" {
		t.Errorf("deal associations and amount: %s", got)
	}
}

func contactIDs(t *testing.T, hs *hubspot.Client) []string {
	t.Helper()
	var ids []string
	err := hs.List(context.Background(), "contacts", hubspot.ListOptions{Properties: []string{"email"}}, func(objs []hubspot.Object) error {
		for _, o := range objs {
			ids = append(ids, o.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func runExtract(t *testing.T, opts extract.Options) map[string]extract.Result {
	t.Helper()
	res, err := extract.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]extract.Result{}
	for _, r := range res {
		out[r.Object] = r
	}
	return out
}

// TestHubSpotIncrementalListsWhenMostChanged: when most records changed
// since the last run (the night after a first sync wrote cross-system ids
// everywhere), the incremental run lists the object instead of searching
// it, and still lands exactly the changed and archived records.
func TestHubSpotIncrementalListsWhenMostChanged(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	sim, hs := hubspotEnv(t, simhs.Options{Now: clk.now})
	const n = 3_000
	t0 := clk.t.Add(-time.Hour)
	recs := make([]seed.Record, n)
	for i := range recs {
		at := t0.Add(-24 * time.Hour) // older than the cursor, but for the last one
		if i == n-1 {
			at = t0
		}
		recs[i] = seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@example.com", i)}, CreatedAt: at, UpdatedAt: at}
	}
	if err := sim.Load("contacts", recs); err != nil {
		t.Fatal(err)
	}
	ids := contactIDs(t, hs)
	store := localLake(t)
	opts := extract.Options{Store: store, RunID: "run-1", Sources: []extract.Source{extract.HubSpotSource{Client: hs, Obj: "contacts"}},
		Overlap: time.Minute, TempDir: t.TempDir(), Now: clk.now, Logger: quiet}
	runExtract(t, opts)

	// A day later two thirds are edited and one is archived.
	clk.t = clk.t.Add(24 * time.Hour)
	const edited = 2_000
	for lo := 0; lo < edited; lo += 100 {
		var inputs []hubspot.BatchInput
		for _, id := range ids[lo : lo+100] {
			inputs = append(inputs, hubspot.BatchInput{ID: id, Properties: map[string]string{"jobtitle": "Edited"}})
		}
		if br, err := hs.BatchUpdate(ctx, "contacts", inputs); err != nil || len(br.Errors) > 0 {
			t.Fatalf("update: %v %+v", err, br)
		}
	}
	if _, err := hs.BatchArchive(ctx, "contacts", []string{ids[n-1]}); err != nil {
		t.Fatal(err)
	}
	opts.RunID = "run-2"
	r := runExtract(t, opts)["contacts"]
	if r.Mode != extract.ModeIncremental || r.Records != edited+1 || r.Expected != edited {
		t.Errorf("incremental run: mode %s records %d expected %d; want %d records, %d expected", r.Mode, r.Records, r.Expected, edited+1, edited)
	}
	// two one-record searches count the changes; the rest is list pages
	if s, l := r.Calls["search"].Calls, r.Calls["list"].Calls; s != 2 || l < n/100 {
		t.Errorf("calls: search %d list %d, want 2 and at least %d", s, l, n/100)
	}
	v := currentView(t, store, seed.HubSpot, "contacts")
	if len(v) != n {
		t.Errorf("current view holds %d ids, want %d", len(v), n)
	}
	for i, id := range ids {
		want := "<null>"
		if i < edited {
			want = "Edited"
		}
		if got := v.get(id, "jobtitle"); got != want {
			t.Fatalf("contact %s jobtitle %q, want %q", id, got, want)
		}
	}
	if v.get(ids[n-1], "_archived") != "true" {
		t.Errorf("archived contact %s not archived in the view", ids[n-1])
	}
}
