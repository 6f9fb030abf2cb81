package extract_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/seed"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
	"github.com/crmhub/crmhub/transform"
)

// TestSalesforceIncrementalDeletesAndTypes: describe types land typed
// (currency, int, date, boolean, reference, custom __c) and read back as
// canonical text; a record deleted after the first run comes back through
// queryAll with IsDeleted; a new custom field is reported and carried.
func TestSalesforceIncrementalDeletesAndTypes(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	sim, sf := salesforceEnv(t, simsf.Options{Now: clk.now})
	t0 := clk.t.Add(-time.Hour)
	if err := sim.Load("Account", []seed.Record{{Values: map[string]string{"Name": "Acme", "AnnualRevenue": "1250000.50", "NumberOfEmployees": "42"}, UpdatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	id := sfIDs(t, sf, "Account")[0]
	var contacts []seed.Record
	for i := range 450 {
		contacts = append(contacts, seed.Record{Values: map[string]string{"LastName": fmt.Sprint("L", i),
			"AccountId": id, "Birthdate": "1980-02-29"}, UpdatedAt: t0.Add(-time.Duration(450-i) * time.Minute)})
	}
	if err := sim.Load("Contact", contacts); err != nil {
		t.Fatal(err)
	}
	for i, cid := range sfIDs(t, sf, "Contact") {
		contacts[i].ID = cid
	}
	var sources []extract.Source
	for _, obj := range []string{"Account", "Contact"} {
		sources = append(sources, extract.SalesforceSource{Client: sf, Obj: obj, Now: clk.now})
	}
	store := localLake(t)
	opts := extract.Options{Store: store, RunID: "run-1", Sources: sources, Overlap: time.Minute, TempDir: t.TempDir(), Now: clk.now, Logger: quiet}
	res := runExtract(t, opts)
	if r := res["Contact"]; r.Records != 450 || r.Expected != 450 || len(r.Invalid) != 0 {
		t.Fatalf("full: %+v", r)
	}
	a := currentView(t, store, seed.Salesforce, "Account")
	if got := a.get(id, "AnnualRevenue") + "|" + a.get(id, "NumberOfEmployees"); got != "1250000.5|42" {
		t.Errorf("account numbers as text: %s", got)
	}
	c := currentView(t, store, seed.Salesforce, "Contact")
	cid := contacts[7].ID
	if got := c.get(cid, "Birthdate") + "|" + c.get(cid, "AccountId") + "|" + c.get(cid, "_archived"); got != "1980-02-29|"+id+"|false" {
		t.Errorf("contact: %s", got)
	}

	clk.t = clk.t.Add(time.Hour)
	if err := sf.CreateCustomField(ctx, "Contact", "Tier", "Tier", 20, false, false); err != nil {
		t.Fatal(err)
	}
	if r, err := sf.Update(ctx, "Contact", []salesforce.Record{{"Id": contacts[1].ID, "Title": "Edited", "Tier__c": "Gold"}}, true); err != nil || !r[0].Success {
		t.Fatalf("update: %v %+v", err, r)
	}
	if r, err := sf.Delete(ctx, []string{contacts[2].ID}, true); err != nil || !r[0].Success {
		t.Fatalf("delete: %v %+v", err, r)
	}
	opts.RunID = "run-2"
	res = runExtract(t, opts)
	r := res["Contact"]
	// one edit, one delete, and the two records stamped within the overlap
	// of the first run's cursor (the newest record)
	if r.Mode != extract.ModeIncremental || r.Records != 4 || r.Expected != 4 {
		t.Errorf("incremental: mode %s records %d expected %d, want 4", r.Mode, r.Records, r.Expected)
	}
	if len(r.SchemaChanges) != 1 || r.SchemaChanges[0].Field != "Tier__c" || r.SchemaChanges[0].Change != "added" {
		t.Errorf("schema changes %+v", r.SchemaChanges)
	}
	if r.Calls["deleted"].Calls != 1 {
		t.Errorf("calls %+v: want one deleted-window call", r.Calls)
	}
	c = currentView(t, store, seed.Salesforce, "Contact")
	if len(c) != 450 || c.get(contacts[1].ID, "Title") != "Edited" || c.get(contacts[1].ID, "Tier__c") != "Gold" ||
		c.get(contacts[2].ID, "_archived") != "true" || c.get(contacts[3].ID, "_archived") != "false" {
		t.Errorf("current view: %d ids, %v / %v", len(c), c[contacts[1].ID], c[contacts[2].ID])
	}
}

// TestFieldTypeChangeBetweenRuns: a field landed as a number in one run
// and as text in the next (its type changed in the CRM) reads from each
// file in its own type; the later value wins, and ties between two rows
// of one record with equal times go to the later extract.
func TestFieldTypeChangeBetweenRuns(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write := func(name string, typ string, extracted time.Time, rows []extract.Row) string {
		p := filepath.Join(dir, name)
		w, err := extract.NewTypedRawWriter(p, []extract.Column{{Name: "x", Type: typ}}, name, extracted)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f1 := write("r1", extract.TypeDecimal, t0, []extract.Row{
		{ID: "a", UpdatedAt: t0, Values: map[string]string{"x": "1.50"}},
		{ID: "b", UpdatedAt: t0, Values: map[string]string{"x": "2"}},
		{ID: "c", UpdatedAt: t0, Values: map[string]string{"x": "3e2"}},
		// same record twice in one file with one time: the later row wins
		{ID: "d", UpdatedAt: t0, Values: map[string]string{"x": "4"}},
		{ID: "d", UpdatedAt: t0, Values: map[string]string{"x": "5"}},
	})
	f2 := write("r2", extract.TypeString, t0.Add(time.Hour), []extract.Row{
		{ID: "b", UpdatedAt: t0, Values: map[string]string{"x": "two"}},
	})
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := transform.Prepare(context.Background(), db, transform.Inputs{Raw: map[string][]string{"raw_x": {f1, f2}}, TempDir: dir}); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.QueryRow(`SELECT string_agg(_id || '=' || x, ',' ORDER BY _id) FROM raw_x`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "a=1.5,b=two,c=300,d=5" {
		t.Errorf("got %s", got)
	}
}

func sfIDs(t *testing.T, sf *salesforce.Client, obj string) []string {
	t.Helper()
	var ids []string
	err := sf.Query(context.Background(), "SELECT Id FROM "+obj+" ORDER BY Id", salesforce.QueryOptions{}, func(recs []salesforce.Record) error {
		for _, r := range recs {
			s, _ := salesforce.String(r["Id"])
			ids = append(ids, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
