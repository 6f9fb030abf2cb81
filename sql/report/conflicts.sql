-- depends: person_values, company_values, deal_values, golden_person_fields, golden_company_fields, golden_deal_fields, golden_macros
-- test: not_null(golden_id, field, resolution_rule)
-- Published: a field changed in both systems since the last run (variable
-- last_run_at) to values that disagree, with how the golden value settled it.
WITH vals AS (
  SELECT 'person' AS entity, * FROM person_values
  UNION ALL SELECT 'company', * FROM company_values
  UNION ALL SELECT 'deal', * FROM deal_values
),
winners AS (
  SELECT 'person' AS entity, * FROM golden_person_fields
  UNION ALL SELECT 'company', * FROM golden_company_fields
  UNION ALL SELECT 'deal', * FROM golden_deal_fields
),
latest AS (
  SELECT entity, golden_id, field, system,
         arg_max(value, updated_at) AS value, arg_max(record_id, updated_at) AS record_id, max(updated_at) AS changed_at
  FROM vals
  WHERE NOT deleted AND value IS NOT NULL AND updated_at > getvariable('last_run_at')
  GROUP BY ALL
)
SELECT h.entity, h.golden_id, h.field,
       h.record_id AS hubspot_record_id, h.value AS hubspot_value, h.changed_at AS hubspot_changed_at,
       s.record_id AS salesforce_record_id, s.value AS salesforce_value, s.changed_at AS salesforce_changed_at,
       w.value AS resolved_value, w.system AS resolved_from, w.rule AS resolution_rule
FROM latest h
JOIN latest s ON s.entity = h.entity AND s.golden_id = h.golden_id AND s.field = h.field AND s.system = 'salesforce'
JOIN winners w ON w.entity = h.entity AND w.golden_id = h.golden_id AND w.field = h.field
WHERE h.system = 'hubspot' AND NOT same_value(h.field, h.value, s.value)
