package cycle

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/review/decisions"
	"github.com/crmhub/crmhub/transform"
)

// reviewInputs are the tables the models read from people's review
// decisions (crmhub review, docs/review.md), derived from the decision
// objects under review/decisions/ (undone decisions removed; per pair or
// field the latest decision):
//
//	review_pair_decisions   entity, left_key, right_key, decision ('must_link' or
//	                        'cannot_link'), decision_id, decided_at; keys are record
//	                        keys system:object:record_id, left_key < right_key
//	review_field_overrides  entity, golden_id, field, value, decided_at, expires_at,
//	                        source_changed_at, decision_id: a chosen value wins
//	                        until it expires or a system changes the field after
//	                        source_changed_at (sql/macros/golden_macros.sql)
//	prev_review_queue       item_id, first_seen_at of the last published queue
//	                        (how long an item has waited)
//	prev_conflicts          the last published conflicts (the columns sql/report/conflicts.sql
//	                        publishes): conflicts held for review stay open from run to run
//
// and the variable review_as_of: the time of this run's data (the latest
// extraction), against which overrides expire and queue items age.
func reviewInputs(ctx context.Context, db *sql.DB, store lake.Store, prev *Latest) error {
	ds, err := decisions.Load(ctx, store)
	if err != nil {
		return err
	}
	st := decisions.Derive(ds)
	stmts := []string{
		`CREATE OR REPLACE TABLE review_pair_decisions (entity VARCHAR, left_key VARCHAR, right_key VARCHAR,
			decision VARCHAR, decision_id VARCHAR, decided_at TIMESTAMP)`,
		`CREATE OR REPLACE TABLE review_field_overrides (entity VARCHAR, golden_id VARCHAR, field VARCHAR, value VARCHAR,
			decided_at TIMESTAMP, expires_at TIMESTAMP, source_changed_at TIMESTAMP, decision_id VARCHAR)`,
		`CREATE OR REPLACE TABLE prev_review_queue (item_id VARCHAR, first_seen_at TIMESTAMP)`,
		`CREATE OR REPLACE TABLE prev_conflicts (` + prevConflictColumns + `)`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("review inputs: %w", err)
		}
	}
	pairs := make([]decisions.Pair, 0, len(st.Pairs))
	for p := range st.Pairs {
		pairs = append(pairs, p)
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].LeftKey+pairs[i].RightKey < pairs[j].LeftKey+pairs[j].RightKey })
	for _, p := range pairs {
		d := st.Pairs[p]
		if _, err := db.ExecContext(ctx, `INSERT INTO review_pair_decisions VALUES (?, ?, ?, ?, ?, ?)`,
			p.Entity, p.LeftKey, p.RightKey, d.Action, d.ID, d.DecidedAt.UTC()); err != nil {
			return fmt.Errorf("review inputs: %w", err)
		}
	}
	for _, o := range st.Overrides {
		var expires, changed any
		if o.Decision.ExpiresAt != nil {
			expires = o.Decision.ExpiresAt.UTC()
		}
		if o.SourceChangedAt != nil {
			changed = o.SourceChangedAt.UTC()
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO review_field_overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			o.Entity, o.GoldenID, o.Field, o.Value, o.Decision.DecidedAt.UTC(), expires, changed, o.Decision.ID); err != nil {
			return fmt.Errorf("review inputs: %w", err)
		}
	}
	if err := loadPrevQueue(ctx, db, store, prev); err != nil {
		return err
	}
	if err := loadPrevConflicts(ctx, db, store, prev); err != nil {
		return err
	}
	return setReviewAsOf(ctx, db)
}

// prevConflictColumns are the columns of prev_conflicts: what conflicts
// publishes about a conflict as raised and how it was resolved.
const prevConflictColumns = `entity VARCHAR, golden_id VARCHAR, field VARCHAR,
	hubspot_object VARCHAR, hubspot_record_id VARCHAR, hubspot_value VARCHAR, hubspot_changed_at TIMESTAMP,
	salesforce_object VARCHAR, salesforce_record_id VARCHAR, salesforce_value VARCHAR, salesforce_changed_at TIMESTAMP,
	resolved_value VARCHAR, resolved_from VARCHAR, resolution_rule VARCHAR, first_seen_at TIMESTAMP, resolution VARCHAR`

