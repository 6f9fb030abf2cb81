-- kind: script
-- depends: golden_macros, company_clusters, prev_xref, prev_consumed_runs, prev_outbox_ids, prev_golden_companies, raw_hubspot_companies, raw_salesforce_account
-- test: unique(golden_id)
-- test: not_null(golden_id)
-- The golden company ids this run rebuilds (field_changes, company_values,
-- golden_companies, conflicts, outbox); golden_companies and conflicts carry
-- the others from the last published run, as person_scope does for persons.
-- A full run (variable incremental false) rebuilds every golden id. An
-- incremental run rebuilds a golden id when anything a golden company is
-- made of may have moved since the last run:
--   changed     a member record has a version the last run did not read (an
--               extract run not in prev_consumed_runs)
--   membership  a record joined, left or is new (company_clusters against
--               prev_xref): both the new and the old golden id
--   pending     the last run's outbox wrote to it (a write that landed comes
--               back as a change, and as an echo in prev_writes; one that
--               failed or was refused is due again)
--   review      a reviewer's field override names it (overrides expire by
--               the clock, with no change in the data)
--   unseen      the last run published no golden company for it
-- Models, reference tables, golden rules and the build are in the run's
-- fingerprint (cycle/incremental.go). The rules but "changed" are
-- golden_scope's (sql/macros/golden_macros.sql).
CREATE OR REPLACE TEMP VIEW company_changed AS
  SELECT 'hubspot:companies:' || r._id AS record_key FROM raw_hubspot_companies r
  ANTI JOIN prev_consumed_runs c ON c.system = 'hubspot' AND c.object = 'companies' AND c.run_id = r._run_id
  UNION ALL
  SELECT 'salesforce:Account:' || r._id FROM raw_salesforce_account r
  ANTI JOIN prev_consumed_runs c ON c.system = 'salesforce' AND c.object = 'Account' AND c.run_id = r._run_id;
CREATE OR REPLACE TABLE company_scope AS
  SELECT * FROM golden_scope('company', 'company_clusters', 'company_changed', 'prev_golden_companies');
DROP VIEW company_changed;
