package cycle_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/sim/fault"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// bulkCall is one Bulk API 2.0 ingest request and its answer, as sent over
// the socket.
type bulkCall struct {
	method, path string
	reqBody      string
	status       int
	respBody     string
}

// bulkRecorder is an http.RoundTripper that passes every request to the
// real transport and keeps the Bulk API 2.0 ingest exchanges.
type bulkRecorder struct {
	mu    sync.Mutex
	calls []bulkCall
}

func (r *bulkRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.Contains(req.URL.Path, "/jobs/ingest") {
		return http.DefaultTransport.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	r.mu.Lock()
	r.calls = append(r.calls, bulkCall{req.Method, req.URL.Path, string(reqBody), resp.StatusCode, string(respBody)})
	r.mu.Unlock()
	return resp, nil
}

func (r *bulkRecorder) take() []bulkCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

// bulkJob is what the recorded exchanges say about one ingest job.
type bulkJob struct {
	id, object, operation, extField string
	states                          []string
	upload                          [][]string // CSV rows, header first
	success, failed                 [][]string
}

func parseCSVText(t *testing.T, s string) [][]string {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		return nil
	}
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV %q: %v", s, err)
	}
	return rows
}

// jobsOf groups the recorded exchanges per job, in creation order.
func jobsOf(t *testing.T, calls []bulkCall) []*bulkJob {
	t.Helper()
	var jobs []*bulkJob
	byID := map[string]*bulkJob{}
	for _, c := range calls {
		if c.status >= 300 {
			t.Fatalf("%s %s answered %d: %s", c.method, c.path, c.status, c.respBody)
		}
		parts := strings.Split(strings.Trim(c.path, "/"), "/")
		i := slices.Index(parts, "ingest")
		if i+1 >= len(parts) { // job creation
			var spec, info map[string]any
			_ = json.Unmarshal([]byte(c.reqBody), &spec)
			_ = json.Unmarshal([]byte(c.respBody), &info)
			j := &bulkJob{id: fmt.Sprint(info["id"]), object: fmt.Sprint(spec["object"]), operation: fmt.Sprint(spec["operation"]),
				states: []string{fmt.Sprint(info["state"])}}
			if v, ok := spec["externalIdFieldName"]; ok {
				j.extField = fmt.Sprint(v)
			}
			jobs = append(jobs, j)
			byID[j.id] = j
			continue
		}
		j := byID[parts[i+1]]
		if j == nil {
			t.Fatalf("%s %s: unknown job", c.method, c.path)
		}
		switch {
		case i+2 == len(parts): // close (PATCH) or poll (GET): the job info
			var info map[string]any
			_ = json.Unmarshal([]byte(c.respBody), &info)
			j.states = append(j.states, fmt.Sprint(info["state"]))
		case parts[i+2] == "batches":
			j.upload = parseCSVText(t, c.reqBody)
		case parts[i+2] == "successfulResults":
			j.success = parseCSVText(t, c.respBody)
		case parts[i+2] == "failedResults":
			j.failed = parseCSVText(t, c.respBody)
		}
	}
	return jobs
}

// bulkData: 40 HubSpot contacts with no Salesforce record (the default
// create rule makes each a Lead) and 30 people in both CRMs whose HubSpot
// phone is the newer value (each Salesforce Contact gets the phone).
func bulkData() *seed.Dataset {
	firsts := []string{"Ada", "Bela", "Cleo", "Dara", "Emil", "Fern", "Gil", "Hana", "Ivo", "Juno"}
	lasts := []string{"Abbott", "Brandt", "Castillo", "Dvorak", "Eklund", "Fischer", "Gallo"}
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	newer := old.Add(24 * time.Hour)
	d := seed.NewDataset()
	for i := range 70 {
		first, last := firsts[i%len(firsts)], lasts[i/len(firsts)]
		email := strings.ToLower(first+"."+last) + "@bulk.test"
		hsPhone := fmt.Sprintf("+1 503 555 %04d", 1000+i)
		d.Add(seed.HubSpot, "contacts", seed.Record{ID: fmt.Sprint(1000 + i), CreatedAt: old, UpdatedAt: newer,
			Values: map[string]string{"email": email, "firstname": first, "lastname": last, "phone": hsPhone}})
		if i >= 40 {
			d.Add(seed.Salesforce, "Contact", seed.Record{ID: fmt.Sprintf("003000000001%03dAAA", i), CreatedAt: old, UpdatedAt: old,
				Values: map[string]string{"Email": email, "FirstName": first, "LastName": last, "Phone": fmt.Sprintf("+1 971 555 %04d", 1000+i)}})
		}
	}
	return d
}

