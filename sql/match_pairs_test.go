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
// it), and a level, blocking rule, system or object outside pair_types'
// ENUMs fails the rows that carry it, naming the value. Persons arrive
// typed (person_pairs_wide builds pair_types' columns).
func TestMatchPairsExplanation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		companyExpl  string // company_pairs' explanation
		companyRules string // company_pairs' rules; ['name'] when empty
		companyLeft  string // company_pairs' left key; hubspot:companies:7 when empty
		wantTestFail bool   // the model's tests fail
		wantRowsErr  string // reading the explanation fails with this
	}{
		{name: "each entity its fields",
			companyExpl: `{'name': {'level': 'contained', 'weight': 2.5}, 'domain': {'level': 'null', 'weight': 0.0}}`},
		{name: "a field pair_explanation lacks", wantTestFail: true,
			companyExpl: `{'name': {'level': 'exact', 'weight': 2.5}, 'website': {'level': 'exact', 'weight': 1.0}}`},
		{name: "a level pair_level lacks", wantRowsErr: "'nearly'",
			companyExpl: `{'name': {'level': 'nearly', 'weight': 2.5}, 'domain': {'level': 'null', 'weight': 0.0}}`},
		{name: "a rule blocking_rule lacks", wantRowsErr: "'same_logo'", companyRules: `['name', 'same_logo']`,
			companyExpl: `{'name': {'level': 'contained', 'weight': 2.5}, 'domain': {'level': 'null', 'weight': 0.0}}`},
		{name: "an object crm_object lacks", wantRowsErr: "'tickets'", companyLeft: `hubspot:tickets:7`,
			companyExpl: `{'name': {'level': 'contained', 'weight': 2.5}, 'domain': {'level': 'null', 'weight': 0.0}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testDB(ctx, t)
			if tc.companyRules == "" {
				tc.companyRules = `['name']`
			}
			if tc.companyLeft == "" {
				tc.companyLeft = `hubspot:companies:7`
			}
			// the pair_types the person pairs are built with
			if _, err := (&transform.Runner{DB: db}).Run(ctx, embeddedModels(t, "macros/pair_types.sql")); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{
				`CREATE TABLE person_pairs (left_rid BIGINT)`,
				`CREATE TABLE person_pairs_wide AS SELECT 'hubspot'::crm_system AS left_system, 'contacts'::crm_object AS left_object, '11' AS left_record_id,
					'salesforce'::crm_system AS right_system, 'Contact'::crm_object AS right_object, '003A' AS right_record_id, ['email']::blocking_rule[] AS rules,
					20.5 AS score, 0.99 AS probability, 'match'::pair_decision AS decision, 'score'::pair_decided_by AS decided_by,
					{'email': {'level': 'exact', 'weight': 9.12}, 'first_name': {'level': 'fuzzy_high', 'weight': -0.5}}::pair_explanation AS explanation`,
				`CREATE TABLE company_pairs AS SELECT '` + tc.companyLeft + `' AS left_key, 'salesforce:Account:001:x' AS right_key,
					` + tc.companyRules + ` AS rules, 3.0 AS score, 0.5 AS probability, 'review' AS decision, 'score' AS decided_by, ` + tc.companyExpl + ` AS explanation`,
				`CREATE TABLE deal_pairs AS SELECT 'hubspot:deals:5' AS left_key, 'salesforce:Opportunity:006B' AS right_key,
					['company'] AS rules, -4.0 AS score, 0.01 AS probability, 'non-match' AS decision, 'score' AS decided_by,
					{'amount': {'level': 'near', 'weight': -1.25}, 'close_date': {'level': 'close', 'weight': 0.75}} AS explanation`,
			} {
				if _, err := db.ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			_, err := (&transform.Runner{DB: db}).Run(ctx, embeddedModels(t, "macros/pair_types.sql", "report/match_pairs.sql"))
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
					|| '|' || right_system || '|' || right_object || '|' || right_record_id || '|' || array_to_string(blocking_rules, ','),
				CAST(explanation_list(explanation) AS VARCHAR),
				CAST(explanation_list(explanation) AS VARCHAR) = CAST(CASE entity
					WHEN 'person' THEN [{'field': 'email', 'level': 'exact', 'weight': 9.12::DOUBLE}, {'field': 'first_name', 'level': 'fuzzy_high', 'weight': -0.5::DOUBLE}]
					WHEN 'company' THEN [{'field': 'domain', 'level': 'null', 'weight': 0.0::DOUBLE}, {'field': 'name', 'level': 'contained', 'weight': 2.5::DOUBLE}]
					ELSE [{'field': 'amount', 'level': 'near', 'weight': -1.25::DOUBLE}, {'field': 'close_date', 'level': 'close', 'weight': 0.75::DOUBLE}] END AS VARCHAR),
				explanation.email.level IS NOT NULL, explanation.name.level IS NOT NULL, explanation.amount.level IS NOT NULL
				FROM match_pairs ORDER BY entity::VARCHAR`)
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
				"company hubspot|companies|7|salesforce|Account|001:x|name no yes no",
				"deal hubspot|deals|5|salesforce|Opportunity|006B|company no no yes",
				"person hubspot|contacts|11|salesforce|Contact|003A|email yes no no",
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
