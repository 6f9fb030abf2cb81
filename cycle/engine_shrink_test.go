package cycle

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

func TestSizeBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5GB", 5e9, true}, {"512MiB", 512 << 20, true}, {"1.5 GiB", 1.5 * (1 << 30), true},
		{"", 0, false}, {"lots", 0, false}, {"5", 0, false},
	} {
		got, ok := sizeBytes(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("sizeBytes(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestShrinkAfterTransform: the limit goes down to loadMemoryLimit from a
// bigger or unset one, never up from a smaller one, and the tables stay
// readable.
func TestShrinkAfterTransform(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ configured, want string }{
		{"5GB", "512.0 MiB"}, {"", "512.0 MiB"}, {"256MB", "244.1 MiB"},
	} {
		db, err := transform.Open(ctx, transform.EngineConfig{MemoryLimit: tc.configured, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE x AS SELECT range AS i FROM range(100000)"); err != nil {
			t.Fatal(err)
		}
		if err := shrinkAfterTransform(ctx, db, tc.configured); err != nil {
			t.Fatal(err)
		}
		var limit string
		var n int
		if err := db.QueryRowContext(ctx, "SELECT current_setting('memory_limit'), (SELECT count(*) FROM x)").Scan(&limit, &n); err != nil {
			t.Fatal(err)
		}
		if limit != tc.want || n != 100000 {
			t.Errorf("configured %q: limit %q with %d rows, want %q with 100000", tc.configured, limit, n, tc.want)
		}
		var before string
		if err := restoreLimit(ctx, db, tc.configured); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, "SELECT current_setting('memory_limit')").Scan(&before); err != nil {
			t.Fatal(err)
		}
		if before == "512.0 MiB" {
			t.Errorf("configured %q: limit still %q after restoreLimit", tc.configured, before)
		}
		db.Close()
	}
}

// TestReleaseTransform: every table goes, temporary ones and quoted names
// too; views stay; xref and outbox, read by the load and the publish,
// become views over their exported files, and a table not exported stays.
func TestReleaseTransform(t *testing.T) {
	ctx := context.Background()
	db, err := transform.Open(ctx, transform.EngineConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		"CREATE TABLE xref AS SELECT 1 AS i", "CREATE TABLE outbox AS SELECT 1 AS i",
		"CREATE TEMP TABLE prev_writes AS SELECT 1 AS i", "CREATE TABLE stg_persons AS SELECT 1 AS i",
		`CREATE TABLE "person pairs" AS SELECT 1 AS i`, "CREATE TEMP TABLE person_scope_records AS SELECT 1 AS i",
		"CREATE VIEW golden_persons AS SELECT 1 AS i",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	files := map[string]string{"outbox": filepath.Join(dir, "outbox.parquet")}
	if _, err := db.ExecContext(ctx, "COPY (SELECT 2 AS i) TO ? (FORMAT parquet)", files["outbox"]); err != nil {
		t.Fatal(err)
	}
	if err := releaseTransform(ctx, db, files); err != nil {
		t.Fatal(err)
	}
	var tables, views string
	if err := db.QueryRowContext(ctx, `SELECT (SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM duckdb_tables()),
		(SELECT string_agg(view_name, ' ' ORDER BY view_name) FROM duckdb_views() WHERE NOT internal)`).Scan(&tables, &views); err != nil {
		t.Fatal(err)
	}
	if tables != "prev_writes xref" || views != "golden_persons outbox" {
		t.Errorf("after release: tables %v, views %v; want [prev_writes xref], [golden_persons outbox]", tables, views)
	}
	var i int
	if err := db.QueryRowContext(ctx, "SELECT i FROM outbox").Scan(&i); err != nil || i != 2 {
		t.Errorf("outbox after release: %d, %v; want the exported file's row, 2", i, err)
	}
}
