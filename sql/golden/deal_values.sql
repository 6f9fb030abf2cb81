-- depends: stg_deals, deal_clusters
-- test: not_null(golden_id, field)
-- Stages are kept in the shared vocabulary (ref_stage_map); the outbox maps
-- them back to each CRM's own values.
SELECT golden_id, record_key, system, object, record_id, updated_at, deleted, field, value
FROM (
  SELECT c.golden_id, s.record_key, s.system, s.object, s.record_id, s.updated_at, s.deleted,
         s.name, s.amount, s.close_date, s.stage_n AS stage
  FROM stg_deals s JOIN deal_clusters c USING (record_key)
) UNPIVOT INCLUDE NULLS (value FOR field IN (name, amount, close_date, stage))
