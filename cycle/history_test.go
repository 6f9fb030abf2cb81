package cycle

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/transform"
)

// TestWriteLogKeepsLatestWrite checks the write log after a run: the latest
// write per record and field, whether it is the last log's or this run's,
// with this run's refused writes left out and its creates logged under the
// CRM's id (writeLogPlain ranks only the keys this run wrote).
func TestWriteLogKeepsLatestWrite(t *testing.T) {
	ctx := context.Background()
	db, err := transform.Open(ctx, transform.EngineConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`CREATE TABLE prev_writes (system VARCHAR, object VARCHAR, record_id VARCHAR, crm_field VARCHAR, value VARCHAR,
			source_changed_at TIMESTAMP, run_id VARCHAR, written_at TIMESTAMP)`,
		`INSERT INTO prev_writes VALUES
			('hubspot', 'contacts', '1', 'email', 'old@x', NULL, 'r1', '2026-12-05 02:00:00'),   -- rewritten now
			('hubspot', 'contacts', '2', 'email', 'kept@x', NULL, 'r1', '2026-12-05 02:00:00'),  -- not written now
			('hubspot', 'contacts', '3', 'email', 'later@x', NULL, 'r9', '2026-12-07 02:00:00'), -- logged after this run's clock
			('hubspot', 'contacts', '4', 'phone', '+1', NULL, 'r1', '2026-12-05 02:00:00')      -- refused now
		`,
		`CREATE TABLE outbox (kind VARCHAR, system VARCHAR, object VARCHAR, record_id VARCHAR, crm_field VARCHAR,
			new_value VARCHAR, source_changed_at TIMESTAMP)`,
		`INSERT INTO outbox VALUES
			('field', 'hubspot', 'contacts', '1', 'email', 'new@x', NULL),
			('field', 'hubspot', 'contacts', '3', 'email', 'now@x', NULL),
			('field', 'hubspot', 'contacts', '4', 'phone', '+2', NULL),
			('field', 'hubspot', 'contacts', '5', 'email', 'first@x', NULL),
			('create', 'salesforce', 'Contact', 'new:g1', 'Email', 'made@x', NULL),
			('create', 'salesforce', 'Contact', 'new:g2', 'Email', 'failed@x', NULL)`,
		`CREATE TEMP TABLE run_errors AS SELECT 'hubspot' AS system, 'contacts' AS object, '4' AS record_id,
			'phone' AS field, 'INVALID' AS code, 'bad' AS message`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rep := &Report{RunID: "r2", StartedAt: run, Load: []load.Result{
		{System: "salesforce", Created: []load.Created{{Object: "Contact", RecordID: "new:g1", ID: "003A"}}},
	}}
	if err := writeLogPlain(ctx, db, rep); err != nil {
		t.Fatal(err)
	}
	// as the publish reads it: exported to Parquet
	file, _, err := exportTable(ctx, db, "write_log", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT system || ' ' || object || ' ' || record_id || ' ' || crm_field || ' ' || value || ' ' || run_id
		FROM read_parquet(?) ORDER BY ALL`, file)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want := []string{
		"hubspot contacts 1 email new@x r2",
		"hubspot contacts 2 email kept@x r1",
		"hubspot contacts 3 email later@x r9",
		"hubspot contacts 4 phone +1 r1",
		"hubspot contacts 5 email first@x r2",
		"salesforce Contact 003A Email made@x r2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("write_log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
