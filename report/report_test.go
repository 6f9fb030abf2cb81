package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/internal/browser"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/transform"
)

// fixtureLake publishes a run with a history of six runs: the published
// tables are small, sync_runs carries an extra metric column (as metrics
// added later will) and one run had push errors.
func fixtureLake(t *testing.T) (lake.Store, string, map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := lake.Open(ctx, filepath.Join(dir, "lake"), filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := transform.Open(ctx, transform.EngineConfig{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const runID = "20260105T020000.000Z-abcdef"
	stmts := map[string]string{
		"sync_runs": `SELECT * FROM (VALUES
		  ('20260101T020000.000Z-000001', TIMESTAMP '2026-01-01 02:00:00', TIMESTAMP '2026-01-01 02:03:10', 'succeeded', false, NULL, 5000, 5000, 3900, 800, 40, 0, 900, 880, 0, NULL, '{"extract": 60.5, "transform": 80.2, "load": 45.1, "publish": 3.2}', '[{"System":"hubspot","Object":"contacts","Mode":"full","Records":3000},{"System":"salesforce","Object":"Contact","Mode":"full","Records":2000}]', 120.0),
		  ('20260102T020000.000Z-000002', TIMESTAMP '2026-01-02 02:00:00', TIMESTAMP '2026-01-02 02:01:00', 'succeeded', false, NULL, 300, 5100, 3950, 820, 35, 4, 120, 118, 0, NULL, '{"extract": 10.0, "transform": 40.0, "load": 8.0, "publish": 2.0}', '[]', 130.0),
		  ('20260103T020000.000Z-000003', TIMESTAMP '2026-01-03 02:00:00', TIMESTAMP '2026-01-03 02:01:30', 'succeeded_with_errors', false, NULL, 280, 5180, 3990, 830, 38, 2, 150, 140, 7, NULL, '{"extract": 12.0, "transform": 41.0, "load": 30.0, "publish": 2.0}', '[]', 310.0),
		  ('20260104T020000.000Z-000004', TIMESTAMP '2026-01-04 02:00:00', TIMESTAMP '2026-01-04 02:00:50', 'refused_by_guard', false, NULL, 2600, 5200, 4000, 835, 90, 1, 2500, 0, 0, 'would update 48% of hubspot records', '{"extract": 11.0, "transform": 39.0, "load": 0.1, "publish": 2.0}', '[]', 110.0),
		  ('20260105T020000.000Z-abcdef', TIMESTAMP '2026-01-05 02:00:00', TIMESTAMP '2026-01-05 02:02:05', 'succeeded_with_errors', false, 'bulk fix <approved>', 2600, 5210, 4005, 840, 41, 3, 2500, 2490, 3, NULL, '{"extract": 11.0, "transform": 42.0, "load": 70.0, "publish": 2.0}', '[{"System":"hubspot","Object":"contacts","Mode":"incremental","Records":2400},{"System":"salesforce","Object":"Lead","Mode":"incremental","Records":200}]', 140.0)
		) t(run_id, started_at, finished_at, status, dry_run, approved_reason, records_extracted, source_records, golden_records,
		    matched_pairs, review_items, conflicts, outbox_fields, records_pushed, push_errors, guard_refusal, steps, extract, api_latency_p95_ms)`,
		"sync_errors": `SELECT * FROM (VALUES
		  ('20260103T020000.000Z-000003', 'hubspot', 'contacts', '101', 'INVALID_EMAIL', 'Email is invalid', 'retried', TIMESTAMP '2026-01-03 02:01:00'),
		  ('` + runID + `', 'salesforce', 'Contact', '003A', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Phone must have 10 digits <script>alert(1)</script>', 'pending_retry', TIMESTAMP '2026-01-05 02:01:00'),
		  ('` + runID + `', 'salesforce', 'Contact', '003B', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Phone must have 10 digits', 'pending_retry', TIMESTAMP '2026-01-05 02:01:00'),
		  ('` + runID + `', 'hubspot', 'contacts', '102', 'RATE_LIMIT', 'gave up after 5 retries', 'pending_retry', TIMESTAMP '2026-01-05 02:01:00')
		) t(run_id, system, object, record_id, code, message, retry_state, failed_at)`,
		"xref": `SELECT * FROM (VALUES ('person', 'g1', 'hubspot', 'contacts', '1', 'cross_id', false),
		  ('person', 'g1', 'salesforce', 'Contact', '003A', 'cross_id', false), ('company', 'g2', 'salesforce', 'Account', '001A', 'unmatched', false))
		  t(entity, golden_id, system, object, record_id, matched_by, deleted)`,
		"match_pairs":    `SELECT * FROM (VALUES ('person', 'match', 14.2), ('person', 'review', 7.0), ('company', 'non-match', 1.0)) t(entity, decision, score)`,
		"review_queue":   `SELECT * FROM (VALUES ('person', 'uncertain_match'), ('person', 'field_conflict')) t(entity, reason)`,
		"conflicts":      `SELECT * FROM (VALUES ('person', 'phone', 'decided')) t(entity, field, resolution)`,
		"outbox":         `SELECT * FROM (VALUES ('hubspot', 'contacts', 'phone', '1'), ('salesforce', 'Contact', 'Email', '003A')) t(system, object, crm_field, record_id)`,
		"golden_persons": `SELECT 'g1' AS golden_id`,
	}
	tables := map[string]string{}
	for name, q := range stmts {
		key := "published/" + runID + "/" + name + ".parquet"
		local := filepath.Join(dir, name+".parquet")
		if _, err := db.Exec("COPY (" + q + ") TO '" + local + "' (FORMAT parquet)"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := store.PutFile(ctx, key, local); err != nil {
			t.Fatal(err)
		}
		tables[name] = key
	}
	return store, runID, tables
}

func TestReportAndDashboardInChromium(t *testing.T) {
	ctx := context.Background()
	store, runID, tables := fixtureLake(t)
	if err := Publish(ctx, store, runID, tables, time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	artifacts := filepath.Join("..", "test-artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, shot string
		minCharts int
		want      []string
	}{
		{RunKey(runID), "report-run.png", 9, []string{"crmhub run " + runID, "succeeded_with_errors", "Time per step",
			"salesforce Lead (incremental)", "Candidate pairs by decision", "FIELD_CUSTOM_VALIDATION_EXCEPTION",
			"Phone must have 10 digits <script>alert(1)</script>", "bulk fix <approved>", "history dashboard"}},
		{DashboardKey, "report-dashboard.png", 7, []string{"crmhub sync history", "5 runs", "Volumes", "Error rate",
			"Run and step durations", "Duplicates", "Queue depths", "api_latency_p95_ms", "refused_by_guard", runID}},
	} {
		t.Run(tc.shot, func(t *testing.T) {
			local, err := store.LocalPath(ctx, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(local)
			p, err := browser.Open(ctx, browser.FileURL(abs), "svg.chart", "svg.chart path.series", "svg.chart rect.bar", "script")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(artifacts, tc.shot), p.Screenshot, 0o644); err != nil {
				t.Fatal(err)
			}
			if len(p.Screenshot) < 10_000 {
				t.Errorf("screenshot is %d bytes: the page did not paint", len(p.Screenshot))
			}
			if n := p.Counts["svg.chart"]; n < tc.minCharts {
				t.Errorf("%d charts, want at least %d", n, tc.minCharts)
			}
			if p.Counts["svg.chart path.series"]+p.Counts["svg.chart rect.bar"] < tc.minCharts {
				t.Errorf("charts hold %d lines and %d bars: they are empty", p.Counts["svg.chart path.series"], p.Counts["svg.chart rect.bar"])
			}
			if p.Counts["script"] != 0 {
				t.Errorf("%d script elements: the page must have none (an error message was not escaped?)", p.Counts["script"])
			}
			if len(p.ConsoleErrors) > 0 {
				t.Errorf("console errors:\n%s", strings.Join(p.ConsoleErrors, "\n"))
			}
			if ext := p.External(); len(ext) > 0 {
				t.Errorf("the page asked the network for %q: it must work offline", ext)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.Text, w) {
					t.Errorf("page text lacks %q", w)
				}
			}
			t.Logf("%s: %d charts, %d lines, %d bars; screenshot %s", tc.key, p.Counts["svg.chart"],
				p.Counts["svg.chart path.series"], p.Counts["svg.chart rect.bar"], filepath.Join(artifacts, tc.shot))
		})
	}
}

func TestBrowserSeesConsoleErrors(t *testing.T) {
	// The check above is only worth something if a broken page fails it.
	dir := t.TempDir()
	page := filepath.Join(dir, "broken.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><html><head><title>b</title></head><body><p>x</p>
<script>console.error("boom"); undefinedFunction();</script><img src="missing.png"></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := browser.Open(context.Background(), browser.FileURL(page), "p")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(p.ConsoleErrors, "\n")
	for _, w := range []string{"boom", "undefinedFunction", "missing.png"} {
		if !strings.Contains(joined, w) {
			t.Errorf("console errors %q lack %q", joined, w)
		}
	}
}
