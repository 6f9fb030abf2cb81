package cycle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

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
			code VARCHAR, message VARCHAR, retry_state VARCHAR, failed_at TIMESTAMP, field VARCHAR, attempts INTEGER)`,
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
	}
	if err := writeErrors(ctx, db, cfg, rep); err != nil {
		return err
	}
	if err := writeLog(ctx, db, cfg, rep, prev); err != nil {
		return err
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

// writeErrors adds this run's per-record failures to sync_errors. The
// outbox is recomputed from the CRMs' state every run, so a record still
// wrong is sent again: earlier pending rows become resolved (it went
// through) or retried (it failed again), and attempts counts the runs in a
// row a record has failed; from load.max_attempts on, its row says stuck
// (it is still retried, never dropped).
func writeErrors(ctx context.Context, db *sql.DB, cfg Config, rep *Report) error {
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE run_errors (system VARCHAR, object VARCHAR,
		record_id VARCHAR, field VARCHAR, code VARCHAR, message VARCHAR)`); err != nil {
		return err
	}
	for _, l := range rep.Load {
		for _, e := range l.Errors {
			if _, err := db.ExecContext(ctx, `INSERT INTO run_errors VALUES (?, ?, ?, ?, ?, ?)`,
				e.System, e.Object, e.RecordID, nullable(e.Field), e.Code, e.Message); err != nil {
				return err
			}
		}
	}
	maxAttempts := cfg.Pipeline.Load.MaxAttempts
	if maxAttempts < 1 {
		maxAttempts = 3
	}
	loaded := len(rep.Load) > 0
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO sync_errors BY NAME
		  SELECT ? AS run_id, e.system, e.object, e.record_id, e.code, e.message, e.field, ? AS failed_at,
		         1 + coalesce((SELECT max(coalesce(p.attempts, 1)) FROM sync_errors p
		                       WHERE p.system = e.system AND p.object = e.object AND p.record_id = e.record_id
		                         AND p.retry_state IN ('pending_retry', 'stuck')), 0) AS attempts,
		         'pending_retry' AS retry_state
		  FROM run_errors e`, []any{rep.RunID, cfg.Now().UTC()}},
		{`UPDATE sync_errors SET retry_state = 'stuck' WHERE run_id = ? AND attempts >= ?`, []any{rep.RunID, maxAttempts}},
		// only a run that loaded can tell whether earlier failures went through
		{`UPDATE sync_errors p SET retry_state = CASE WHEN EXISTS (SELECT 1 FROM run_errors e WHERE e.system = p.system
		     AND e.object = p.object AND e.record_id = p.record_id) THEN 'retried' ELSE 'resolved' END
		  WHERE run_id <> ? AND retry_state IN ('pending_retry', 'stuck') AND ?`, []any{rep.RunID, loaded}},
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s.q, s.args...); err != nil {
			return fmt.Errorf("sync_errors: %w", err)
		}
	}
	return nil
}

// writeLog carries forward what crmhub wrote, per record and field: the
// previous log plus this run's outbox rows the CRMs accepted. The next run
// tells its own writes coming back (echoes) from user edits with it.
// write_log is a view, computed where the publish exports it, rather than
// a copy of the log (a million rows at 100k persons) made first.
func writeLog(ctx context.Context, db *sql.DB, cfg Config, rep *Report, prev *Latest) error {
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP VIEW write_log AS SELECT * FROM prev_writes`); err != nil {
		return err
	}
	if len(rep.Load) == 0 || rep.GuardError != nil {
		return nil
	}
	return writeLogPlain(ctx, db, rep)
}

func writeLogPlain(ctx context.Context, db *sql.DB, rep *Report) error {
	// the records this run created, by their outbox id (new:GOLDEN)
	var systems, objects, outboxIDs, ids []string
	for _, l := range rep.Load {
		for _, c := range l.Created {
			systems, objects, outboxIDs, ids = append(systems, l.System), append(objects, c.Object), append(outboxIDs, c.RecordID), append(ids, c.ID)
		}
	}
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE run_created AS
		SELECT unnest(?::VARCHAR[]) AS system, unnest(?::VARCHAR[]) AS object,
		       unnest(?::VARCHAR[]) AS outbox_id, unnest(?::VARCHAR[]) AS record_id`,
		systems, objects, outboxIDs, ids); err != nil {
		return fmt.Errorf("write_log: created records: %w", err)
	}
	// A created record's values are crmhub's writes too: logged under the
	// id the CRM gave it, they come back as echoes, not as user edits.
	// This run's writes the CRMs accepted:
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE run_writes AS
		SELECT o.system, o.object, coalesce(c.record_id, o.record_id) AS record_id, o.crm_field,
		       o.new_value AS value, o.source_changed_at, ? AS run_id, ?::TIMESTAMP AS written_at
		FROM outbox o
		-- keys alone in the ON clause: a condition on o there made DuckDB
		-- fall back to a nested-loop join (minutes at 100k people)
		LEFT JOIN run_created c ON c.outbox_id = CASE WHEN o.kind = 'create' THEN o.record_id END
		                       AND c.system = o.system AND c.object = o.object
		WHERE (o.kind IN ('field', 'cross_id') OR (o.kind = 'create' AND c.record_id IS NOT NULL))
		  AND NOT EXISTS (SELECT 1 FROM run_errors e WHERE e.system = o.system AND e.object = o.object
		                  AND e.record_id = o.record_id AND (e.field IS NULL OR e.field = o.crm_field))`,
		rep.RunID, rep.StartedAt); err != nil {
		return fmt.Errorf("write_log: this run's writes: %w", err)
	}
	// The log is the latest write per record and field. The last log has
	// one row per key already (it was made so): only the keys this run
	// wrote are ranked again, with the last log's row for them; the rest
	// of the log is carried as it is (ranking all of it was a third of the
	// publish step at 100k persons). Keys are compared as the ranking's
	// PARTITION BY does, NULL with NULL.
	_, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP VIEW write_log AS
		WITH rewritten AS (
		  SELECT p.* FROM prev_writes p
		  SEMI JOIN run_writes r ON r.system IS NOT DISTINCT FROM p.system AND r.object IS NOT DISTINCT FROM p.object
		    AND r.record_id IS NOT DISTINCT FROM p.record_id AND r.crm_field IS NOT DISTINCT FROM p.crm_field)
		SELECT p.* FROM prev_writes p
		ANTI JOIN run_writes r ON r.system IS NOT DISTINCT FROM p.system AND r.object IS NOT DISTINCT FROM p.object
		  AND r.record_id IS NOT DISTINCT FROM p.record_id AND r.crm_field IS NOT DISTINCT FROM p.crm_field
		UNION ALL BY NAME
		(SELECT * FROM (SELECT * FROM rewritten UNION ALL BY NAME SELECT * FROM run_writes)
		 QUALIFY row_number() OVER (PARTITION BY system, object, record_id, crm_field ORDER BY written_at DESC) = 1)`)
	return err
}
