-- kind: script
-- depends: golden_macros, deal_clusters, stg_deals, prev_xref, prev_consumed_runs, prev_outbox_ids, prev_golden_deals, raw_hubspot_deals, raw_salesforce_opportunity
-- test: unique(golden_id)
-- test: not_null(golden_id)
-- The golden deal ids this run rebuilds (field_changes, deal_values,
-- golden_deals, conflicts, outbox); golden_deals and conflicts carry the
-- others from the last published run. The rules are company_scope's
-- (golden_scope in sql/macros/golden_macros.sql), read for deals, and one
-- more, since golden_deals names each deal's golden
-- company:
--   company     a member record's company record (company_ref) belongs to
--               another golden company than last run, or is new
-- (a record's company_ref is in its raw row: a new one is a change).
CREATE OR REPLACE TEMP VIEW deal_changed AS
  SELECT 'hubspot:deals:' || r._id AS record_key FROM raw_hubspot_deals r
  ANTI JOIN prev_consumed_runs c ON c.system = 'hubspot' AND c.object = 'deals' AND c.run_id = r._run_id
  UNION ALL
  SELECT 'salesforce:Opportunity:' || r._id FROM raw_salesforce_opportunity r
  ANTI JOIN prev_consumed_runs c ON c.system = 'salesforce' AND c.object = 'Opportunity' AND c.run_id = r._run_id
  UNION ALL
  -- stg_deals.company_golden_id against the golden id the same company
  -- record had last run (the join key alone, as stg_deals builds it)
  SELECT d.record_key
  FROM (SELECT record_key, company_golden_id,
               CASE WHEN system = 'hubspot' THEN 'hubspot:companies:' ELSE 'salesforce:Account:' END || company_ref AS company_key
        FROM stg_deals) d
  LEFT JOIN (SELECT system || ':' || object || ':' || record_id AS record_key, golden_id
             FROM prev_xref WHERE entity = 'company') p ON p.record_key = d.company_key
  WHERE d.company_golden_id IS DISTINCT FROM p.golden_id;
CREATE OR REPLACE TABLE deal_scope AS
  SELECT * FROM golden_scope('deal', 'deal_clusters', 'deal_changed', 'prev_golden_deals');
DROP VIEW deal_changed;
