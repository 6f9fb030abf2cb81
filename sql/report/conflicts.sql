-- depends: person_values, company_values, deal_values, golden_person_fields, golden_company_fields, golden_deal_fields, cfg_field_rules, golden_macros, prev_conflicts, person_clusters, person_scope, company_clusters, company_scope, deal_clusters, deal_scope
-- test: not_null(golden_id, field, resolution_rule, resolution, first_seen_at)
-- test: unique(entity, golden_id, field)
-- test: accepted_values(resolution, 'decided', 'review')
-- Published: a field a user changed in both systems since the last run
-- (field_changes: crmhub's own writes coming back are echoes, not changes)
-- to values that disagree, with both values and change times, the rule that
-- decides it and the result. A rule with on_conflict: review decides
-- nothing: the field is held (no write either way) and the conflict goes to
-- review_queue.
-- A conflict held for review stays open, run after run, until (docs/review.md):
--   a person decides it  a live review override wins the field (resolution
--                        decided, resolution_rule review); the row stays
--                        while the systems disagree, so an undo reopens it
--   a system edits the field again  a user edit (basis edited) of the field
--                        in any live record of the golden record after that
--                        system's side of the conflict: the new state
--                        supersedes it (a new conflict, or the rule decides)
--   the systems agree    the two records' values are the same (canon_value),
--                        e.g. once crmhub wrote the chosen value to both
-- It also ends when either record is deleted or the two records no longer
-- belong to one golden record. An open conflict keeps its records, values
-- and change times as raised (prev_conflicts: the last published conflicts,
-- cycle/review_inputs.go), so its review item keeps its id and fingerprint,
-- and first_seen_at: when a run first raised it (run clock, review_as_of).
-- An incremental run computes the golden records of person_scope,
-- company_scope and deal_scope; the open conflicts of the others are carried
-- as published (nothing they depend on moved, so this query would give them
-- back unchanged).
-- vals is read four times: NOT MATERIALIZED, so each read scans only what
-- it needs (the user changes since the last run; the records of open
-- conflicts) instead of DuckDB materialising every record field first (at
-- a million people, 30 M rows and half a minute for a first run that has
-- no conflict at all)
WITH vals AS NOT MATERIALIZED (
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
),
raised AS (
  SELECT h.entity, h.golden_id, h.field,
         h.object AS hubspot_object, h.record_id AS hubspot_record_id, h.value AS hubspot_value, h.changed_at AS hubspot_changed_at,
         s.object AS salesforce_object, s.record_id AS salesforce_record_id, s.value AS salesforce_value, s.changed_at AS salesforce_changed_at,
         getvariable('review_as_of') AS first_seen_at
  FROM changed h
  JOIN changed s ON s.entity = h.entity AND s.golden_id = h.golden_id AND s.field = h.field AND s.system = 'salesforce'
  WHERE h.system = 'hubspot' AND NOT same_value(h.field, h.value, s.value)
),
-- conflicts of earlier runs held for review, or decided in review, that are
-- still open: both records live in one golden record, still disagreeing,
-- and no user edit of the field since
carried AS (
  SELECT p.entity, hv.golden_id, p.field,
         p.hubspot_object, p.hubspot_record_id, p.hubspot_value, p.hubspot_changed_at,
         p.salesforce_object, p.salesforce_record_id, p.salesforce_value, p.salesforce_changed_at,
         coalesce(p.first_seen_at, getvariable('review_as_of')) AS first_seen_at
  FROM prev_conflicts p
  JOIN vals hv ON hv.entity = p.entity AND hv.system = 'hubspot' AND hv.object = p.hubspot_object
              AND hv.record_id = p.hubspot_record_id AND hv.field = p.field AND NOT hv.deleted
  JOIN vals sv ON sv.entity = p.entity AND sv.system = 'salesforce' AND sv.object = p.salesforce_object
              AND sv.record_id = p.salesforce_record_id AND sv.field = p.field AND NOT sv.deleted
              AND sv.golden_id = hv.golden_id
  WHERE (p.resolution = 'review' OR p.resolution_rule = 'review')
    AND NOT same_value(p.field, hv.value, sv.value)
    AND NOT EXISTS (SELECT 1 FROM vals e
                    WHERE e.entity = p.entity AND e.golden_id = hv.golden_id AND e.field = p.field
                      AND NOT e.deleted AND e.changed_basis = 'edited'
                      AND e.changed_at > CASE e.system WHEN 'hubspot' THEN p.hubspot_changed_at
                                                       ELSE p.salesforce_changed_at END)
  -- one per golden record and field (two that a cluster change brought
  -- together: the latest)
  QUALIFY row_number() OVER (PARTITION BY p.entity, hv.golden_id, p.field
                             ORDER BY greatest(p.hubspot_changed_at, p.salesforce_changed_at) DESC,
                                      p.hubspot_record_id, p.salesforce_record_id) = 1
),
open_conflicts AS (
  SELECT * FROM raised
  UNION ALL BY NAME
  SELECT c.* FROM carried c
  ANTI JOIN raised r ON r.entity = c.entity AND r.golden_id = c.golden_id AND r.field = c.field
)
SELECT o.entity, o.golden_id, o.field,
       o.hubspot_object, o.hubspot_record_id, o.hubspot_value, o.hubspot_changed_at,
       o.salesforce_object, o.salesforce_record_id, o.salesforce_value, o.salesforce_changed_at,
       CASE WHEN w.rule = 'review' OR r.on_conflict IS DISTINCT FROM 'review' THEN w.value END AS resolved_value,
       CASE WHEN w.rule = 'review' OR r.on_conflict IS DISTINCT FROM 'review' THEN w.system END AS resolved_from,
       w.rule AS resolution_rule,
       o.first_seen_at,
       -- a value chosen in review settles it; else the rule, unless it sends conflicts to review
       CASE WHEN w.rule = 'review' THEN 'decided' WHEN r.on_conflict = 'review' THEN 'review' ELSE 'decided' END AS resolution
FROM open_conflicts o
JOIN winners w ON w.entity = o.entity AND w.golden_id = o.golden_id AND w.field = o.field
LEFT JOIN cfg_field_rules r ON r.entity = o.entity AND r.field = o.field
UNION ALL BY NAME
SELECT p.* FROM prev_conflicts p
SEMI JOIN (SELECT 'person' AS entity, golden_id FROM person_clusters
           UNION SELECT 'company', golden_id FROM company_clusters
           UNION SELECT 'deal', golden_id FROM deal_clusters) c USING (entity, golden_id)
ANTI JOIN (SELECT 'person' AS entity, golden_id FROM person_scope
           UNION ALL SELECT 'company', golden_id FROM company_scope
           UNION ALL SELECT 'deal', golden_id FROM deal_scope) s USING (entity, golden_id)
WHERE getvariable('incremental') AND (p.resolution = 'review' OR p.resolution_rule = 'review')