// TestBulkLoadThroughCycle: with load.bulk_threshold 10, the first run's
// 40 Lead creates and 30 Contact updates go to Salesforce through two Bulk
// API 2.0 ingest jobs (upsert on Crmhub_Golden_Id__c, update by Id), over
// real sockets. The simulator fails a share of rows (UNABLE_TO_LOCK_ROW,
// deterministic); those rows land in sync_errors with the API's code, the
// others are in the simulator; later runs retry the failures until none is
// left, and no Lead is ever created twice, also when a create job is sent
// again as a retry after a timeout would.
func TestBulkLoadThroughCycle(t *testing.T) {
	ctx := context.Background()
	sims, err := demo.StartSims(bulkData(), demo.SimConfig{Logger: slog.New(slog.DiscardHandler),
		SalesforceFaults: fault.Config{Seed: 3, RecordFailure: 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	defer sims.Close()
	rec := &bulkRecorder{}
	hs, err := hubspot.New(hubspot.Config{BaseURL: sims.HubSpotURL, Token: "test-token", RequestsPer10s: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := salesforce.New(salesforce.Config{LoginURL: sims.SalesforceURL, ClientID: "test-client", ClientSecret: "test-secret",
		BulkPollInterval: 10 * time.Millisecond, HTTPClient: &http.Client{Transport: rec, Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := pipelines.Default()
	p.Load.BulkThreshold = 10
	// an explicit rule: a field without one is not written today (see
	// testdata/scenarios/conflict_most_recent_vs_owner/README.md)
	p.Golden.Rules = append(p.Golden.Rules, pipelines.FieldRule{Entity: "person", Field: "phone", Rule: "most_recent"})
	target := &load.SalesforceTarget{Client: sf, Batch: 200}
	cfg := cycle.Config{Store: store, Pipeline: p, Models: sqlmodels.Models, Sources: demo.Sources(hs, sf),
		Targets: []load.Target{&load.HubSpotTarget{Client: hs, Batch: 100}, target},
		Approve: "test: first sync", WorkDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}

	rep, err := cycle.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	jobs := jobsOf(t, rec.take())
	if len(jobs) != 2 {
		t.Fatalf("%d ingest jobs, want 2 (Contact update, Lead upsert): %+v", len(jobs), jobs)
	}
	var sfRes load.Result
	for _, l := range rep.Load {
		if l.System == "salesforce" {
			sfRes = l
		}
	}
	if sfRes.Bulk != 70 || sfRes.Batches != 2 {
		t.Errorf("salesforce load: %d records through bulk in %d calls, want 70 in 2: %+v", sfRes.Bulk, sfRes.Batches, sfRes)
	}
	failed := map[string]string{} // outbox record id -> error code
	for _, j := range jobs {
		want := map[string]string{"Contact": "update", "Lead": "upsert"}[j.object]
		if j.operation != want || (j.object == "Lead") != (j.extField == load.GoldenIDField) {
			t.Errorf("job %s: %s %s on %q", j.id, j.operation, j.object, j.extField)
		}
		// documented states, as the polls saw them
		if !slices.Equal(j.states, []string{"Open", "UploadComplete", "InProgress", "JobComplete"}) {
			t.Errorf("job %s states %q", j.id, j.states)
		}
		header, rows := j.upload[0], j.upload[1:]
		wantRows := map[string]int{"Contact": 30, "Lead": 40}[j.object]
		if len(rows) != wantRows || len(j.success)-1+len(j.failed)-1 != wantRows {
			t.Errorf("job %s %s: %d rows uploaded, %d succeeded, %d failed, want %d", j.id, j.object, len(rows), len(j.success)-1, len(j.failed)-1, wantRows)
		}
		switch j.object {
		case "Contact":
			if !slices.Equal(header, []string{"Id", "HubSpot_Id__c", "Phone"}) {
				t.Errorf("Contact CSV header %q", header)
			}
		case "Lead":
			for _, col := range []string{load.GoldenIDField, "Email", "FirstName", "LastName", "Phone", "Company", "HubSpot_Id__c"} {
				if !slices.Contains(header, col) {
					t.Errorf("Lead CSV header %q lacks %s", header, col)
				}
			}
		}
		if len(j.failed) < 2 {
			t.Errorf("job %s: no failed row (the simulator fails 20%%): the failure path is not exercised", j.id)
			continue
		}
		key := slices.Index(j.failed[0], "Id")
		if j.object == "Lead" {
			key = slices.Index(j.failed[0], load.GoldenIDField)
		}
		for _, row := range j.failed[1:] {
			code, _, _ := strings.Cut(row[1], ":")
			id := row[key]
			if j.object == "Lead" {
				id = "new:" + id
			}
			failed[id] = code
		}
	}

	// the failed rows are the run's sync_errors, with the API's code
	errs := publishedRows(t, store, "sync_errors", `SELECT record_id, code FROM sync_errors WHERE system = 'salesforce'`)
	gotErrs := map[string]string{}
	for _, r := range errs {
		gotErrs[r[0]] = r[1]
	}
	if fmt.Sprint(gotErrs) != fmt.Sprint(failed) {
		t.Errorf("sync_errors = %v\nfailedResults = %v", gotErrs, failed)
	}
	for id, code := range failed {
		if code != "UNABLE_TO_LOCK_ROW" {
			t.Errorf("%s failed with %s", id, code)
		}
	}
	// what succeeded is in the simulator, what failed is not
	hsPhone := map[string]string{}
	for _, r := range sims.HubSpot.Snapshot()["contacts"] {
		hsPhone[r.Values["email"]] = r.Values["phone"]
	}
	for _, r := range sims.Salesforce.Snapshot()["Contact"] {
		_, bad := failed[r.ID]
		if got := r.Values["Phone"] == hsPhone[r.Values["Email"]]; got == bad {
			t.Errorf("Contact %s (failed %v): Phone %q, HubSpot %q", r.ID, bad, r.Values["Phone"], hsPhone[r.Values["Email"]])
		}
	}
	leads := sims.Salesforce.Snapshot()["Lead"]
	if failedLeads := countPrefix(failed, "new:"); len(leads) != 40-failedLeads {
		t.Errorf("%d Leads after run 1, want %d (40 minus %d failed)", len(leads), 40-failedLeads, failedLeads)
	}

	// later nights retry the failures (the simulator keeps failing a share)
	for run := 2; run <= 6 && len(gotErrs) > 0; run++ {
		cfg.Approve = fmt.Sprintf("test: retry %d", run)
		if _, err := cycle.Run(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		gotErrs = map[string]string{}
		for _, r := range publishedRows(t, store, "sync_errors", `SELECT record_id, code FROM sync_errors
			WHERE system = 'salesforce' AND retry_state IN ('pending_retry', 'stuck')`) { // older rows are resolved or retried
			gotErrs[r[0]] = r[1]
		}
		t.Logf("run %d: %d salesforce records still failing", run, len(gotErrs))
	}
	if len(gotErrs) > 0 {
		t.Errorf("records still failing after 6 runs: %v", gotErrs)
	}
	leads = sims.Salesforce.Snapshot()["Lead"]
	golden := map[string]int{}
	for _, l := range leads {
		golden[l.Values[load.GoldenIDField]]++
	}
	if len(leads) != 40 || len(golden) != 40 {
		t.Errorf("%d Leads with %d golden ids after the retries, want 40 and 40", len(leads), len(golden))
	}

	// a create job sent again (as after a timeout): upserts on the golden
	// id, so it creates nothing
	rec.take()
	var again []load.Change
	for _, l := range leads {
		again = append(again, load.Change{System: "salesforce", Object: "Lead", RecordID: "new:" + l.Values[load.GoldenIDField],
			Kind: load.KindCreate, Values: map[string]string{load.GoldenIDField: l.Values[load.GoldenIDField],
				"LastName": l.Values["LastName"], "Company": l.Values["Company"], "Email": l.Values["Email"]}})
	}
	if err := target.Prepare(ctx, map[string][]string{"Lead": {load.GoldenIDField, "LastName", "Company", "Email"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := target.ApplyBulk(ctx, "Lead", again); err != nil {
		t.Fatal(err)
	}
	if n := len(sims.Salesforce.Snapshot()["Lead"]); n != 40 {
		t.Errorf("%d Leads after the create job was sent again, want 40", n)
	}
	for _, j := range jobsOf(t, rec.take()) {
		created := slices.Index(j.success[0], "sf__Created")
		for _, row := range j.success[1:] {
			if row[created] != "false" {
				t.Errorf("replayed job %s created %v", j.id, row)
			}
		}
	}
}

func countPrefix(m map[string]string, prefix string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

// publishedRows runs query over the last run's published table.
func publishedRows(t *testing.T, store lake.Store, table, query string) [][]string {
	t.Helper()
	ctx := context.Background()
	latest, err := cycle.ReadLatest(ctx, store)
	if err != nil || latest == nil {
		t.Fatalf("no published run: %v", err)
	}
	path, err := store.LocalPath(ctx, latest.Tables[table])
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// a view cannot take a parameter; the path is ours, quoted as a literal
	if _, err := db.Exec(`CREATE VIEW ` + table + ` AS SELECT * FROM read_parquet('` + strings.ReplaceAll(path, "'", "''") + `')`); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out
}
