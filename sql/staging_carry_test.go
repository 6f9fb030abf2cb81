package sql_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// TestStgCompaniesCarry: an incremental run's stg_companies takes the
// normalised keys of the last run's staged row (prev_stg_companies) when
// the record's updated_at and raw digest are unchanged, and normalises the
// record again when either differs. The last run's name_n is marked so
// that a carried key shows.
func TestStgCompaniesCarry(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		edit        string
		wantCarried bool
	}{
		{"unchanged", ``, true},
		{"edited name", `UPDATE raw_hubspot_companies SET name = 'Beta Holdings', _updated_at = _updated_at + INTERVAL 1 DAY WHERE _id = '1'`, false},
		{"name changed, same updated_at", `UPDATE raw_hubspot_companies SET name = 'Beta Holdings' WHERE _id = '1'`, false},
		{"other field edited", `UPDATE raw_hubspot_companies SET industry = 'Retail', _updated_at = _updated_at + INTERVAL 1 DAY WHERE _id = '1'`, false},
		// industry is no input of the keys: with the same updated_at the digest is the same
		{"field outside the digest, same updated_at", `UPDATE raw_hubspot_companies SET industry = 'Retail' WHERE _id = '1'`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testDB(ctx, t)
			for _, s := range []string{
				`SET VARIABLE default_region = 'US'`,
				`CREATE TABLE ref_free_mail_domains (domain VARCHAR)`,
				`CREATE TABLE ref_countries (alias VARCHAR, code VARCHAR)`,
				`INSERT INTO ref_countries VALUES ('us', 'US')`,
				`CREATE TABLE raw_hubspot_companies AS SELECT i::VARCHAR AS _id, TIMESTAMPTZ '2026-12-01 10:00:00+00' AS _updated_at, false AS _archived,
					['Acme Inc.', 'Globex LLC'][i] AS name, 'acme' || i || '.com' AS domain, '312 555 010' || i AS phone,
					i || '00 N Main St' AS address, 'Chicago' AS city, 'IL' AS state, '60601' AS zip, 'US' AS country,
					'Tech' AS industry, '10' AS numberofemployees, '1000' AS annualrevenue, NULL::VARCHAR AS crmhub_salesforce_id
					FROM range(1, 3) t(i)`,
				`CREATE TABLE raw_salesforce_account AS SELECT _id, _updated_at, _archived, name AS Name, domain AS Website, phone AS Phone,
					address AS BillingStreet, city AS BillingCity, state AS BillingState, zip AS BillingPostalCode, country AS BillingCountry,
					industry AS Industry, numberofemployees AS NumberOfEmployees, annualrevenue AS AnnualRevenue, crmhub_salesforce_id AS HubSpot_Id__c
					FROM raw_hubspot_companies LIMIT 0`,
				`CREATE TABLE prev_stg_companies (system VARCHAR, object VARCHAR, record_id VARCHAR, updated_at TIMESTAMPTZ, raw_digest UBIGINT,
					name_n VARCHAR, domain_n VARCHAR, phone_n VARCHAR, street_n VARCHAR, city_n VARCHAR, postal_n VARCHAR, cross_id_n VARCHAR,
					house_n VARCHAR, street_core_n VARCHAR, name_tokens VARCHAR[])`,
			} {
				if _, err := db.ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			// the last run's state, with a name no normaliser makes
			stageTwice(ctx, t, db, "staging/stg_companies.sql", tc.edit,
				`INSERT INTO prev_stg_companies SELECT system, object, record_id, updated_at, raw_digest, 'carried ' || name_n, domain_n, phone_n,
					street_n, city_n, postal_n, cross_id_n, house_n, street_core_n, name_tokens FROM stg_companies`,
				`DROP TABLE stg_companies`)
			var carried, other bool
			var rows int
			if err := db.QueryRowContext(ctx, `SELECT bool_or(record_id = '1' AND starts_with(name_n, 'carried ')),
				bool_or(record_id = '2' AND starts_with(name_n, 'carried ')), count(*) FROM stg_companies`).Scan(&carried, &other, &rows); err != nil {
				t.Fatal(err)
			}
			if carried != tc.wantCarried || !other || rows != 2 {
				t.Errorf("record 1 carried %v, want %v; untouched record 2 carried %v, want true; %d rows, want 2", carried, tc.wantCarried, other, rows)
			}
		})
	}
}

