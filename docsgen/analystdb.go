package docsgen

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/transform"
)

// AnalystDBKey is where a local lake keeps the analyst database.
const AnalystDBKey = "published/crmhub.duckdb"

// WriteAnalystDB writes a DuckDB database file at dest holding one view per
// published table over the run's Parquet files (absolute paths), with the
// catalog's text as table and column comments. Any DuckDB client opens it,
// also while a run is writing: a run writes new files and never touches
// those the views read, and the database is written beside dest and renamed
// over it, so a reader sees the old or the new file whole and crmhub holds
// no lock on it.
func WriteAnalystDB(ctx context.Context, dest, runID string, files map[string]string, fm FieldMap) error {
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".crmhub-*.duckdb")
	if err != nil {
		return err
	}
	tmpPath := tmp.Name()
	tmp.Close()
	os.Remove(tmpPath) // DuckDB creates the file itself
	defer os.Remove(tmpPath)
	defer os.Remove(tmpPath + ".wal")
	if err := buildAnalystDB(ctx, tmpPath, runID, files, fm); err != nil {
		return err
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return fmt.Errorf("analyst database: %w", err)
	}
	return nil
}

func buildAnalystDB(ctx context.Context, file, runID string, files map[string]string, fm FieldMap) error {
	db, err := transform.Open(ctx, transform.EngineConfig{Path: file, Threads: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	docs := map[string]Table{}
	for _, t := range Tables() {
		docs[t.Name] = t
	}
	names := make([]string, 0, len(files))
	for t := range files {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, name := range names {
		abs, err := filepath.Abs(files[name])
		if err != nil {
			return err
		}
		// A view keeps its SQL text, so the path is a quoted literal here:
		// it comes from the lake layout, never from data.
		v := transform.QuoteIdent(name)
		if _, err := db.ExecContext(ctx, "CREATE VIEW "+v+" AS SELECT * FROM read_parquet("+literal(abs)+")"); err != nil {
			return fmt.Errorf("analyst database: view %s: %w", name, err)
		}
		t, ok := docs[name]
		if !ok {
			continue
		}
		comment := t.Doc + " Grain: " + t.Grain + ". Run " + runID + "."
		if _, err := db.ExecContext(ctx, "COMMENT ON VIEW "+v+" IS "+literal(comment)); err != nil {
			return fmt.Errorf("analyst database: comment on %s: %w", name, err)
		}
		have, err := viewColumns(ctx, db, name)
		if err != nil {
			return err
		}
		for _, c := range t.ColumnsWith(fm) {
			if !have[c.Name] {
				continue
			}
			if _, err := db.ExecContext(ctx, "COMMENT ON COLUMN "+v+"."+transform.QuoteIdent(c.Name)+" IS "+literal(c.Doc)); err != nil {
				return fmt.Errorf("analyst database: comment on %s.%s: %w", name, c.Name, err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return err
	}
	return db.Close()
}

func viewColumns(ctx context.Context, db *sql.DB, view string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT column_name FROM duckdb_columns() WHERE table_name = ?`, view)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// literal quotes a SQL string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Undocumented compares the catalog with the columns a run published
// (table -> columns): it returns the columns without documentation and the
// documented columns that no longer exist, as "table.column".
func Undocumented(published map[string][]string, fm FieldMap) (missing, stale []string) {
	docs := map[string]Table{}
	for _, t := range Tables() {
		docs[t.Name] = t
	}
	for table, cols := range published {
		t, ok := docs[table]
		if !ok {
			missing = append(missing, table+" (whole table)")
			continue
		}
		doc := map[string]bool{}
		for _, c := range t.ColumnsWith(fm) {
			doc[c.Name] = true
		}
		have := map[string]bool{}
		for _, c := range cols {
			have[c] = true
			if !doc[c] {
				missing = append(missing, table+"."+c)
			}
		}
		for _, c := range t.ColumnsWith(fm) {
			if !have[c.Name] {
				stale = append(stale, table+"."+c.Name)
			}
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	return missing, stale
}

// PublishAnalystDB writes LAKE/published/crmhub.duckdb for a run just
// published to a local lake (tables: table -> lake key). An S3 lake gets
// none: its views would point at this machine's cache; run
// `crmhub sql --write-db FILE` where the analysts work instead. It reports
// whether it wrote the file.
func PublishAnalystDB(ctx context.Context, store lake.Store, runID string, tables map[string]string, models fs.FS) (string, error) {
	if _, local := store.(*lake.Local); !local {
		return "", nil
	}
	fm, err := ReadFieldMap(models)
	if err != nil {
		return "", err
	}
	files := map[string]string{}
	for t, key := range tables {
		if files[t], err = store.LocalPath(ctx, key); err != nil {
			return "", err
		}
	}
	dest := filepath.Join(store.String(), filepath.FromSlash(AnalystDBKey))
	return dest, WriteAnalystDB(ctx, dest, runID, files, fm)
}
