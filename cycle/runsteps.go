package cycle

import (
	"context"
	"database/sql"
	"encoding/json"
)

// StepsTable is the published per-step history: one row per step of every
// attempt of every run (counts, timings, API calls, errors). It sits beside
// sync_runs (one row per run) and joins it on run_id.
const StepsTable = "sync_run_steps"

// writeSteps builds sync_run_steps: the previous run's rows plus this run's.
func writeSteps(ctx context.Context, db *sql.DB, cfg Config, sess *Session, prev *Latest) error {
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TABLE sync_run_steps (run_id VARCHAR, step VARCHAR, attempt INTEGER,
		status VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, seconds DOUBLE, records BIGINT, errors BIGINT, error VARCHAR,
		api_calls BIGINT, api_errors BIGINT, api_retries BIGINT, api_latency_seconds DOUBLE, api JSON)`); err != nil {
		return err
	}
	if prev != nil && prev.Tables[StepsTable] != "" {
		p, err := cfg.Store.LocalPath(ctx, prev.Tables[StepsTable])
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO sync_run_steps BY NAME SELECT * FROM read_parquet(?)", p); err != nil {
			return err
		}
	}
	for _, r := range sess.Steps() {
		var calls, errs, retries int64
		var latency float64
		for _, a := range r.API {
			calls, errs, retries, latency = calls+a.Calls, errs+a.Errors, retries+a.Retries, latency+a.Latency.Seconds()
		}
		api, _ := json.Marshal(r.API)
		var finished any
		secs := 0.0
		if !r.FinishedAt.IsZero() {
			finished, secs = r.FinishedAt, r.FinishedAt.Sub(r.StartedAt).Seconds()
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO sync_run_steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sess.RunID, r.Name, r.Attempt, r.Status, r.StartedAt, finished, secs, r.Records, r.Errors, nullable(r.Error),
			calls, errs, retries, latency, string(api)); err != nil {
			return err
		}
	}
	return nil
}
