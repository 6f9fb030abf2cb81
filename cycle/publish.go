package cycle

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/transform"
)

// PublishedTables are the tables every run publishes (DESIGN.md).
var PublishedTables = []string{
	"xref", "golden_persons", "golden_companies", "golden_deals",
	"match_pairs", "review_queue", "conflicts", "outbox", "sync_runs", "sync_errors", "write_log",
	StepsTable,
}

// LatestKey points at the last complete run's published folder.
const LatestKey = "published/_latest.json"

// Latest is the content of LatestKey.
type Latest struct {
	RunID      string            `json:"run_id"`
	FinishedAt time.Time         `json:"finished_at"`
	Tables     map[string]string `json:"tables"` // table -> lake key
	// Transform is what the next run needs to be incremental (nil before
	// incremental transforms existed).
	Transform *TransformState `json:"transform,omitempty"`
}

// ReadLatest returns the last published run, or nil when there is none.
func ReadLatest(ctx context.Context, store lake.Store) (*Latest, error) {
	b, err := lake.ReadAll(ctx, store, LatestKey)
	if errors.Is(err, lake.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l Latest
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", LatestKey, err)
	}
	return &l, nil
}

// exportTable writes a DuckDB table (or view) to a local Parquet file and
// returns the file and how many rows it holds.
func exportTable(ctx context.Context, db *sql.DB, table, dir string) (string, int64, error) {
	local := filepath.Join(dir, table+".parquet")
	// zstd's fastest level: golden_persons and match_pairs at a million
	// people per system wrote 15 and 19% faster than at its default level
	// (3), for files 4 and 1.5% larger (docs/scaling.md, 2026-12-07 06:50)
	res, err := db.ExecContext(ctx, "COPY "+transform.QuoteIdent(table)+" TO ? (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)", local)
	if err != nil {
		return "", 0, fmt.Errorf("export %s: %w", table, err)
	}
	rows, err := res.RowsAffected()
	if err != nil {
		return "", 0, fmt.Errorf("export %s: %w", table, err)
	}
	return local, rows, nil
}

// profiled runs fn with DuckDB's JSON profiling written to dir/name.json;
// with dir "" it just runs fn. The engine's pool holds one connection, so
// the settings reach fn's statements.
func profiled(ctx context.Context, db *sql.DB, dir, name string, fn func() error) error {
	if dir == "" {
		return fn()
	}
	if _, err := db.ExecContext(ctx, "PRAGMA enable_profiling = 'json'"); err != nil {
		return fmt.Errorf("profiling: %w", err)
	}
	if _, err := db.ExecContext(ctx, "SET profiling_output = ?", filepath.Join(dir, name+".json")); err != nil {
		return fmt.Errorf("profiling: %w", err)
	}
	err := fn()
	if _, perr := db.ExecContext(context.WithoutCancel(ctx), "PRAGMA disable_profiling"); perr != nil && err == nil {
		err = fmt.Errorf("profiling: %w", perr)
	}
	return err
}

// publish moves the exported tables into published/RUN/ and then flips the
// latest pointer: readers see the previous run until the pointer changes.
func publish(ctx context.Context, store lake.Store, runID string, files map[string]string, finished time.Time, ts *TransformState) (*Latest, error) {
	l := &Latest{RunID: runID, Tables: map[string]string{}, Transform: ts}
	if err := lake.Segment(runID); err != nil {
		return nil, fmt.Errorf("publish: run id: %w", err)
	}
	for _, t := range PublishedTables {
		local, ok := files[t]
		if !ok {
			return nil, fmt.Errorf("publish: table %s was not produced", t)
		}
		key := path.Join("published", runID, t+".parquet")
		if err := store.PutFile(ctx, key, local); err != nil {
			return nil, fmt.Errorf("publish %s: %w", t, err)
		}
		os.Remove(local)
		l.Tables[t] = key
	}
	l.FinishedAt = finished.UTC()
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := store.Put(ctx, LatestKey, bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("publish pointer: %w", err)
	}
	return l, nil
}
