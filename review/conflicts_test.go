package review_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// TestOpenConflictsCarriedForward runs the conflicts model
// (sql/report/conflicts.sql) over the last run's conflicts (prev_conflicts)
// and this run's values: a conflict held for review stays open while both
// records are live in one golden record, disagree and nobody edited the
// field since; a value chosen in review decides it; a deletion, agreement
// (crmhub's write of the chosen value coming back), a new edit, records
// that no longer belong together end it; a new conflict replaces it; a
// conflict the rule decided is not carried. An open conflict keeps the
// time it was first raised.
func TestOpenConflictsCarriedForward(t *testing.T) {
	ctx, db, models := modelDB(t, titleReviewPipeline(), func(m transform.Model) bool {
		return m.Macros || m.Name == "conflicts" || strings.HasPrefix(m.Name, "golden_") && strings.HasSuffix(m.Name, "_fields")
	})
	const valueCols = `golden_id VARCHAR, record_key VARCHAR, system VARCHAR, object VARCHAR, record_id VARCHAR,
		updated_at TIMESTAMP, deleted BOOLEAN, field VARCHAR, value VARCHAR, changed_at TIMESTAMP, changed_basis VARCHAR,
		changed_since_last_run BOOLEAN`
	stmts := []string{
		`SET VARIABLE review_as_of = TIMESTAMP '2026-03-10 00:00:00'`,
		`CREATE TABLE company_values (` + valueCols + `)`,
		`CREATE TABLE deal_values (` + valueCols + `)`,
		// golden_id, system, record_id, value, changed_at, basis, changed since the last run, deleted
		`CREATE TABLE person_values AS SELECT golden_id, system || ':' || object || ':' || record_id AS record_key, system, object, record_id,
		   CAST(changed_at AS TIMESTAMP) AS updated_at, deleted, 'title' AS field, value, CAST(changed_at AS TIMESTAMP) AS changed_at,
		   basis AS changed_basis, since AS changed_since_last_run
		 FROM (SELECT *, CASE WHEN system = 'hubspot' THEN 'contacts' WHEN record_id LIKE 'l-%' THEN 'Lead' ELSE 'Contact' END AS object
		 FROM (VALUES
		  ('G1', 'hubspot', 'h-G1', 'Head of Platform', '2026-03-01', 'edited', false, false),
		  ('G1', 'salesforce', 's-G1', 'VP Engineering', '2026-03-02', 'edited', false, false),
		  ('G2', 'hubspot', 'h-G2', 'Head of Platform', '2026-03-01', 'edited', false, true),
		  ('G2', 'salesforce', 's-G2', 'VP Engineering', '2026-03-02', 'edited', false, false),
		  ('G3', 'hubspot', 'h-G3', 'VP Engineering', '2026-03-05', 'echo', false, false),
		  ('G3', 'salesforce', 's-G3', 'VP Engineering', '2026-03-02', 'edited', false, false),
		  ('G4', 'hubspot', 'h-G4', 'CTO', '2026-03-06', 'edited', true, false),
		  ('G4', 'salesforce', 's-G4', 'VP Engineering', '2026-03-02', 'edited', false, false),
		  ('G5', 'hubspot', 'h-G5', 'Head of Platform', '2026-03-01', 'edited', false, false),
		  ('G5', 'salesforce', 's-G5', 'VP Engineering', '2026-03-02', 'edited', false, false),
		  ('G6', 'hubspot', 'h-G6', 'Head of Platform', '2026-03-01', 'edited', false, false),
		  ('G6b', 'salesforce', 's-G6', 'VP Engineering', '2026-03-02', 'edited', false, false),
		  ('G7', 'hubspot', 'h-G7', 'Head of Platform', '2026-03-01', 'edited', false, false),
		  ('G7', 'salesforce', 's-G7', 'VP Engineering', '2026-03-02', 'edited', false, false),
		  ('G8', 'hubspot', 'h-G8', 'Head of Platform', '2026-03-01', 'edited', false, false),
		  ('G8', 'salesforce', 's-G8', 'VP Engineering', '2026-03-02', 'edited', false, false),
		  ('G8', 'salesforce', 'l-G8', 'Engineer', '2026-02-20', 'edited', false, false),
		  ('G9', 'hubspot', 'h-G9', 'Chief Architect', '2026-03-09', 'edited', true, false),
		  ('G9', 'salesforce', 's-G9', 'Principal Engineer', '2026-03-09 01:00:00', 'edited', true, false)
		 ) t(golden_id, system, record_id, value, changed_at, basis, since, deleted))`,
		// a full run: every golden person is rebuilt (person_scope)
		`SET VARIABLE incremental = false`,
		`CREATE TABLE person_clusters AS SELECT DISTINCT record_key, golden_id FROM person_values`,
		`CREATE TABLE person_scope AS SELECT DISTINCT golden_id FROM person_values`,
		// no companies or deals
		`CREATE TABLE company_clusters (record_key VARCHAR, golden_id VARCHAR)`,
		`CREATE TABLE company_scope (golden_id VARCHAR)`,
		`CREATE TABLE deal_clusters (record_key VARCHAR, golden_id VARCHAR)`,
		`CREATE TABLE deal_scope (golden_id VARCHAR)`,
		`INSERT INTO review_field_overrides VALUES
		  ('person', 'G5', 'title', 'Chief Engineer', '2026-03-05', NULL, '2026-03-02', 'D5')`,
		`INSERT INTO prev_conflicts (entity, golden_id, field, hubspot_object, hubspot_record_id, hubspot_value, hubspot_changed_at,
		   salesforce_object, salesforce_record_id, salesforce_value, salesforce_changed_at, resolution_rule, resolution, first_seen_at)
		 SELECT 'person', g, 'title', 'contacts', 'h-' || g, 'Head of Platform', TIMESTAMP '2026-03-01',
		   'Contact', 's-' || g, 'VP Engineering', TIMESTAMP '2026-03-02', 'most_recent', CASE g WHEN 'G7' THEN 'decided' ELSE 'review' END,
		   TIMESTAMP '2026-03-03'
		 FROM (VALUES ('G1'), ('G2'), ('G3'), ('G4'), ('G5'), ('G6'), ('G7'), ('G8'), ('G9')) t(g)`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if _, err := (&transform.Runner{DB: db}).Run(ctx, models); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT golden_id, hubspot_value, salesforce_value, resolution, resolution_rule, resolved_value,
		strftime(first_seen_at, '%d')
		FROM conflicts ORDER BY golden_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var g, hv, sv, res, rule, seen string
		var resolved sql.NullString
		if err := rows.Scan(&g, &hv, &sv, &res, &rule, &resolved, &seen); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{g, hv, sv, res, rule, resolved.String, seen}, "|"))
	}
	want := []string{
		"G1|Head of Platform|VP Engineering|review|most_recent||03",           // nothing changed: still open
		"G5|Head of Platform|VP Engineering|decided|review|Chief Engineer|03", // decided in review
		"G8|Head of Platform|VP Engineering|review|most_recent||03",           // an older edit of another record changes nothing
		"G9|Chief Architect|Principal Engineer|review|most_recent||10",        // a new conflict replaces the old one
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("conflicts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
