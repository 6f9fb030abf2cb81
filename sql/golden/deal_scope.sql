-- depends: deal_clusters, stg_deals, prev_xref, prev_consumed_runs, prev_outbox_ids, prev_golden_deals, raw_hubspot_deals, raw_salesforce_opportunity
-- test: unique(golden_id)
-- test: not_null(golden_id)
-- The golden deal ids this run rebuilds (field_changes, deal_values,
-- golden_deals, conflicts, outbox); golden_deals and conflicts carry the
-- others from the last published run. The rules are company_scope's, read
-- for deals, and one more, since golden_deals names each deal's golden
-- company:
--   company     a member record's company record (company_ref) belongs to
--               another golden company than last run, or is new
-- (a record's company_ref is in its raw row: a new one is a change).
WITH cur AS (
  SELECT record_key, golden_id FROM deal_clusters
),
prev_companies AS (
  SELECT system || ':' || object || ':' || record_id AS record_key, golden_id
  FROM prev_xref WHERE entity = 'company'
),
changed AS (
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
  LEFT JOIN prev_companies p ON p.record_key = d.company_key
  WHERE d.company_golden_id IS DISTINCT FROM p.golden_id
),
moved AS (
  SELECT c.golden_id AS cur_id, p.golden_id AS prev_id
  FROM cur c
  FULL JOIN (SELECT system || ':' || object || ':' || record_id AS record_key, golden_id
             FROM prev_xref WHERE entity = 'deal') p USING (record_key)
  WHERE c.golden_id IS DISTINCT FROM p.golden_id
),
dirty AS (
  SELECT c.golden_id FROM cur c SEMI JOIN changed USING (record_key)
  UNION ALL SELECT cur_id FROM moved WHERE cur_id IS NOT NULL
  UNION ALL SELECT prev_id FROM moved WHERE prev_id IS NOT NULL
  UNION ALL SELECT golden_id FROM prev_outbox_ids WHERE entity = 'deal'
  UNION ALL SELECT golden_id FROM review_field_overrides WHERE entity = 'deal'
  UNION ALL SELECT golden_id FROM cur ANTI JOIN prev_golden_deals USING (golden_id)
)
SELECT DISTINCT golden_id FROM cur
WHERE NOT getvariable('incremental')
UNION
SELECT golden_id FROM cur SEMI JOIN dirty USING (golden_id)
WHERE getvariable('incremental')
