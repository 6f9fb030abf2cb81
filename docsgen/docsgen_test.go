package docsgen

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/internal/browser"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

var update = flag.Bool("update", false, "rewrite docs/tables.md")

// TestTablesMarkdownIsCurrent keeps docs/tables.md generated from the
// catalog: `go test ./docsgen -update` (or crmhub docs --tables) rewrites it.
func TestTablesMarkdownIsCurrent(t *testing.T) {
	fm, err := ReadFieldMap(sqlmodels.Models)
	if err != nil {
		t.Fatal(err)
	}
	want := TablesMarkdown(fm)
	file := filepath.Join("..", "docs", "tables.md")
	if *update {
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/tables.md is not what docsgen/tables.go and the field map give: run go test ./docsgen -update")
	}
	for _, w := range []string{"## golden_persons", "| `email` | Golden value of person field email (HubSpot contacts.email; Salesforce Contact.Email, Lead.Email)", "| `retry_state` |"} {
		if !strings.Contains(want, w) {
			t.Errorf("tables.md lacks %q", w)
		}
	}
}

func TestAnalystDBHasDocumentedViews(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := transform.Open(ctx, transform.EngineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files := map[string]string{}
	for name, q := range map[string]string{
		"xref":      `SELECT 'person' AS entity, 'g1' AS golden_id, 'hubspot' AS system, 'contacts' AS object, '1' AS record_id, 'it''s new' AS extra`,
		"sync_runs": `SELECT 'r1' AS run_id`,
	} {
		files[name] = filepath.Join(dir, "published", "r1", name+".parquet")
		_ = os.MkdirAll(filepath.Dir(files[name]), 0o755)
		if _, err := db.Exec("COPY (" + q + ") TO '" + files[name] + "' (FORMAT parquet)"); err != nil {
			t.Fatal(err)
		}
	}
	fm, err := ReadFieldMap(sqlmodels.Models)
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "published", "crmhub.duckdb")
	// A reader holds the old file open while a new one replaces it.
	if err := WriteAnalystDB(ctx, dest, "r0", files, fm); err != nil {
		t.Fatal(err)
	}
	reader, err := sql.Open("duckdb", dest+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var n int
	if err := reader.QueryRow("SELECT count(*) FROM xref").Scan(&n); err != nil || n != 1 {
		t.Fatalf("reader: %d rows, %v", n, err)
	}
	if err := WriteAnalystDB(ctx, dest, "r1", files, fm); err != nil {
		t.Fatalf("rewrite while a reader has the file open: %v", err)
	}
	// the old reader still reads its file; DuckDB shares one instance per
	// path inside a process, so close it before opening the new file
	if err := reader.QueryRow("SELECT count(*) FROM xref").Scan(&n); err != nil {
		t.Fatalf("old reader after the rewrite: %v", err)
	}
	reader.Close()
	fresh, err := sql.Open("duckdb", dest+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	var viewDoc, colDoc string
	if err := fresh.QueryRow("SELECT comment FROM duckdb_views() WHERE view_name = 'xref'").Scan(&viewDoc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(viewDoc, "Cross-reference") || !strings.Contains(viewDoc, "Run r1") {
		t.Errorf("view comment = %q", viewDoc)
	}
	if err := fresh.QueryRow("SELECT comment FROM duckdb_columns() WHERE table_name = 'xref' AND column_name = 'golden_id'").Scan(&colDoc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(colDoc, "Golden record") {
		t.Errorf("column comment = %q", colDoc)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "published", ".crmhub-*")); len(m) > 0 {
		t.Errorf("temporary files left: %q", m)
	}
}

func TestUndocumented(t *testing.T) {
	fm := FieldMap{{"person", "email", "hubspot", "contacts", "email", "value"}}
	missing, stale := Undocumented(map[string][]string{"sync_errors": {"run_id", "new_col"}, "mystery": {"a"}}, fm)
	if strings.Join(missing, ",") != "mystery (whole table),sync_errors.new_col" {
		t.Errorf("missing = %q", missing)
	}
	if len(stale) == 0 || !strings.Contains(strings.Join(stale, ","), "sync_errors.code") {
		t.Errorf("stale = %q", stale)
	}
}

func TestSyncDocs(t *testing.T) {
	doc, err := Build(pipelines.Default(), sqlmodels.Models)
	if err != nil {
		t.Fatal(err)
	}
	var md, html bytes.Buffer
	if err := doc.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := doc.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"## What syncs, when, and which way", "| `lifecycle_stage` | contacts.lifecyclestage |", "owner | hubspot", "no writes",
		"```mermaid\nflowchart LR", "stg_persons --> ", "## Matching", "| person | ≥ 10 |", "xref` (published)", "## Effective pipeline"} {
		if !strings.Contains(md.String(), w) {
			t.Errorf("Markdown lacks %q", w)
		}
	}
	if strings.Contains(md.String(), "macros -->") {
		t.Error("the Mermaid graph should leave the macro models out")
	}
	page := filepath.Join(t.TempDir(), "sync.html")
	if err := os.WriteFile(page, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := browser.Open(context.Background(), browser.FileURL(page), "svg.lineage g.node", "svg.lineage path.edge", "table.fields")
	if err != nil {
		t.Fatal(err)
	}
	if p.Counts["svg.lineage g.node"] < 20 || p.Counts["svg.lineage path.edge"] < 20 || p.Counts["table.fields"] != 3 {
		t.Errorf("sync.html: %v", p.Counts)
	}
	if len(p.ConsoleErrors) > 0 || len(p.External()) > 0 {
		t.Errorf("console errors %q, network %q", p.ConsoleErrors, p.External())
	}
	_ = os.MkdirAll(filepath.Join("..", "test-artifacts"), 0o755)
	_ = os.WriteFile(filepath.Join("..", "test-artifacts", "docs-sync.png"), p.Screenshot, 0o644)
}