// TestStgDealsCarry: an incremental run's stg_deals takes the last run's
// two normalised names (prev_stg_deals) when the deal's updated_at, name
// and company record's normalised name are unchanged, and names the deal
// again when any differs: a renamed company changes which words name the
// deal apart from it. The last run's name_n is marked so that a carried
// name shows.
func TestStgDealsCarry(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		edit        string
		wantCarried bool
	}{
		{"unchanged", ``, true},
		{"renamed deal", `UPDATE raw_hubspot_deals SET dealname = 'Acme: Training', _updated_at = _updated_at + INTERVAL 1 DAY WHERE _id = '1'`, false},
		{"renamed company", `UPDATE stg_companies SET name_n = 'acme renewals' WHERE record_key = 'hubspot:companies:c1'`, false},
		{"amount edited", `UPDATE raw_hubspot_deals SET amount = '999', _updated_at = _updated_at + INTERVAL 1 DAY WHERE _id = '1'`, false},
		// another golden company: the names are kept, the golden id is new
		{"company merged", `UPDATE company_clusters SET golden_id = 'C9' WHERE record_key = 'hubspot:companies:c1'`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testDB(ctx, t)
			for _, s := range []string{
				`CREATE TABLE ref_stage_map (hubspot_stage VARCHAR, salesforce_stage VARCHAR, stage VARCHAR)`,
				`CREATE TABLE company_clusters AS SELECT 'hubspot:companies:c' || i AS record_key, 'C' || i AS golden_id FROM range(1, 3) t(i)`,
				`CREATE TABLE stg_companies AS SELECT 'hubspot:companies:c' || i AS record_key, ['acme', 'globex'][i] AS name_n FROM range(1, 3) t(i)`,
				`CREATE TABLE raw_hubspot_deals AS SELECT i::VARCHAR AS _id, TIMESTAMPTZ '2026-12-01 10:00:00+00' AS _updated_at, false AS _archived,
					['Acme: Renewal 2026', 'Globex - Data Migration'][i] AS dealname, '100' AS amount, '2026-12-31' AS closedate,
					'appointmentscheduled' AS dealstage, 'default' AS pipeline, 'c' || i AS _assoc_companies, NULL::VARCHAR AS crmhub_salesforce_id
					FROM range(1, 3) t(i)`,
				`CREATE TABLE raw_salesforce_opportunity AS SELECT _id, _updated_at, _archived, dealname AS Name, amount AS Amount, closedate AS CloseDate,
					dealstage AS StageName, _assoc_companies AS AccountId, crmhub_salesforce_id AS HubSpot_Id__c FROM raw_hubspot_deals LIMIT 0`,
				`CREATE TABLE prev_stg_deals (system VARCHAR, object VARCHAR, record_id VARCHAR, updated_at TIMESTAMPTZ, name_digest UBIGINT,
					name_full_n VARCHAR, name_n VARCHAR)`,
			} {
				if _, err := db.ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			stageTwice(ctx, t, db, "staging/stg_deals.sql", tc.edit,
				`INSERT INTO prev_stg_deals SELECT system, object, record_id, updated_at, name_digest, name_full_n, 'carried ' || name_n FROM stg_deals`,
				`DROP TABLE stg_deals`)
			var carried, other bool
			var golden string
			if err := db.QueryRowContext(ctx, `SELECT bool_or(record_id = '1' AND starts_with(name_n, 'carried ')),
				bool_or(record_id = '2' AND starts_with(name_n, 'carried ')), max(company_golden_id) FILTER (WHERE record_id = '1')
				FROM stg_deals`).Scan(&carried, &other, &golden); err != nil {
				t.Fatal(err)
			}
			if carried != tc.wantCarried || !other {
				t.Errorf("deal 1 carried %v, want %v; untouched deal 2 carried %v, want true", carried, tc.wantCarried, other)
			}
			var want string
			if err := db.QueryRowContext(ctx, `SELECT golden_id FROM company_clusters WHERE record_key = 'hubspot:companies:c1'`).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if golden != want {
				t.Errorf("deal 1's company_golden_id %q, want %q", golden, want)
			}
		})
	}
}

// stageTwice runs a staging model, turns its output into the last run's
// state (stash), applies edit (none when "") and runs the model again:
// the shape every staging-carry case shares.
func stageTwice(ctx context.Context, t *testing.T, db *sql.DB, model, edit string, stash ...string) {
	t.Helper()
	run := func() {
		t.Helper()
		if _, err := (&transform.Runner{DB: db}).Run(ctx, embeddedModels(t, "macros/macros.sql", model)); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if edit != "" {
		stash = append(stash, edit)
	}
	for _, st := range stash {
		if _, err := db.ExecContext(ctx, st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	run()
}
