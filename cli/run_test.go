package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/lake"
)

func TestRunAgainstSimulators(t *testing.T) {
	d := gen.Generate(gen.Options{People: 200, Seed: 5, Now: time.Now()})
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: "hs-secret-token", SalesforceClientID: "cid", SalesforceClientSecret: "sf-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer sims.Close()
	var mu sync.Mutex
	var alerts []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		_ = json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		alerts = append(alerts, b)
		mu.Unlock()
	}))
	defer hook.Close()
	t.Setenv("T_HS_TOKEN", "hs-secret-token")
	t.Setenv("T_SF_ID", "cid")
	t.Setenv("T_SF_SECRET", "sf-secret")
	t.Setenv("T_HOOK", hook.URL)
	dir := t.TempDir()
	metrics := filepath.Join(dir, "crmhub.prom")
	pipe := filepath.Join(dir, "nightly.yaml")
	body := "name: nightly\nhubspot: {base_url: " + sims.HubSpotURL + ", token_env: T_HS_TOKEN, requests_per_10s: 1000}\n" +
		"salesforce: {login_url: " + sims.SalesforceURL + ", client_id_env: T_SF_ID, client_secret_env: T_SF_SECRET}\n" +
		"run: {audit: true}\naudit: {sample: 10, threshold: 0.2}\nmetrics: {file: " + metrics + "}\nalerts: {webhook_url_env: T_HOOK}\n"
	if err := os.WriteFile(pipe, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	lakeDir := filepath.Join(dir, "lake")

	// another run holds the lake: exit 4, nothing done
	store, err := lake.OpenLocal(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	held, err := cycle.Start(context.Background(), store, cycle.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "run", "--pipeline", pipe, "--lake", lakeDir, "--approve", "test")
	if code != ExitLocked || !strings.Contains(errs, "locked") {
		t.Fatalf("run while locked: exit %d\n%s\n%s", code, out, errs)
	}
	held.Finish(context.Background(), cycle.StepSucceeded)
	held.Close(context.Background())

	code, out, errs = run(t, "--log-format", "json", "--log-level", "info", "run", "--pipeline", pipe, "--lake", lakeDir, "--approve", "test")
	if code != ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "Parity audit") || !strings.Contains(out, "attempt 1") {
		t.Errorf("run output lacks the audit or attempt:\n%s", out)
	}
	var runID string
	for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue // progress output
		}
		id, _ := rec["run_id"].(string)
		if id == "" {
			t.Errorf("log line without run_id: %s", line)
		}
		if runID == "" {
			runID = id
		}
		if strings.Contains(line, "hs-secret-token") || strings.Contains(line, "sf-secret") {
			t.Errorf("secret in the log: %s", line)
		}
	}
	if runID == "" {
		t.Fatal("no JSON log line")
	}
	if b, err := os.ReadFile(metrics); err != nil || !strings.Contains(string(b), `crmhub_last_run_success{pipeline="nightly"} 1`) {
		t.Errorf("metrics file: %v\n%s", err, b)
	}
	code, out, _ = run(t, "sql", "--lake", lakeDir, "--format", "csv", "select step, status, attempt from sync_run_steps order by started_at")
	if code != 0 || !strings.Contains(out, "extract,succeeded,1") || !strings.Contains(out, "load,succeeded,1") {
		t.Errorf("sync_run_steps:\n%s", out)
	}
	if _, err := lake.ReadAll(context.Background(), store, "runs/"+runID+"/state.json"); err != nil {
		t.Errorf("run state: %v", err)
	}
	// a parity threshold the sync cannot meet: exit 5 and a firing alert
	if err := os.WriteFile(pipe, []byte(strings.Replace(body, "threshold: 0.2", "threshold: 1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = run(t, "audit", "--pipeline", pipe, "--lake", lakeDir, "--sample", "30", "--seed", "x")
	t.Logf("audit:\n%s", out)
	if code == ExitAudit {
		mu.Lock()
		n := len(alerts)
		last := alerts[n-1]
		mu.Unlock()
		if last["alert"] != "parity_below_threshold" || last["status"] != "firing" || last["text"] == "" {
			t.Errorf("last alert %v", last)
		}
	} else if code != 0 {
		t.Fatalf("audit exit %d: %s", code, errs)
	}
}

func TestPipelineScheduleAndDocs(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "p.yaml")
	os.WriteFile(pipe, []byte("name: eu\nschedule: {cron: \"15 3 * * *\", timezone: Europe/Paris}\n"), 0o644)
	code, out, errs := run(t, "pipeline", "schedule", "--pipeline", pipe)
	if code != 0 || !strings.Contains(out, "CRON_TZ=Europe/Paris\n15 3 * * * /usr/local/bin/crmhub run --pipeline") ||
		!strings.Contains(out, "OnCalendar=*-*-* 03:15:00 Europe/Paris") || !strings.Contains(out, "RestartPreventExitStatus=2 3 4") {
		t.Errorf("schedule exit %d:\n%s\n%s", code, out, errs)
	}
	code, _, errs = run(t, "pipeline", "docs", "--out", filepath.Join("..", "docs", "pipeline-reference.md"), "--check")
	if code != 0 {
		t.Errorf("docs --check: %s", errs)
	}
}
