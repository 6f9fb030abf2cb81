package review_test

import (
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// TestFieldOverrideLifetime runs the golden rule (field_winners in
// sql/macros/golden_macros.sql) over candidate values with review
// overrides: a chosen value wins until it expires or a system changes the
// field after the change the reviewer saw; crmhub's own write coming back
// and a change to the chosen value itself do not end it; a lock beats it.
func TestFieldOverrideLifetime(t *testing.T) {
	ctx, db, macros := modelDB(t, titleReviewPipeline(), func(m transform.Model) bool { return m.Macros })
	if _, err := (&transform.Runner{DB: db}).Run(ctx, macros); err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		`SET VARIABLE review_as_of = TIMESTAMP '2026-03-10 00:00:00'`,
		// golden_id, system, value, changed_at, basis (field title, or deal amount for D1)
		`CREATE TABLE cand AS SELECT * FROM (VALUES
		  ('G1', 'hubspot', 'Head of Platform', '2026-03-01', 'edited'),
		  ('G1', 'salesforce', 'VP Engineering', '2026-03-02', 'edited'),
		  ('G2', 'hubspot', 'CTO', '2026-03-06', 'edited'),
		  ('G2', 'salesforce', 'VP Engineering', '2026-03-02', 'edited'),
		  ('G3', 'hubspot', 'Head of Platform', '2026-03-01', 'edited'),
		  ('G3', 'salesforce', 'VP Engineering', '2026-03-02', 'edited'),
		  ('G4', 'hubspot', 'Chief Engineer', '2026-03-02', 'echo'),
		  ('G4', 'salesforce', 'Chief Engineer', '2026-03-06', 'echo'),
		  ('G5', 'hubspot', 'chief  engineer', '2026-03-07', 'edited'),
		  ('G5', 'salesforce', 'VP Engineering', '2026-03-02', 'edited'),
		  ('G6', 'hubspot', 'Founder', '2026-03-08', 'first_seen'),
		  ('G6', 'salesforce', 'VP Engineering', '2026-03-02', 'edited'),
		  ('D1', 'hubspot', '100', '2026-03-06', 'edited'),
		  ('D1', 'salesforce', '200', '2026-03-01', 'edited')
		) t(golden_id, system, value, changed_at, basis)`,
		`CREATE TABLE fv AS SELECT golden_id, system || ':x:' || golden_id AS record_key, system,
		   CASE system WHEN 'hubspot' THEN 'contacts' ELSE 'Contact' END AS object, golden_id AS record_id,
		   CAST(changed_at AS TIMESTAMP) AS updated_at, CAST(changed_at AS TIMESTAMP) AS changed_at, basis AS changed_basis,
		   false AS deleted, 'title' AS field, value
		 FROM cand WHERE golden_id LIKE 'G%'`,
		`CREATE TABLE fv_deal AS SELECT golden_id, system || ':x:' || golden_id AS record_key, system,
		   CASE system WHEN 'hubspot' THEN 'deals' ELSE 'Opportunity' END AS object, golden_id AS record_id,
		   CAST(changed_at AS TIMESTAMP) AS updated_at, CAST(changed_at AS TIMESTAMP) AS changed_at, basis AS changed_basis,
		   false AS deleted, 'amount' AS field, value
		 FROM cand WHERE golden_id LIKE 'D%'`,
		`INSERT INTO review_field_overrides VALUES
		  ('person', 'G1', 'title', 'Chief Engineer', '2026-03-05', NULL, '2026-03-02', 'D1'),
		  ('person', 'G2', 'title', 'Chief Engineer', '2026-03-05', NULL, '2026-03-02', 'D2'),
		  ('person', 'G3', 'title', 'Chief Engineer', '2026-03-05', '2026-03-08', '2026-03-02', 'D3'),
		  ('person', 'G4', 'title', 'Chief Engineer', '2026-03-05', NULL, '2026-03-02', 'D4'),
		  ('person', 'G5', 'title', 'Chief Engineer', '2026-03-05', NULL, '2026-03-02', 'D5'),
		  ('person', 'G6', 'title', 'Chief Engineer', '2026-03-05', NULL, '2026-03-02', 'D6'),
		  ('company', 'G1', 'title', 'wrong entity', '2026-03-05', NULL, NULL, 'D7'),
		  ('deal', 'D1', 'amount', '150', '2026-03-05', NULL, '2026-03-06', 'D8')`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	got := winners(ctx, t, db, `SELECT golden_id, value, system, rule FROM field_winners('fv', 'person')
		UNION ALL SELECT golden_id, value, system, rule FROM field_winners('fv_deal', 'deal')`)
	for g, want := range map[string]win{
		"G1": {"Chief Engineer", "review", "review"},          // nothing changed since
		"G2": {"CTO", "hubspot", "most_recent"},               // HubSpot changed the field after the decision
		"G3": {"VP Engineering", "salesforce", "most_recent"}, // expired
		"G4": {"Chief Engineer", "review", "review"},          // crmhub's own write came back (echo)
		"G5": {"Chief Engineer", "review", "review"},          // a later change to the chosen value itself
		"G6": {"Founder", "hubspot", "most_recent"},           // a record that appeared since with another value
		"D1": {"200", "salesforce", "lock:salesforce"},        // a lock beats a review decision
	} {
		if got[g] != want {
			t.Errorf("%s: %+v, want %+v", g, got[g], want)
		}
	}
}
