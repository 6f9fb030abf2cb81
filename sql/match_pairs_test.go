package sql_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// TestMatchPairsExplanation runs report/match_pairs.sql over one pair of
// each entity. The published explanation is a struct keyed by field (the
// other entities' fields NULL); explanation_list gives review_queue the
// list of {field, level, weight} it had before, to the character, so the
// review fingerprints that hash it do not change. An entity explaining a
// field pair_explanation lacks fails the model's test (the cast would drop
// it), and a level outside pair_level fails the rows that carry it.
func TestMatchPairsExplanation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		companyExpl  string // company_pairs' explanation
		wantTestFail bool   // the model's tests fail
		wantRowsErr  string // reading the explanation fails with this
	}{
		{name: "each entity its fields",
			companyExpl: `{'name': {'level': 'contained', 'weight': 2.5}, 'domain': {'level': 'null', 'weight': 0.0}}`},
		{name: "a field pair_explanation lacks", wantTestFail: true,
			companyExpl: `{'name': {'level': 'exact', 'weight': 2.5}, 'website': {'level': 'exact', 'weight': 1.0}}`},
		{name: "a level pair_level lacks", wantRowsErr: "Conversion Error",
			companyExpl: `{'name': {'level': 'nearly', 'weight': 2.5}, 'domain': {'level': 'null', 'weight': 0.0}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testDB(ctx, t)
			for _, s := range []string{
				`CREATE TABLE person_pairs (left_rid BIGINT)`,
				`CREATE TABLE person_pairs_wide AS SELECT 'hubspot' AS left_system, 'contacts' AS left_object, '11' AS left_record_id,
					'salesforce' AS right_system, 'Contact' AS right_object, '003A' AS right_record_id, ['email'] AS rules,
					20.5 AS score, 0.99 AS probability, 'match' AS decision, 'score' AS decided_by,
					{'email': {'level': 'exact', 'weight': 9.12}, 'first_name': {'level': 'fuzzy_high', 'weight': -0.5}} AS explanation`,
				`CREATE TABLE company_pairs AS SELECT 'hubspot:companies:7' AS left_key, 'salesforce:Account:001:x' AS right_key,
					['name'] AS rules, 3.0 AS score, 0.5 AS probability, 'review' AS decision, 'score' AS decided_by, ` + tc.companyExpl + ` AS explanation`,
				`CREATE TABLE deal_pairs AS SELECT 'hubspot:deals:5' AS left_key, 'salesforce:Opportunity:006B' AS right_key,
					['amount'] AS rules, -4.0 AS score, 0.01 AS probability, 'non-match' AS decision, 'score' AS decided_by,
					{'amount': {'level': 'near', 'weight': -1.25}, 'close_date': {'level': 'close', 'weight': 0.75}} AS explanation`,
			} {
				if _, err := db.ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			_, err := (&transform.Runner{DB: db}).Run(ctx, embeddedModels(t, "report/match_pairs.sql"))
			if tc.wantTestFail {
				if !errors.Is(err, transform.ErrTestFailed) {
					t.Fatalf("run: %v, want a failed test", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.QueryContext(ctx, `SELECT entity, left_system || '|' || left_object || '|' || left_record_id
					|| '|' || right_system || '|' || right_object || '|' || right_record_id,
				CAST(explanation_list(explanation) AS VARCHAR),
				CAST(explanation_list(explanation) AS VARCHAR) = CAST(CASE entity
					WHEN 'person' THEN [{'field': 'email', 'level': 'exact', 'weight': 9.12::DOUBLE}, {'field': 'first_name', 'level': 'fuzzy_high', 'weight': -0.5::DOUBLE}]
					WHEN 'company' THEN [{'field': 'domain', 'level': 'null', 'weight': 0.0::DOUBLE}, {'field': 'name', 'level': 'contained', 'weight': 2.5::DOUBLE}]
					ELSE [{'field': 'amount', 'level': 'near', 'weight': -1.25::DOUBLE}, {'field': 'close_date', 'level': 'close', 'weight': 0.75::DOUBLE}] END AS VARCHAR),
				explanation.email.level IS NOT NULL, explanation.name.level IS NOT NULL, explanation.amount.level IS NOT NULL
				FROM match_pairs ORDER BY entity`)
			if err == nil {
				defer rows.Close()
			}
			var got []string
			for err == nil && rows.Next() {
				var entity, keys, list string
				var sameText, email, name, amount bool
				if err = rows.Scan(&entity, &keys, &list, &sameText, &email, &name, &amount); err != nil {
					break
				}
				if !sameText {
					t.Errorf("%s: explanation_list %s is not the list text review_queue hashed before", entity, list)
				}
				got = append(got, strings.Join([]string{entity, keys, yesNo(email), yesNo(name), yesNo(amount)}, " "))
			}
			if err == nil {
				err = rows.Err()
			}
			if tc.wantRowsErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantRowsErr) {
					t.Fatalf("reading match_pairs: %v, want %s", err, tc.wantRowsErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"company hubspot|companies|7|salesforce|Account|001:x no yes no",
				"deal hubspot|deals|5|salesforce|Opportunity|006B no no yes",
				"person hubspot|contacts|11|salesforce|Contact|003A yes no no",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("match_pairs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// yesNo spells whether an entity's explanation holds a field.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
