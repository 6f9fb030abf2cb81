package cycle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/crmhub/crmhub/load"
)

func isGuard(err error) bool { return errors.Is(err, load.ErrGuard) }

// writeHistory builds sync_runs and sync_errors: the previous run's tables
// plus this run's rows, so the history travels with each published run.
func writeHistory(ctx context.Context, db *sql.DB, cfg Config, rep *Report, prev *Latest) error {
	stmts := []string{
		`CREATE OR REPLACE TABLE sync_runs (run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR,
			dry_run BOOLEAN, approved_reason VARCHAR, records_extracted BIGINT, source_records BIGINT, golden_records BIGINT,
			matched_pairs BIGINT, review_items BIGINT, conflicts BIGINT, outbox_fields BIGINT,
			records_pushed BIGINT, push_errors BIGINT, guard_refusal VARCHAR, steps JSON, extract JSON)`,
		`CREATE OR REPLACE TABLE sync_errors (run_id VARCHAR, system VARCHAR, object VARCHAR, record_id VARCHAR,
			code VARCHAR, message VARCHAR, retry_state VARCHAR, failed_at TIMESTAMP)`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	if prev != nil {
		for _, t := range []string{"sync_runs", "sync_errors"} {
			p, err := cfg.Store.LocalPath(ctx, prev.Tables[t])
			if err != nil {
				return err
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO "+t+" BY NAME SELECT * FROM read_parquet(?)", p); err != nil {
				return err
			}
		}
		// errors of earlier runs are retried by this one: the outbox is
		// recomputed from the CRMs' state, so a record still wrong is sent again
		if _, err := db.ExecContext(ctx, `UPDATE sync_errors SET retry_state = 'retried' WHERE retry_state = 'pending_retry'`); err != nil {
			return err
		}
	}
	var extracted, sources, golden, pushed, pushErrors int64
	for _, e := range rep.Extract {
		extracted += e.Records
	}
	for _, n := range rep.Counts.Records {
		sources += n
	}
	for _, n := range rep.Counts.Golden {
		golden += n
	}
	now := cfg.Now().UTC()
	for _, l := range rep.Load {
		pushed += int64(l.Records)
		pushErrors += int64(len(l.Errors))
		for _, e := range l.Errors {
			if _, err := db.ExecContext(ctx, `INSERT INTO sync_errors VALUES (?, ?, ?, ?, ?, ?, 'pending_retry', ?)`,
				rep.RunID, e.System, e.Object, e.RecordID, e.Code, e.Message, now); err != nil {
				return err
			}
		}
	}
	status := "succeeded"
	var refusal any
	if rep.GuardError != nil {
		status, refusal = "refused_by_guard", rep.GuardError.Error()
	} else if pushErrors > 0 {
		status = "succeeded_with_errors"
	}
	steps := map[string]float64{}
	for _, s := range rep.Steps {
		steps[s.Name] = s.Duration.Seconds()
	}
	stepsJSON, _ := json.Marshal(steps)
	extractJSON, _ := json.Marshal(rep.Extract)
	var approved any
	if cfg.Approve != "" {
		approved = cfg.Approve
	}
	_, err := db.ExecContext(ctx, `INSERT INTO sync_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rep.RunID, rep.StartedAt, now, status, cfg.DryRun, approved, extracted, sources, golden,
		rep.Counts.MatchedPairs, rep.Counts.ReviewItems, rep.Counts.Conflicts, rep.Counts.OutboxFields,
		pushed, pushErrors, refusal, string(stepsJSON), string(extractJSON))
	return err
}
