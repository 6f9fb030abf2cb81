package cli

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/docsgen"
	"github.com/crmhub/crmhub/internal/browser"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// TestDemoWritesReportsAndAnalystDB: a run leaves its HTML report, the
// dashboard and the analyst database in the lake; every published column is
// documented; crmhub docs and crmhub report work on it.
func TestDemoWritesReportsAndAnalystDB(t *testing.T) {
	lakeDir := filepath.Join(t.TempDir(), "lake")
	for i := 0; i < 2; i++ {
		if code, out, errs := run(t, "demo", "--records", "200", "--lake", lakeDir); code != 0 {
			t.Fatalf("demo exit %d\n%s\n%s", code, out, errs)
		}
	}
	reports, _ := filepath.Glob(filepath.Join(lakeDir, "published", "*", "report.html"))
	if len(reports) != 2 {
		t.Errorf("%d run reports, want 2: %q", len(reports), reports)
	}
	dash := filepath.Join(lakeDir, "published", "dashboard.html")
	abs, _ := filepath.Abs(dash)
	p, err := browser.Open(context.Background(), browser.FileURL(abs), "svg.chart", "svg.chart path.series")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text, "API latency") {
		t.Error("dashboard lacks the API latency chart")
	}
	if p.Counts["svg.chart"] < 6 || p.Counts["svg.chart path.series"] < 6 || !strings.Contains(p.Text, "2 runs") {
		t.Errorf("dashboard after two demo runs: %v\n%.500s", p.Counts, p.Text)
	}
	if len(p.ConsoleErrors) > 0 || len(p.External()) > 0 {
		t.Errorf("dashboard: console errors %q, network %q", p.ConsoleErrors, p.External())
	}
	_ = os.MkdirAll(filepath.Join("..", "test-artifacts"), 0o755)
	_ = os.WriteFile(filepath.Join("..", "test-artifacts", "demo-dashboard.png"), p.Screenshot, 0o644)

	// the analyst database: views with comments, and every column documented
	db, err := sql.Open("duckdb", filepath.Join(lakeDir, "published", "crmhub.duckdb")+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT c.table_name, c.column_name, coalesce(c.comment, '') FROM duckdb_columns() c WHERE NOT c.internal ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	published := map[string][]string{}
	for rows.Next() {
		var tbl, col, comment string
		if err := rows.Scan(&tbl, &col, &comment); err != nil {
			t.Fatal(err)
		}
		published[tbl] = append(published[tbl], col)
	}
	rows.Close()
	if len(published) < 10 {
		t.Errorf("analyst database has views %v, want every published table", published)
	}
	fm, err := docsgen.ReadFieldMap(sqlmodels.Models)
	if err != nil {
		t.Fatal(err)
	}
	missing, stale := docsgen.Undocumented(published, fm)
	if len(missing) > 0 {
		t.Errorf("published columns without documentation (add them to docsgen/tables.go, then go test ./docsgen -update): %q", missing)
	}
	if len(stale) > 0 {
		t.Errorf("documented columns no run publishes (remove them from docsgen/tables.go): %q", stale)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM xref`).Scan(&n); err != nil || n == 0 {
		t.Errorf("xref through the analyst database: %d rows, %v", n, err)
	}

	if code, out, errs := run(t, "report", "--lake", lakeDir); code != 0 || !strings.Contains(out, "dashboard.html") {
		t.Errorf("report exit %d\n%s\n%s", code, out, errs)
	}
	own := filepath.Join(t.TempDir(), "mine.duckdb")
	if code, _, errs := run(t, "sql", "--lake", lakeDir, "--write-db", own); code != 0 {
		t.Errorf("sql --write-db exit %d: %s", code, errs)
	}
	out := t.TempDir()
	if code, stdout, errs := run(t, "docs", "--out", out, "--tables", filepath.Join(out, "tables.md")); code != 0 {
		t.Errorf("docs exit %d\n%s\n%s", code, stdout, errs)
	}
	for _, f := range []string{"sync.md", "sync.html", "tables.md"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() < 1000 {
			t.Errorf("docs wrote no %s: %v", f, err)
		}
	}
}