// loadPrevConflicts copies the last published conflicts; which of them are
// still open is the model's decision (sql/report/conflicts.sql). A run from
// before open conflicts has no first_seen_at: the model dates such a
// conflict from this run.
func loadPrevConflicts(ctx context.Context, db *sql.DB, store lake.Store, prev *Latest) error {
	file, cols, err := prevColumns(ctx, db, store, prev, "conflicts")
	if err != nil || file == "" {
		return err
	}
	const base = `INSERT INTO prev_conflicts BY NAME
		SELECT entity, golden_id, field, hubspot_object, hubspot_record_id, hubspot_value, hubspot_changed_at,
		       salesforce_object, salesforce_record_id, salesforce_value, salesforce_changed_at, resolution_rule, resolution`
	q := base
	// columns a run from before them lacks stay NULL
	for _, c := range []string{"first_seen_at", "resolved_value", "resolved_from"} {
		if cols[c] {
			q += ", " + c
		}
	}
	q += ` FROM read_parquet(?)`
	if _, err := db.ExecContext(ctx, q, file); err != nil {
		return fmt.Errorf("previous conflicts: %w", err)
	}
	return nil
}

// loadPrevQueue copies item ids and first-seen times of the last published
// review_queue (a run from before review ids has none).
func loadPrevQueue(ctx context.Context, db *sql.DB, store lake.Store, prev *Latest) error {
	file, cols, err := prevColumns(ctx, db, store, prev, "review_queue")
	if err != nil || file == "" || !cols["item_id"] || !cols["first_seen_at"] {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO prev_review_queue SELECT item_id, min(first_seen_at)
		FROM read_parquet(?) WHERE item_id IS NOT NULL GROUP BY item_id`, file)
	return err
}

// prevColumns is the local copy of a table the published run prev wrote and
// its column names; file is "" when there is none.
func prevColumns(ctx context.Context, db *sql.DB, store lake.Store, prev *Latest, table string) (file string, cols map[string]bool, err error) {
	if file = prevTable(ctx, store, prev, table); file == "" {
		return "", nil, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(?))`, file)
	if err != nil {
		return "", nil, fmt.Errorf("previous %s: %w", table, err)
	}
	defer rows.Close()
	cols = map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", nil, fmt.Errorf("previous %s: %w", table, err)
		}
		cols[c] = true
	}
	return file, cols, rows.Err()
}

// setReviewAsOf sets review_as_of to the latest extraction time of the raw
// tables (the run's clock, which the demo moves a day per run), or now.
func setReviewAsOf(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM duckdb_tables()
		WHERE table_name LIKE 'raw\_%' ESCAPE '\' AND table_name <> 'raw_versions' ORDER BY table_name`)
	if err != nil {
		return err
	}
	var parts []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		parts = append(parts, "SELECT max(_extracted_at) AS t FROM "+transform.QuoteIdent(t))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	asOf := time.Time{}
	if len(parts) > 0 {
		var t sql.NullTime
		if err := db.QueryRowContext(ctx, "SELECT max(t) FROM ("+strings.Join(parts, " UNION ALL ")+")").Scan(&t); err != nil {
			return fmt.Errorf("review_as_of: %w", err)
		}
		if t.Valid {
			asOf = t.Time
		}
	}
	if asOf.IsZero() {
		asOf = time.Now()
	}
	_, err = db.ExecContext(ctx, "SET VARIABLE review_as_of = ?::TIMESTAMP", asOf.UTC())
	return err
}

// reviewApproval is the approval of this run's load: the one given (--approve),
// else an approval recorded with crmhub review for the refused load of the
// last published run. It holds only while that refused run is the last
// published one, so the next run to publish consumes it; the reason it
// returns is recorded in sync_runs.approved_reason.
func reviewApproval(ctx context.Context, store lake.Store, given string, log *slog.Logger) string {
	if given != "" || store == nil {
		return given
	}
	if log == nil {
		log = slog.Default()
	}
	prev, err := ReadLatest(ctx, store)
	if err != nil || prev == nil {
		return given
	}
	ds, err := decisions.Load(ctx, store)
	if err != nil {
		log.Error("review decisions unreadable: no approval from review", "err", err)
		return given
	}
	if d := decisions.Derive(ds).Approval(prev.RunID); d != nil {
		log.Info("load approved in review", "refused_run", prev.RunID, "decision", d.ID, "by", d.By)
		return decisions.ApprovalReason(d)
	}
	return given
}
