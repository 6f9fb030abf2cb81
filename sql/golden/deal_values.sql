-- depends: stg_deals, deal_clusters, deal_scope, field_changes, ref_field_map
-- test: not_null(golden_id, field)
-- Stages are kept in the shared vocabulary (ref_stage_map); the outbox maps
-- them back to each CRM's own values.
-- Each value carries when it last changed (field_changes; the record's
-- update time when the lake has no version of the field) and whether
-- a user changed it since the last run. Only the golden ids this run
-- rebuilds (deal_scope: all of them in a full run).
WITH vals AS (
SELECT golden_id, system, object, record_id, updated_at, deleted, field, value
FROM (
  SELECT c.golden_id, s.system, s.object, s.record_id, s.updated_at, s.deleted,
         s.name, s.amount, s.close_date, s.stage_n AS stage
  FROM stg_deals s JOIN deal_clusters c USING (record_key)
  SEMI JOIN deal_scope USING (golden_id)
) UNPIVOT INCLUDE NULLS (value FOR field IN (name, amount, close_date, stage))
)
SELECT v.golden_id, v.system, v.object, v.record_id, v.updated_at, v.deleted, v.field,
       -- a bracketed create default ([not provided]) is crmhub's placeholder
       -- for a required field, not data: it must never become a golden value
       CASE WHEN fm.create_default LIKE '[%]' AND v.value = fm.create_default THEN NULL ELSE v.value END AS value,
       coalesce(fc.changed_at, v.updated_at) AS changed_at, coalesce(fc.basis, 'record_time') AS changed_basis,
       coalesce(fc.changed_since_last_run, false) AS changed_since_last_run
FROM vals v
LEFT JOIN ref_field_map fm ON fm.entity = 'deal' AND fm.field = v.field AND fm.system = v.system
                         AND fm.object = v.object AND fm.role = 'value'
LEFT JOIN field_changes fc ON fc.entity = 'deal' AND fc.system = v.system AND fc.object = v.object
                          AND fc.record_id = v.record_id AND fc.field = v.field
