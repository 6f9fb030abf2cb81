package review_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/transform"
)

// TestFieldRules runs every golden rule of docs/golden.md through
// field_winners (sql/macros/golden_macros.sql) on candidate values of one
// field per golden record: owner (even blank), owner_unless_blank,
// most_recent, priority (system:Object before system), most_frequent (in
// canon_value, so "PA" and "Pennsylvania" count as one), longest, a SQL
// expression, a lock while its condition holds, and ties.
func TestFieldRules(t *testing.T) {
	p := pipelines.Default()
	p.Golden.Rules = []pipelines.FieldRule{
		{Entity: "person", Field: "title", Rule: "owner", Owner: "salesforce"},
		{Entity: "person", Field: "phone", Rule: "owner_unless_blank", Owner: "salesforce"},
		{Entity: "person", Field: "city", Rule: "priority", Priority: []string{"salesforce:Lead", "hubspot"}},
		{Entity: "person", Field: "state", Rule: "most_frequent"},
		{Entity: "person", Field: "street", Rule: "longest"},
		{Entity: "person", Field: "first_name", Rule: "sql", Expression: "CASE WHEN system = 'hubspot' THEN 1 ELSE 0 END"},
		{Entity: "person", Field: "last_name", Rule: "most_recent",
			Lock: &pipelines.Lock{System: "salesforce", When: "has_salesforce AND salesforce_value LIKE 'Locked%'"}},
	}
	ctx, db, macros := modelDB(t, p, func(m transform.Model) bool { return m.Macros })
	if _, err := (&transform.Runner{DB: db}).Run(ctx, macros); err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		`SET VARIABLE review_as_of = TIMESTAMP '2026-03-10 00:00:00'`,
		`CREATE TABLE cand AS SELECT * FROM (VALUES
		  -- owner: Salesforce's value, even blank, while it has a record
		  ('O1', 'title', 'hubspot', 'contacts', 'h1', 'CTO', '2026-03-05'),
		  ('O1', 'title', 'salesforce', 'Contact', 's1', NULL, '2026-03-01'),
		  ('O2', 'title', 'hubspot', 'contacts', 'h2', 'CTO', '2026-03-05'),
		  -- owner_unless_blank: a blank owner value falls back to most_recent
		  ('U1', 'phone', 'hubspot', 'contacts', 'h3', '+1 415 555 0100', '2026-03-05'),
		  ('U1', 'phone', 'salesforce', 'Contact', 's3', '  ', '2026-03-06'),
		  ('U2', 'phone', 'hubspot', 'contacts', 'h4', '+1 415 555 0100', '2026-03-05'),
		  ('U2', 'phone', 'salesforce', 'Contact', 's4', '+1 415 555 0199', '2026-03-01'),
		  -- priority: salesforce:Lead, then hubspot, then anything (most_recent)
		  ('P1', 'city', 'salesforce', 'Contact', 's5', 'Oslo', '2026-03-09'),
		  ('P1', 'city', 'hubspot', 'contacts', 'h5', 'Bergen', '2026-03-01'),
		  ('P1', 'city', 'salesforce', 'Lead', 'l5', 'Tromso', '2026-03-02'),
		  ('P2', 'city', 'salesforce', 'Contact', 's6', 'Oslo', '2026-03-09'),
		  ('P2', 'city', 'hubspot', 'contacts', 'h6', 'Bergen', '2026-03-01'),
		  -- most_frequent in canon_value: PA twice (two spellings), NY once and newest
		  ('F1', 'state', 'hubspot', 'contacts', 'h7', 'Pennsylvania', '2026-03-01'),
		  ('F1', 'state', 'salesforce', 'Contact', 's7', 'PA', '2026-03-02'),
		  ('F1', 'state', 'salesforce', 'Lead', 'l7', 'NY', '2026-03-09'),
		  -- longest non-blank
		  ('L1', 'street', 'hubspot', 'contacts', 'h8', '1 Main St', '2026-03-09'),
		  ('L1', 'street', 'salesforce', 'Contact', 's8', '1 Main Street, Suite 200', '2026-03-01'),
		  -- sql: the highest score (HubSpot) wins, though older
		  ('S1', 'first_name', 'hubspot', 'contacts', 'h9', 'Ann', '2026-03-01'),
		  ('S1', 'first_name', 'salesforce', 'Contact', 's9', 'Anne', '2026-03-09'),
		  -- lock holds: Salesforce wins though older; lock does not hold: most_recent
		  ('K1', 'last_name', 'hubspot', 'contacts', 'h10', 'Lee', '2026-03-09'),
		  ('K1', 'last_name', 'salesforce', 'Contact', 's10', 'Locked Lee', '2026-03-01'),
		  ('K2', 'last_name', 'hubspot', 'contacts', 'h11', 'Lee', '2026-03-09'),
		  ('K2', 'last_name', 'salesforce', 'Contact', 's11', 'Li', '2026-03-01'),
		  -- no rule (email): most_recent; a tie goes to the origin, not the echo
		  ('M1', 'email', 'hubspot', 'contacts', 'h12', 'a@x.test', '2026-03-05'),
		  ('M1', 'email', 'salesforce', 'Contact', 's12', 'b@x.test', '2026-03-07'),
		  ('T1', 'email', 'hubspot', 'contacts', 'h13', 'c@x.test', '2026-03-05'),
		  ('T1', 'email', 'salesforce', 'Contact', 's13', 'c@x.test', '2026-03-05')
		) t(golden_id, field, system, object, record_id, value, changed_at)`,
		`CREATE TABLE fv AS SELECT golden_id, system || ':' || object || ':' || record_id AS record_key, system, object, record_id,
		   CAST(changed_at AS TIMESTAMP) AS updated_at, CAST(changed_at AS TIMESTAMP) AS changed_at,
		   CASE WHEN golden_id = 'T1' AND system = 'hubspot' THEN 'echo' ELSE 'edited' END AS changed_basis,
		   false AS deleted, field, value
		 FROM cand`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	got := winners(ctx, t, db, `SELECT golden_id, coalesce(value, '<blank>'), record_id, rule FROM field_winners('fv', 'person')`)
	for g, want := range map[string]win{
		"O1": {"<blank>", "s1", "owner"},
		"O2": {"CTO", "h2", "owner"}, // no Salesforce record: most_recent among the others
		"U1": {"+1 415 555 0100", "h3", "owner_unless_blank"},
		"U2": {"+1 415 555 0199", "s4", "owner_unless_blank"},
		"P1": {"Tromso", "l5", "priority"},
		"P2": {"Bergen", "h6", "priority"},
		"F1": {"PA", "s7", "most_frequent"},
		"L1": {"1 Main Street, Suite 200", "s8", "longest"},
		"S1": {"Ann", "h9", "sql"},
		"K1": {"Locked Lee", "s10", "lock:salesforce"},
		"K2": {"Lee", "h11", "most_recent"},
		"M1": {"b@x.test", "s12", "most_recent"},
		"T1": {"c@x.test", "s13", "most_recent"},
	} {
		if got[g] != want {
			t.Errorf("%s: %+v, want %+v", g, got[g], want)
		}
	}
	if len(got) != 13 {
		t.Errorf("%d golden records decided, want 13: %v", len(got), got)
	}
}

// win is one golden field's winner: its value, where it came from (a
// system or a record id, as the query selects) and the rule that chose it.
type win struct{ value, from, rule string }

// winners runs q (golden_id, value, from, rule) and keys the rows by golden id.
func winners(ctx context.Context, t *testing.T, db *sql.DB, q string) map[string]win {
	t.Helper()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]win{}
	for rows.Next() {
		var g string
		var w win
		if err := rows.Scan(&g, &w.value, &w.from, &w.rule); err != nil {
			t.Fatal(err)
		}
		got[g] = w
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}
