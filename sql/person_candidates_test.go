package sql_test

import (
	"context"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// personBase is the last run's staged persons: 60 records in few names,
// towns, postal codes and phones, so that blocks hold several records and
// sorted windows (name_block_window 1, block_window 2) leave pairs out.
// Records 1-5 share a phone, 1-3 a mobile too (two phone-rule blocks). rid is
// renumbered in record_key order (personRenumber).
const personBase = `CREATE TABLE base AS
SELECT 'hubspot:contacts:' || lpad(i::VARCHAR, 3, '0') AS record_key, 'hubspot' AS system, 'contacts' AS object,
       lpad(i::VARCHAR, 3, '0') AS record_id, false AS deleted,
       CASE WHEN i % 4 = 0 THEN NULL ELSE 'p' || (i % 9) || '@mail.com' END AS email_n,
       CASE WHEN i % 4 = 0 THEN NULL ELSE 'p' || (i % 9) || '@mail.com' END AS email_key,
       CASE WHEN i <= 5 THEN '5550001' WHEN i % 3 = 0 THEN '555' || (i % 7) END AS phone_n,
       CASE WHEN i <= 3 THEN '5550002' END AS mobile_n,
       ['john', 'jon', 'mary'][i % 3 + 1] AS first_n, ['john', 'john', 'mary'][i % 3 + 1] AS first_key,
       ['smith', 'smyth', 'jones', 'brown'][i % 4 + 1] AS last_n,
       DATE '1980-01-01' + (i % 5)::INTEGER AS birthdate_d,
       CASE WHEN i % 2 = 0 THEN (i % 6) || ' main st' END AS street_n,
       ['springfield', 'shelbyville'][i % 2 + 1] AS city_n, '0000' || (i % 3) AS postal_n,
       'il' AS state_n, NULL::VARCHAR AS company_n, NULL::VARCHAR AS cross_id_n, 0::BIGINT AS rid
FROM range(1, 61) t(i)`

// personRenumber sets rid as stg_persons does: a row number in record_key
// order.
func personRenumber(table string) string {
	return `UPDATE ` + table + ` SET rid = r.rid FROM (SELECT record_key, row_number() OVER (ORDER BY system, object, record_id) AS rid
		FROM ` + table + `) r WHERE r.record_key = ` + table + `.record_key`
}

// TestPersonCandidatesIncremental: the last run's candidates (a full run
// over base) and state, then a day's edits; the incremental candidates
// must equal a full run's over the edited records, rules included, and
// carry the last comparison exactly for the last run's pairs of two
// unchanged records. An edit sorts only the blocks it touches again.
func TestPersonCandidatesIncremental(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		edits []string
		// all: a full run, every block sorted
		all bool
		// inPlace: the edits move no key (no block is sorted again), yet
		// the edited records' pairs are compared afresh
		inPlace bool
		// vars: settings of the run besides the test's windows
		vars []string
	}{
		{name: "nothing changed"},
		// sorts between its namesakes: later neighbours shift, later rids too
		{name: "new record", edits: []string{`INSERT INTO cur SELECT * REPLACE ('hubspot:contacts:010a' AS record_key, '010a' AS record_id,
			'new@mail.com' AS email_n, 'new@mail.com' AS email_key) FROM cur WHERE record_id = '010'`}},
		{name: "deleted record", edits: []string{`UPDATE cur SET deleted = true WHERE record_id = '013'`}},
		{name: "gone record", edits: []string{`DELETE FROM cur WHERE record_id = '001'`}},
		{name: "renamed record", edits: []string{`UPDATE cur SET last_n = 'smithe' WHERE record_id = '022'`}},
		// records 1-5 share a phone, 1-3 a mobile too: once 5 changes
		// phone, 1 and 3 fall out of the phone's window (3, 2, 4, 1 by
		// surname) but stay in the mobile's, which holds no changed record
		{name: "phone of a two-key block", edits: []string{`UPDATE cur SET phone_n = '5559999' WHERE record_id = '005'`}},
		// a block over max_block_size (10) yields no pairs: growing one
		// past it (first name and town, record 2's: 10 records) drops its
		// pairs, shrinking one (birth date, records 5, 10, ...: 12) under
		// it brings them
		{name: "block past max size", edits: []string{`INSERT INTO cur SELECT * REPLACE (record_key || 'x' AS record_key, record_id || 'x' AS record_id,
			NULL AS email_n, NULL AS email_key, NULL AS phone_n, NULL AS mobile_n, NULL AS street_n) FROM cur WHERE record_id = '002'`}},
		{name: "block under max size", edits: []string{`DELETE FROM cur WHERE record_id IN ('005', '010')`}},
		{name: "cross id written back", edits: []string{`UPDATE cur SET system = 'salesforce', object = 'Contact', record_key = 'salesforce:Contact:' || record_id
			WHERE record_id = '030'`, `UPDATE cur SET cross_id_n = '030' WHERE record_id = '031'`}},
		// a changed field that no key or sort value reads: every block sorts
		// as it did, the record's pairs are carried and compared again
		{name: "changed in place", edits: []string{`UPDATE cur SET company_n = 'acme', state_n = 'in' WHERE record_id IN ('020', '033')`}, inPlace: true},
		// a new first name: the record moves within its surname-and-town
		// blocks (sorted by first name) and changes its name blocks
		{name: "moved within a block", edits: []string{`UPDATE cur SET first_n = 'adam', first_key = 'adam' WHERE record_id = '014'`}},
		// ties in the sort value (same names and towns), broken by rid: a
		// namesake leaves and another arrives in the same big blocks
		{name: "tie left and tie arrived", edits: []string{`DELETE FROM cur WHERE record_id = '024'`,
			`INSERT INTO cur SELECT * REPLACE ('hubspot:contacts:036a' AS record_key, '036a' AS record_id, NULL AS email_n, NULL AS email_key,
				NULL AS phone_n, NULL AS mobile_n) FROM cur WHERE record_id = '036'`}},
		// several records leave one block and others move around it
		{name: "many moves in big blocks", edits: []string{`UPDATE cur SET deleted = true WHERE record_id IN ('007', '019', '043')`,
			`UPDATE cur SET postal_n = '00009', city_n = 'springfield' WHERE record_id IN ('011', '029')`,
			`UPDATE cur SET last_n = 'brown' WHERE record_id = '050'`}},
		// with name_block_window 8, a block losing more records than the
		// ten sorted rows can skip (10 - 8) is sorted whole: three brown
		// johns in a row are deleted from postal code 00001 (20 records, sorted by
		// name), so record 7, the first brown, now meets record 16, eleven
		// rows on in the last run's order
		{name: "more departures than the window skips", vars: []string{`SET VARIABLE max_block_size = 30`, `SET VARIABLE name_block_window = 8`},
			edits: []string{`UPDATE cur SET deleted = true WHERE record_id IN ('019', '031', '043')`}},
		{name: "a full run", all: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testDB(ctx, t)
			models := embeddedModels(t, "match/person_candidates.sql")
			exec := func(stmts ...string) {
				t.Helper()
				for _, s := range stmts {
					if _, err := db.ExecContext(ctx, s); err != nil {
						t.Fatalf("%s: %v", s, err)
					}
				}
			}
			// run builds the candidates into a table and returns the blocks
			// sorted again (-1 for all of them)
			run := func(incremental bool, into string) (resorted int64) {
				t.Helper()
				if _, err := db.ExecContext(ctx, `SET VARIABLE incremental = ?`, incremental); err != nil {
					t.Fatal(err)
				}
				if _, err := (&transform.Runner{DB: db}).Run(ctx, models); err != nil {
					t.Fatal(err)
				}
				exec(`CREATE OR REPLACE TABLE ` + into + ` AS SELECT * FROM person_candidates`)
				if err := db.QueryRowContext(ctx, `SELECT coalesce(resorted_blocks, -1) FROM person_match_work`).Scan(&resorted); err != nil {
					t.Fatal(err)
				}
				return resorted
			}
			exec(`SET VARIABLE max_block_size = 10`, `SET VARIABLE block_window = 2`, `SET VARIABLE name_block_window = 1`)
			exec(tc.vars...)
			exec(
				personBase, personRenumber("base"),
				// the last run: full, over base
				`CREATE TABLE stg_persons AS SELECT * FROM base`,
				`CREATE TABLE prev_stg_persons AS SELECT * FROM base LIMIT 0`,
				`CREATE TABLE prev_person_pairs (left_rid BIGINT, right_rid BIGINT, rule_mask BIGINT, pattern INTEGER,
					same_cross_id BOOLEAN, conflicting_cross_id BOOLEAN)`)
			run(false, "last")
			// its state: each pair's comparison stands in as its row number
			exec(`INSERT INTO prev_stg_persons SELECT * FROM base`,
				`INSERT INTO prev_person_pairs SELECT left_rid, right_rid, rule_mask, row_number() OVER (ORDER BY left_rid, right_rid),
					false, false FROM last`,
				`CREATE TABLE cur AS SELECT * FROM base`)
			exec(tc.edits...)
			exec(personRenumber("cur"), `CREATE OR REPLACE TABLE stg_persons AS SELECT * FROM cur`)
			incremental := !tc.all
			resorted := run(incremental, "inc")
			exec(`DELETE FROM prev_stg_persons`, `DELETE FROM prev_person_pairs`)
			if all := run(false, "recomputed"); all != -1 {
				t.Errorf("a full run sorted %d blocks again, want all (NULL)", all)
			}

			diff := func(q string) int64 {
				t.Helper()
				var n int64
				if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := diff(`SELECT count(*) FROM (SELECT left_rid, right_rid, rule_mask FROM inc EXCEPT ALL SELECT left_rid, right_rid, rule_mask FROM recomputed)`) +
				diff(`SELECT count(*) FROM (SELECT left_rid, right_rid, rule_mask FROM recomputed EXCEPT ALL SELECT left_rid, right_rid, rule_mask FROM inc)`); n != 0 {
				t.Errorf("%d candidate rows differ from a full run's", n)
			}
			// the comparison carried: the last run's, for its pairs of two
			// records unchanged (same key, same fields)
			want := `SELECT i.left_rid, i.right_rid, p.pattern
				FROM inc i
				JOIN cur cl ON cl.rid = i.left_rid JOIN cur cr ON cr.rid = i.right_rid
				JOIN base bl ON bl.record_key = cl.record_key JOIN base br ON br.record_key = cr.record_key
				JOIN prev_pairs p ON p.left_rid = bl.rid AND p.right_rid = br.rid
				WHERE cl.record_key IN (SELECT record_key FROM unchanged) AND cr.record_key IN (SELECT record_key FROM unchanged)`
			if incremental {
				exec(`CREATE TABLE unchanged AS SELECT record_key FROM (SELECT * EXCLUDE (rid) FROM cur INTERSECT SELECT * EXCLUDE (rid) FROM base)
					WHERE NOT deleted`)
				exec(`CREATE TABLE prev_pairs AS SELECT left_rid, right_rid, row_number() OVER (ORDER BY left_rid, right_rid) AS pattern FROM last`)
				got := `SELECT left_rid, right_rid, pattern FROM inc WHERE pattern IS NOT NULL`
				if n := diff(`SELECT count(*) FROM (`+got+` EXCEPT ALL `+want+`)`) + diff(`SELECT count(*) FROM (`+want+` EXCEPT ALL `+got+`)`); n != 0 {
					t.Errorf("%d pairs carry a comparison they should not, or lack one", n)
				}
				if diff(`SELECT count(*) FROM inc WHERE pattern IS NOT NULL`) == 0 {
					t.Error("no pair carried its comparison")
				}
			}
			blocks := diff(`SELECT count(*) FROM (SELECT DISTINCT rule, hk FROM person_block_keys('stg_persons'))`)
			switch {
			case tc.all && resorted != -1:
				t.Errorf("a full run sorted %d blocks again, want all (NULL)", resorted)
			case !tc.all && (len(tc.edits) == 0 || tc.inPlace) && resorted != 0:
				t.Errorf("no key moved, yet %d blocks were sorted again", resorted)
			case !tc.all && len(tc.edits) > 0 && !tc.inPlace && (resorted <= 0 || resorted >= blocks):
				t.Errorf("sorted %d blocks again of %d, want some and fewer", resorted, blocks)
			}
		})
	}
}
