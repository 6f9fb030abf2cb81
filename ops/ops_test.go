package ops_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/ops"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// fixture is a lake after one run against both simulators.
type fixture struct {
	store lake.Store
	p     *pipelines.Pipeline
	hs    *hubspot.Client
	sf    *salesforce.Client
	sims  *demo.Sims
	rep   *cycle.Report
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	d := gen.Generate(gen.Options{People: 300, Seed: 11, Now: time.Now()})
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: "tok", SalesforceClientID: "cid", SalesforceClientSecret: "sec"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sims.Close)
	f := &fixture{sims: sims, p: pipelines.Default()}
	if f.hs, err = hubspot.New(hubspot.Config{BaseURL: sims.HubSpotURL, Token: "tok", RequestsPer10s: 100_000, SearchPerSecond: 1000}); err != nil {
		t.Fatal(err)
	}
	if f.sf, err = salesforce.New(salesforce.Config{LoginURL: sims.SalesforceURL, ClientID: "cid", ClientSecret: "sec"}); err != nil {
		t.Fatal(err)
	}
	if f.store, err = lake.OpenLocal(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	f.rep = f.run(t)
	_ = ctx
	return f
}

func (f *fixture) run(t *testing.T) *cycle.Report {
	t.Helper()
	rep, err := cycle.Run(context.Background(), cycle.Config{Store: f.store, Pipeline: f.p, Models: sqlmodels.Models,
		Sources: demo.Sources(f.hs, f.sf), Approve: "test", WorkDir: t.TempDir(),
		Targets: []load.Target{&load.HubSpotTarget{Client: f.hs, Batch: 100}, &load.SalesforceTarget{Client: f.sf, Batch: 200}},
		APIStats: func() map[string]cycle.APIStats {
			var h, s cycle.APIStats
			for _, e := range f.hs.Calls() {
				h.Calls += int64(e.Calls)
				h.Latency += e.Latency
			}
			for _, e := range f.sf.Calls() {
				s.Calls += int64(e.Count)
				s.Latency += e.Latency
			}
			return map[string]cycle.APIStats{"hubspot": h, "salesforce": s}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestMetricsExportAndPush(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// the next night: a person created again in HubSpot (a duplicate)
	// and an ordinary new one
	var orig map[string]string
	for _, r := range f.sims.Salesforce.Snapshot()["Contact"] {
		if r.Values["Email"] != "" && r.Values["FirstName"] != "" && r.Values["LastName"] != "" {
			orig = r.Values
			break
		}
	}
	// the same person entered again in Salesforce, and someone new
	if _, err := f.sf.Create(ctx, "Contact", []salesforce.Record{
		{"Email": orig["Email"], "FirstName": orig["FirstName"], "LastName": orig["LastName"], "Phone": orig["Phone"], "AccountId": orig["AccountId"]},
		{"Email": "brand.new.person@example.org", "FirstName": "Brand", "LastName": "Newperson"},
	}, true); err != nil {
		t.Fatal(err)
	}
	rep := f.run(t)
	m, err := ops.Collect(ctx, f.store, "nightly", rep, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != "succeeded" || m.RecordsExtracted["hubspot"] == 0 || m.API["hubspot"].Calls == 0 {
		t.Errorf("metrics %+v", m)
	}
	if m.NewRecords < 2 || m.DuplicatesCreated < 1 || m.DuplicateRate <= 0 {
		t.Errorf("new %d, duplicates created %d, rate %.2f; want the re-created contact counted", m.NewRecords, m.DuplicatesCreated, m.DuplicateRate)
	}

	// a Pushgateway stand-in on a real socket
	var mu sync.Mutex
	var gotPath, gotBody, gotType string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotPath, gotBody, gotType = r.Method+" "+r.URL.Path, string(b), r.Header.Get("Content-Type")
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer gw.Close()
	file := filepath.Join(t.TempDir(), "crmhub.prom")
	if err := m.Export(ctx, f.store, file, gw.URL, "crmhub"); err != nil {
		t.Fatal(err)
	}
	if gotPath != "PUT /metrics/job/crmhub/pipeline/nightly" || gotBody == "" || gotType == "" {
		t.Errorf("pushgateway got %q (%s, %d bytes)", gotPath, gotType, len(gotBody))
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(text)))
	if err != nil {
		t.Fatalf("metrics file does not parse: %v", err)
	}
	for _, name := range []string{"crmhub_sync_success_rate", "crmhub_sync_error_rate", "crmhub_api_latency_seconds", "crmhub_records_extracted",
		"crmhub_records_changed", "crmhub_records_pushed", "crmhub_duplicate_creation_rate", "crmhub_error_queue_depth",
		"crmhub_validation_failures", "crmhub_review_queue_depth", "crmhub_step_seconds"} {
		if families[name] == nil {
			t.Errorf("metric %s missing", name)
		}
	}
	if _, err := lake.ReadAll(ctx, f.store, "runs/"+rep.RunID+"/metrics.prom"); err != nil {
		t.Errorf("metrics not kept in the lake: %v", err)
	}
}

func TestAlertsOncePerChangeToWebhook(t *testing.T) {
	ctx := context.Background()
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []map[string]any
	failing := false
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		var body map[string]any
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		got = append(got, body)
	}))
	defer recv.Close()
	cfg := pipelines.Default().Alerts
	n := &ops.Notifier{Store: store, WebhookURL: recv.URL, Pipeline: "nightly"}

	base := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
	normal := func(i int) *ops.RunMetrics {
		return &ops.RunMetrics{RunID: base.AddDate(0, 0, i).Format("20060102"), Status: "succeeded", SyncErrorRate: 0.01,
			RecordsExtracted: map[string]int64{"hubspot": 1000, "salesforce": 900}, NewRecords: 100, DuplicateRate: 0.01, ReviewQueueDepth: 40}
	}
	var history []ops.RunMetrics
	for i := range 5 {
		history = append(history, *normal(i))
	}
	send := func(m *ops.RunMetrics) []ops.Notification {
		t.Helper()
		sent, err := n.Notify(ctx, m.RunID, base, ops.Evaluate(cfg, 0.95, history, m))
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, *m)
		return sent
	}
	if sent := send(normal(5)); len(sent) != 0 {
		t.Fatalf("a normal run sent %v", sent)
	}
	bad := normal(6)
	bad.SyncErrorRate, bad.RecordsExtracted = 0.2, map[string]int64{"hubspot": 100}
	bad.DuplicateRate, bad.ReviewQueueDepth = 0.3, 400
	sent := send(bad)
	firing := map[string]bool{}
	for _, s := range sent {
		firing[s.Alert] = s.Status == "firing"
	}
	for _, a := range []string{ops.AlertErrorRate, ops.AlertVolumeDrop, ops.AlertDuplicates, ops.AlertReviewQueue} {
		if !firing[a] {
			t.Errorf("%s did not fire: %v", a, sent)
		}
	}
	// the same anomaly again: nothing new is sent
	again := normal(7)
	again.SyncErrorRate, again.RecordsExtracted, again.DuplicateRate, again.ReviewQueueDepth = 0.2, map[string]int64{"hubspot": 100}, 0.3, 400
	if sent := send(again); len(sent) != 0 {
		t.Errorf("a still-firing alert was sent again: %v", sent)
	}
	// the receiver is down when things recover: the change is kept for the next run
	mu.Lock()
	failing = true
	mu.Unlock()
	if _, err := n.Notify(ctx, "x", base, ops.Evaluate(cfg, 0.95, history, normal(8))); err == nil {
		t.Error("a failing webhook gave no error")
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	sent = send(normal(9))
	if len(sent) != 4 {
		t.Errorf("recovery sent %d notifications, want 4 resolved", len(sent))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 8 {
		t.Fatalf("receiver got %d bodies, want 4 firing + 4 resolved", len(got))
	}
	for _, b := range got {
		text, _ := b["text"].(string)
		if text == "" || b["status"] == nil || b["alert"] == nil || b["pipeline"] != "nightly" {
			t.Errorf("body lacks Slack text or generic fields: %v", b)
		}
	}
	if got[7]["status"] != "resolved" || !strings.Contains(got[7]["text"].(string), "RESOLVED") {
		t.Errorf("last body %v", got[7])
	}
}

func TestParityAudit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cfg := ops.AuditConfig{Store: f.store, Pipeline: f.p, Models: sqlmodels.Models, HubSpot: f.hs, Salesforce: f.sf, Seed: "a", Sample: 20}
	rep, err := ops.Audit(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sampled != 20 || rep.Compared == 0 {
		t.Fatalf("sampled %d, compared %d", rep.Sampled, rep.Compared)
	}
	t.Logf("after the sync: %d/%d agree (%.3f), %d mismatches", rep.Agree, rep.Compared, rep.Parity, len(rep.Mismatches))
	differs := map[string]bool{}
	for _, m := range rep.Mismatches {
		t.Logf("mismatch %+v", m)
		if m.Field == "last_name" {
			differs[m.HubSpotID] = true
		}
	}
	// Change sampled HubSpot contacts behind crmhub's back: the audit
	// reads them back and reports the differences.
	var inputs []hubspot.BatchInput
	for _, pr := range rep.Pairs {
		if pr.HubSpotObject == "contacts" && !differs[pr.HubSpotID] && len(inputs) < 10 {
			inputs = append(inputs, hubspot.BatchInput{ID: pr.HubSpotID, Properties: map[string]string{"lastname": "Changed-" + pr.HubSpotID}})
		}
	}
	if len(inputs) == 0 {
		t.Fatal("no person in the sample")
	}
	if _, err := f.hs.BatchUpdate(ctx, "contacts", inputs); err != nil {
		t.Fatal(err)
	}
	again, err := ops.Audit(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.Sampled != rep.Sampled || again.Agree != rep.Agree-len(inputs) {
		t.Errorf("after changing %d last names: %d/%d agree, before %d/%d", len(inputs), again.Agree, again.Compared, rep.Agree, rep.Compared)
	}
	found := 0
	for _, m := range again.Mismatches {
		if m.Field == "last_name" && strings.HasPrefix(m.HubSpotValue, "Changed-") {
			found++
		}
	}
	if found != len(inputs) {
		t.Errorf("%d last_name mismatches reported, want %d", found, len(inputs))
	}
	// below the threshold: the parity alert fires
	cfg.Pipeline.Audit.Threshold = 0.999
	if again.Parity >= 0.999 {
		t.Fatalf("parity %.3f", again.Parity)
	}
	if f := ops.ParityFinding(again.Parity, 0.999); !f.Firing {
		t.Error("parity finding does not fire below the threshold")
	}
}
