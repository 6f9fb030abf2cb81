package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run calls Main in-process and returns exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDemoTwiceThenSQL(t *testing.T) {
	lakeDir := filepath.Join(t.TempDir(), "lake")
	code, out, errs := run(t, "demo", "--records", "1500", "--lake", lakeDir)
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{"first run: full extract", "Time per step", "hubspot contacts", "salesforce Lead",
		"Matched", "person", "Pushed back", "Quality against truth", "F1"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo summary lacks %q:\n%s", want, out)
		}
	}
	for _, table := range []string{"xref", "golden_persons", "golden_companies", "golden_deals", "match_pairs",
		"review_queue", "conflicts", "outbox", "sync_runs", "sync_errors"} {
		matches, _ := filepath.Glob(filepath.Join(lakeDir, "published", "*", table+".parquet"))
		if len(matches) != 1 {
			t.Errorf("published %s: %d files, want 1", table, len(matches))
		}
	}
	if _, err := os.Stat(filepath.Join(lakeDir, "published", "_latest.json")); err != nil {
		t.Fatal(err)
	}

	// The second demo is the next night: incremental extract of the edits.
	code, out, errs = run(t, "demo", "--records", "1500", "--lake", lakeDir)
	if code != 0 {
		t.Fatalf("second demo exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "day 1") || !strings.Contains(out, "incremental") || strings.Contains(out, " full ") {
		t.Errorf("second demo should extract incrementally:\n%s", out)
	}

	code, out, errs = run(t, "sql", "--lake", lakeDir, "select golden_id, system, object, record_id from xref limit 5")
	if code != 0 {
		t.Fatalf("sql exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "golden_id") || !strings.Contains(out, "(5 rows)") {
		t.Errorf("sql table output:\n%s", out)
	}
	code, out, _ = run(t, "sql", "--lake", lakeDir, "--format", "csv", "select golden_id, system, object, record_id from xref order by all limit 3")
	if code != 0 {
		t.Fatalf("sql csv exit %d", code)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != "golden_id,system,object,record_id" {
		t.Errorf("csv output %q (err %v)", out, err)
	}
	code, out, _ = run(t, "sql", "--lake", lakeDir, "--format", "json", "select count(*) AS runs from sync_runs")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["runs"] != float64(2) {
		t.Errorf("json output %q (exit %d): want one row with runs=2", out, code)
	}
}

func TestDemoSeedReportsQuality(t *testing.T) {
	seedDir := filepath.Join("..", "..", "shared", "datasets", "febrl4")
	if _, err := os.Stat(seedDir); err != nil {
		t.Fatalf("benchmark seed missing (CI puts ../shared beside the repo): %v", err)
	}
	code, out, errs := run(t, "demo", "--seed", seedDir, "--lake", filepath.Join(t.TempDir(), "lake"))
	if code != 0 {
		t.Fatalf("demo --seed exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "Quality against truth") || !strings.Contains(out, "person") {
		t.Fatalf("no quality section:\n%s", out)
	}
}

func TestUsageAndBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "seed")
	if err := os.MkdirAll(filepath.Join(bad, "hubspot"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "hubspot", "contacts.csv"), []byte("id,email\n1,a@b.c\n2,\"broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"unknown command", []string{"frobnicate"}, 2, []string{"Usage", "demo"}},
		{"unknown flag", []string{"demo", "--nope"}, 2, []string{"unknown flag", "Usage"}},
		{"missing seed dir", []string{"demo", "--seed", filepath.Join(dir, "absent")}, 2, []string{"absent"}},
		{"malformed seed file", []string{"demo", "--seed", bad, "--lake", filepath.Join(dir, "lake")}, 1, []string{"contacts.csv:3:"}},
		{"sql before any run", []string{"sql", "--lake", filepath.Join(dir, "empty"), "select 1"}, 1, []string{"nothing published"}},
		{"bad records", []string{"demo", "--records", "0"}, 2, []string{"--records"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := run(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errs)
			}
			for _, want := range c.contains {
				if !strings.Contains(out+errs, want) {
					t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", want, out, errs)
				}
			}
		})
	}
}

// TestDemoUsesModelsOverlay proves --models reaches the run: a model from
// the project folder that does not parse stops the demo, naming its file.
func TestDemoUsesModelsOverlay(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "models", "report"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := "-- depends: xref\nSELEC nothing FROM xref\n"
	if err := os.WriteFile(filepath.Join(dir, "models", "report", "project_check.sql"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "demo", "--records", "200", "--lake", filepath.Join(dir, "lake"), "--models", filepath.Join(dir, "models"))
	if code == 0 || !strings.Contains(errs, "project_check") {
		t.Fatalf("demo with a broken overlay model: exit %d, want a failure naming project_check\nstdout: %s\nstderr: %s", code, out, errs)
	}
}
