package sql_test

import (
	"context"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// clusterModels loads cluster_macros and one entity's clusters model from
// the embedded tree.
func clusterModels(t *testing.T, ent string) []transform.Model {
	t.Helper()
	return embeddedModels(t, "macros/cluster_macros.sql", "cluster/"+ent+"_clusters.sql")
}

// TestClustersHonourReviewDecisions: records 1-2-3 chain through two
// matches and 4-5 score a non-match; a cannot_link on 1-2 splits the chain
// even though the pair scored a match, and a must_link on 4-5 joins them.
// A deleted record (5, deleted when prev is set) stays with the live
// records it shared a golden id with in the previous run.
func TestClustersHonourReviewDecisions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		decisions string
		prev      string // prev_xref rows; record 5 is deleted when set
		want      string // clusters as groups of record ids, sorted
	}{
		{"no decisions", ``, "", "1 2 3|4|5"},
		{"cannot and must link", `('person', 'hubspot:contacts:1', 'hubspot:contacts:2', 'cannot_link'),
			('person', 'hubspot:contacts:4', 'hubspot:contacts:5', 'must_link')`, "", "1|2 3|4 5"},
		// a cannot-link pair apart in the chain: 1 and 3 never together
		{"cannot link across a chain", `('person', 'hubspot:contacts:1', 'hubspot:contacts:3', 'cannot_link')`, "", "1 2|3|4|5"},
		{"other entity ignored", `('company', 'hubspot:contacts:1', 'hubspot:contacts:2', 'cannot_link')`, "", "1 2 3|4|5"},
		{"deleted record keeps its golden record", ``, `('person', 'P3', 'hubspot', 'contacts', '3'), ('person', 'P3', 'hubspot', 'contacts', '5')`, "1 2 3 5|4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testDB(ctx, t)
			stmts := []string{
				`CREATE TABLE stg_persons AS SELECT i AS rid, 'hubspot:contacts:' || i AS record_key, 'hubspot' AS system,
					'contacts' AS object, i::VARCHAR AS record_id, i = 5 AND ? <> '' AS deleted FROM range(1, 6) t(i)`,
				`CREATE TABLE person_pairs AS SELECT * FROM (VALUES
					(1, 2, 'match', 'score', 20.0), (2, 3, 'match', 'score', 15.0), (4, 5, 'non-match', 'score', -3.0))
					t(left_rid, right_rid, decision, decided_by, score)`,
				`CREATE TABLE prev_xref (entity VARCHAR, golden_id VARCHAR, system VARCHAR, object VARCHAR, record_id VARCHAR)`,
				`CREATE TABLE review_pair_decisions (entity VARCHAR, left_key VARCHAR, right_key VARCHAR, decision VARCHAR)`,
			}
			if tc.decisions != "" {
				stmts = append(stmts, `INSERT INTO review_pair_decisions VALUES `+tc.decisions)
			}
			if tc.prev != "" {
				stmts = append(stmts, `INSERT INTO prev_xref VALUES `+tc.prev)
			}
			for i, s := range stmts {
				var args []any
				if i == 0 {
					args = []any{tc.prev}
				}
				if _, err := db.ExecContext(ctx, s, args...); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			if _, err := (&transform.Runner{DB: db}).Run(ctx, clusterModels(t, "person")); err != nil {
				t.Fatal(err)
			}
			var got string
			err := db.QueryRowContext(ctx, `SELECT string_agg(ids, '|' ORDER BY ids) FROM (
				SELECT string_agg(split_part(record_key, ':', 3), ' ' ORDER BY record_key) AS ids
				FROM person_clusters GROUP BY golden_id)`).Scan(&got)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("clusters %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDealClustersHonourReviewDecisions runs the same on deals, which
// cluster on record keys.
func TestDealClustersHonourReviewDecisions(t *testing.T) {
	ctx := context.Background()
	db := testDB(ctx, t)
	for _, s := range []string{
		`CREATE TABLE stg_deals AS SELECT 'hubspot:deals:' || i AS record_key, 'hubspot' AS system, 'deals' AS object,
			i::VARCHAR AS record_id, false AS deleted FROM range(1, 5) t(i)`,
		`CREATE TABLE deal_pairs AS SELECT * FROM (VALUES
			('hubspot:deals:1', 'hubspot:deals:2', 'match', 'score', 12.0),
			('hubspot:deals:2', 'hubspot:deals:3', 'match', 'score', 11.0),
			('hubspot:deals:3', 'hubspot:deals:4', 'review', 'score', 5.0)) t(left_key, right_key, decision, decided_by, score)`,
		`CREATE TABLE prev_xref (entity VARCHAR, golden_id VARCHAR, system VARCHAR, object VARCHAR, record_id VARCHAR)`,
		`CREATE TABLE review_pair_decisions AS SELECT * FROM (VALUES
			('deal', 'hubspot:deals:3', 'hubspot:deals:1', 'cannot_link'),
			('deal', 'hubspot:deals:3', 'hubspot:deals:4', 'must_link')) t(entity, left_key, right_key, decision)`,
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if _, err := (&transform.Runner{DB: db}).Run(ctx, clusterModels(t, "deal")); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.QueryRowContext(ctx, `SELECT string_agg(ids, '|' ORDER BY ids) FROM (
		SELECT string_agg(split_part(record_key, ':', 3), ' ' ORDER BY record_key) AS ids
		FROM deal_clusters GROUP BY golden_id)`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "1 2|3 4"; got != want {
		t.Errorf("clusters %q, want %q", got, want)
	}
}
