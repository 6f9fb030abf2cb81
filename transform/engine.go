package transform

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/crmhub/crmhub/normalize"
)

// EngineConfig sets DuckDB's resources.
type EngineConfig struct {
	// Path is the database file; "" keeps it in memory (spilling to TempDir).
	Path string
	// TempDir is where DuckDB spills when memory runs short.
	TempDir string
	// MemoryLimit caps DuckDB's memory, e.g. "4GB"; "" leaves DuckDB's default.
	MemoryLimit string
	// Threads caps worker threads; 0 leaves DuckDB's default (all cores).
	Threads int
}

// Open starts DuckDB. The pool holds one connection: temporary tables and
// variables that models share live on a connection.
func Open(ctx context.Context, cfg EngineConfig) (*sql.DB, error) {
	connector, err := duckdb.NewConnector(cfg.Path, nil)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	settings := []struct {
		stmt string
		val  any
		set  bool
	}{
		{"SET temp_directory = ?", cfg.TempDir, cfg.TempDir != ""},
		{"SET memory_limit = ?", cfg.MemoryLimit, cfg.MemoryLimit != ""},
		{"SET threads = ?", cfg.Threads, cfg.Threads > 0},
		{"SET preserve_insertion_order = ?", false, true},
	}
	for _, s := range settings {
		if !s.set {
			continue
		}
		if _, err := db.ExecContext(ctx, s.stmt, s.val); err != nil {
			db.Close()
			return nil, fmt.Errorf("duckdb: %s: %w", s.stmt, err)
		}
	}
	// Go-side normalisers the models call (phone_e164)
	if err := normalize.Register(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	return db, nil
}

// Version is the DuckDB library's version, as version() gives it (v2.0.0):
// benchmark figures name it, since the engine's release moves them.
func Version(ctx context.Context) (string, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return "", fmt.Errorf("duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", fmt.Errorf("duckdb: version: %w", err)
	}
	return v, nil
}
