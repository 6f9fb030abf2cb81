package cycle

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"

	"github.com/crmhub/crmhub/transform"
)

// loadMemoryLimit is DuckDB's memory_limit during the load. The load asks
// DuckDB only small questions (counts on xref) while it holds the outbox in
// Go; lowering the limit makes DuckDB evict its buffer pool to temp_dir and
// give the memory back at once (measured: 2.66 GiB resident to 0.35 GiB),
// so the two do not add up. At a million people per system they did: 11.8
// GiB in load and publish against 6.4 in the transform; with the limit
// lowered the load peaked at 6.59 GiB. Publish gets the configured limit
// back (at 512MiB its history export ran out of memory at 1M), after the
// outbox's memory has been returned to the OS.
const loadMemoryLimit = 512 << 20

var sizeRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

// sizeBytes reads a memory_limit setting such as "5GB" or "512MiB"; false
// for an empty or unreadable one.
func sizeBytes(s string) (float64, bool) {
	m := sizeRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	unit := map[string]float64{"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	return n * unit, true
}

// shrinkAfterTransform lowers DuckDB's memory_limit to loadMemoryLimit
// unless the configured one is already lower. An empty configured limit is
// DuckDB's default, 80% of RAM: lowered too. restoreLimit undoes it.
func shrinkAfterTransform(ctx context.Context, db *sql.DB, configured string) error {
	if n, ok := sizeBytes(configured); ok && n <= loadMemoryLimit {
		return nil
	}
	_, err := db.ExecContext(ctx, "SET memory_limit = '512MiB'") // loadMemoryLimit
	return err
}

// restoreLimit gives DuckDB its configured memory_limit back (the default,
// 80% of RAM, when none is configured).
func restoreLimit(ctx context.Context, db *sql.DB, configured string) error {
	if n, ok := sizeBytes(configured); ok && n <= loadMemoryLimit {
		return nil
	}
	if configured == "" {
		_, err := db.ExecContext(ctx, "RESET memory_limit")
		return err
	}
	// configured passed sizeBytes, so it is digits and a unit: no quote
	// can reach the statement
	_, err := db.ExecContext(ctx, "SET memory_limit = '"+configured+"'")
	return err
}

// releaseTransform drops the tables of the run's database once the
// transform has exported its files: the load and the publish read only
// xref (the archive guard and the systems' totals) and outbox (the write
// log), which become views over their exported files (files, by table),
// and prev_writes (a view already, or an empty table). Kept as tables
// under the load's 512 MiB limit, DuckDB wrote them to temp_dir to read
// them back in the publish (the first run's publish at 1M: 25.1 s before,
// 17.2 s after, in runs of different hours). Views stay (they hold no
// rows). The drops themselves are most of this step's time (18.2 s of the
// first run at 1M; at 300k, timed one by one, each big table's drop took
// 0.1 to 0.4 s).
func releaseTransform(ctx context.Context, db *sql.DB, files map[string]string) error {
	keep := []string{"prev_writes"}
	for _, t := range []string{"xref", "outbox"} {
		if files[t] == "" {
			keep = append(keep, t) // not exported: the table stays
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT database_name, schema_name, table_name FROM duckdb_tables()
		WHERE database_name IN (current_database(), 'temp') AND NOT list_contains(?::VARCHAR[], table_name)`,
		keep)
	if err != nil {
		return fmt.Errorf("release transform tables: %w", err)
	}
	var drop []string
	for rows.Next() {
		var d, s, t string
		if err := rows.Scan(&d, &s, &t); err != nil {
			rows.Close()
			return fmt.Errorf("release transform tables: %w", err)
		}
		drop = append(drop, transform.QuoteIdent(d)+"."+transform.QuoteIdent(s)+"."+transform.QuoteIdent(t))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("release transform tables: %w", err)
	}
	for _, t := range drop {
		if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			return fmt.Errorf("release transform tables: %w", err)
		}
	}
	for _, t := range []string{"xref", "outbox"} {
		if files[t] == "" {
			continue
		}
		// the file's name reaches the view through a variable, not the SQL
		if _, err := db.ExecContext(ctx, "SET VARIABLE released_"+t+"_file = ?", files[t]); err != nil {
			return fmt.Errorf("release transform tables: %w", err)
		}
		if _, err := db.ExecContext(ctx, "CREATE OR REPLACE VIEW "+transform.QuoteIdent(t)+
			" AS SELECT * FROM read_parquet(getvariable('released_"+t+"_file'))"); err != nil {
			return fmt.Errorf("release transform tables: %s: %w", t, err)
		}
	}
	return nil
}
