-- kind: script
-- depends: golden_macros, person_clusters, stg_persons, company_clusters, golden_companies, prev_xref, prev_consumed_runs, prev_outbox_ids, prev_company_names, prev_golden_persons, raw_hubspot_contacts, raw_salesforce_contact, raw_salesforce_lead, raw_salesforce_account
-- test: unique(golden_id)
-- test: not_null(golden_id)
-- The golden person ids this run rebuilds (person_values, golden_persons,
-- conflicts, outbox); golden_persons and conflicts carry the others from the
-- last published run. A full run (variable incremental false) rebuilds every
-- golden id. An incremental run rebuilds a golden id when anything a golden
-- person is made of may have moved since the last run (docs/scaling.md):
--   changed     a member record has a version the last run did not read (an
--               extract run not in prev_consumed_runs), or is a Contact whose
--               Account has one (stg_persons takes the Contact's company
--               name from it)
--   membership  a record joined, left or is new (person_clusters against
--               prev_xref): both the new and the old golden id
--   company     a Contact's Account now belongs to another golden company,
--               or that company's golden name or its change time moved
--               (person_values reads the Contact's company name from it)
--   pending     the last run's outbox wrote to it (a write that landed comes
--               back as a change; one that failed or was refused is due again)
--   review      a reviewer's field override names it (overrides expire by
--               the clock, with no change in the data)
--   unseen      the last run published no golden person for it
-- Anything else a golden person depends on (models, reference tables,
-- golden rules, the crmhub build) is in the run's fingerprint: when it
-- changes the run is full (cycle/incremental.go). The rules but "changed"
-- and "company" (both: the records listed in person_changed) are
-- golden_scope's (sql/macros/golden_macros.sql).
CREATE OR REPLACE TEMP VIEW person_changed AS
WITH person_raw AS (
  SELECT 'hubspot' AS system, 'contacts' AS object, _id AS record_id, _run_id FROM raw_hubspot_contacts
  UNION ALL SELECT 'salesforce', 'Contact', _id, _run_id FROM raw_salesforce_contact
  UNION ALL SELECT 'salesforce', 'Lead', _id, _run_id FROM raw_salesforce_lead
),
changed_accounts AS (
  SELECT _id AS record_id FROM raw_salesforce_account a
  ANTI JOIN prev_consumed_runs c ON c.system = 'salesforce' AND c.object = 'Account' AND c.run_id = a._run_id
),
-- what person_values reads for a Contact's company name, now and last run
account_names AS (
  SELECT cc.record_key, cc.golden_id, fa.name AS value, fa.provenance['name'].changed_at AS changed_at,
         fa.provenance['name'].changed_basis AS changed_basis
  FROM company_clusters cc
  LEFT JOIN golden_companies fa ON fa.golden_id = cc.golden_id
  WHERE cc.record_key LIKE 'salesforce:Account:%'
),
prev_account_names AS (
  SELECT 'salesforce:Account:' || x.record_id AS record_key, x.golden_id, n.value, n.changed_at, n.changed_basis
  FROM prev_xref x LEFT JOIN prev_company_names n USING (golden_id)
  WHERE x.entity = 'company' AND x.system = 'salesforce' AND x.object = 'Account'
),
renamed_accounts AS (
  SELECT record_key FROM account_names a FULL JOIN prev_account_names p USING (record_key)
  WHERE a.golden_id IS DISTINCT FROM p.golden_id OR a.value IS DISTINCT FROM p.value
     OR a.changed_at IS DISTINCT FROM p.changed_at OR a.changed_basis IS DISTINCT FROM p.changed_basis
)
SELECT r.system || ':' || r.object || ':' || r.record_id AS record_key FROM person_raw r
ANTI JOIN prev_consumed_runs c ON c.system = r.system AND c.object = r.object AND c.run_id = r._run_id
UNION ALL
SELECT s.record_key FROM stg_persons s SEMI JOIN changed_accounts a ON a.record_id = s.company_ref
WHERE s.object = 'Contact'
UNION ALL
SELECT s.record_key FROM stg_persons s
SEMI JOIN renamed_accounts a ON a.record_key = 'salesforce:Account:' || s.company_ref
WHERE s.object = 'Contact';
CREATE OR REPLACE TABLE person_scope AS
  SELECT * FROM golden_scope('person', 'person_clusters', 'person_changed', 'prev_golden_persons');
DROP VIEW person_changed;
