package cycle

import (
	"context"
	"regexp"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// TestExportTable: a table and a view (match_pairs is one) export to a
// Parquet file that holds the same rows with the same column types,
// nested explanations included; an ENUM (match_pairs' levels) is written as
// its strings and read back as VARCHAR.
func TestExportTable(t *testing.T) {
	ctx := context.Background()
	enumType := regexp.MustCompile(`ENUM\([^)]*\)`) // an ENUM column type as DESCRIBE spells it
	db, err := transform.Open(ctx, transform.EngineConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		`CREATE TYPE level AS ENUM ('null', 'exact', 'different')`,
		`CREATE TABLE pairs AS SELECT i AS id, 'hubspot:contacts:' || i AS left_key, i / 3.0 AS score,
			{'email': {'level': CASE WHEN i % 3 = 0 THEN 'exact' ELSE 'different' END::level, 'weight': round(i / 7.0, 2)},
			 'phone': CASE WHEN i % 5 > 0 THEN {'level': 'null'::level, 'weight': 0.0} END} AS explanation
			FROM range(5000) t(i)`,
		`CREATE VIEW pairs_view AS SELECT id, split_part(left_key, ':', 3) AS record_id, score, explanation FROM pairs WHERE id % 2 = 0`,
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		table string
		rows  int64
	}{
		{"pairs", 5000},
		{"pairs_view", 2500},
	} {
		t.Run(tc.table, func(t *testing.T) {
			file, written, err := exportTable(ctx, db, tc.table, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if written != tc.rows {
				t.Errorf("%s: export counted %d rows, want %d", tc.table, written, tc.rows)
			}
			var rows, onlyFile, onlyTable int64
			err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM read_parquet($1)),
				(SELECT count(*) FROM (SELECT * FROM read_parquet($1) EXCEPT ALL SELECT * FROM query_table($2))),
				(SELECT count(*) FROM (SELECT * FROM query_table($2) EXCEPT ALL SELECT * FROM read_parquet($1)))`,
				file, tc.table).Scan(&rows, &onlyFile, &onlyTable)
			if err != nil {
				t.Fatal(err)
			}
			if rows != tc.rows || onlyFile != 0 || onlyTable != 0 {
				t.Errorf("%s: file has %d rows (want %d), %d only in the file, %d only in the table", tc.table, rows, tc.rows, onlyFile, onlyTable)
			}
			var fileTypes, tableTypes string
			err = db.QueryRowContext(ctx, `SELECT (SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE SELECT * FROM read_parquet($1))),
				(SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE SELECT * FROM query_table($2)))`,
				file, tc.table).Scan(&fileTypes, &tableTypes)
			if err != nil {
				t.Fatal(err)
			}
			if tableTypes = enumType.ReplaceAllString(tableTypes, "VARCHAR"); fileTypes != tableTypes {
				t.Errorf("%s: file columns %s, table columns %s", tc.table, fileTypes, tableTypes)
			}
		})
	}
}
