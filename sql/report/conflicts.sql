-- depends: person_values, company_values, deal_values, golden_person_fields, golden_company_fields, golden_deal_fields, cfg_field_rules, golden_macros
-- test: not_null(golden_id, field, resolution_rule, resolution)
-- test: accepted_values(resolution, 'decided', 'review')
-- Published: a field a user changed in both systems since the last run
-- (field_changes: crmhub's own writes coming back are echoes, not changes)
-- to values that disagree, with both values and change times, the rule that
-- decides it and the result. A rule with on_conflict: review decides
-- nothing: the field is held (no write either way) and the conflict goes to
-- review_queue.
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
changed AS (
  -- per golden record, field and system: the latest user change since the last run
  SELECT entity, golden_id, field, system,
         arg_max(value, changed_at) AS value, arg_max(object, changed_at) AS object,
         arg_max(record_id, changed_at) AS record_id, max(changed_at) AS changed_at
  FROM vals
  WHERE NOT deleted AND changed_since_last_run
  GROUP BY ALL
)
SELECT h.entity, h.golden_id, h.field,
       h.object AS hubspot_object, h.record_id AS hubspot_record_id, h.value AS hubspot_value, h.changed_at AS hubspot_changed_at,
       s.object AS salesforce_object, s.record_id AS salesforce_record_id, s.value AS salesforce_value, s.changed_at AS salesforce_changed_at,
       CASE WHEN r.on_conflict = 'review' THEN NULL ELSE w.value END AS resolved_value,
       CASE WHEN r.on_conflict = 'review' THEN NULL ELSE w.system END AS resolved_from,
       w.rule AS resolution_rule,
       CASE WHEN r.on_conflict = 'review' THEN 'review' ELSE 'decided' END AS resolution
FROM changed h
JOIN changed s ON s.entity = h.entity AND s.golden_id = h.golden_id AND s.field = h.field AND s.system = 'salesforce'
JOIN winners w ON w.entity = h.entity AND w.golden_id = h.golden_id AND w.field = h.field
LEFT JOIN cfg_field_rules r ON r.entity = h.entity AND r.field = h.field
WHERE h.system = 'hubspot' AND NOT same_value(h.field, h.value, s.value)
