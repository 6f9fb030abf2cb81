-- depends: raw_versions, prev_writes, ref_field_map, golden_macros
-- test: unique(system, object, record_id, field)
-- test: not_null(changed_at, basis)
-- When each field of each record last changed, from the record's versions in
-- the lake (every extract keeps its file; docs/golden.md): walk a record's
-- versions oldest first; a field changed at the first version whose value
-- differs (canon_value) from the version before. A change that brings back
-- the value crmhub itself wrote (prev_writes) is an echo, not an edit: it
-- keeps the time of the change crmhub copied; so do the values of a record
-- crmhub created (the load logs them under the created id).
--   basis  first_seen  the value was there when crmhub first saw the record:
--                      its version time is an upper bound
--          edited      a user (or another integration) changed it
--          echo        crmhub's own write came back
-- raw_versions keeps a version of a field only where its text changed, so
-- most records and fields have one row: those are first_seen without the
-- walk, which only the others (a hash aggregate finds them) go through.
WITH v AS (
  SELECT rv.system, rv.object, rv.record_id, rv.updated_at, fm.entity, fm.field, rv.crm_field, rv.value
  FROM raw_versions rv
  JOIN ref_field_map fm ON fm.system = rv.system AND fm.object = rv.object
                       AND fm.crm_field = rv.crm_field AND fm.role = 'value'
),
multi AS (
  SELECT system, object, record_id, field FROM v GROUP BY ALL HAVING count(*) > 1
),
steps AS (
  SELECT v.*, lag(value) OVER w AS prev_value, row_number() OVER w AS version
  FROM v SEMI JOIN multi USING (system, object, record_id, field)
  WINDOW w AS (PARTITION BY system, object, record_id, field ORDER BY updated_at)
),
change_points AS (
  SELECT s.*,
         CASE WHEN pw.record_id IS NOT NULL AND s.updated_at >= pw.written_at
                   AND same_value(s.field, pw.value, s.value) THEN 'echo'
              WHEN s.version = 1 THEN 'first_seen'
              ELSE 'edited' END AS basis,
         pw.source_changed_at
  FROM steps s
  LEFT JOIN prev_writes pw ON pw.system = s.system AND pw.object = s.object AND pw.record_id = s.record_id
                          AND pw.crm_field = s.crm_field
  WHERE s.version = 1 OR NOT same_value(s.field, s.value, s.prev_value)
)
SELECT system, object, record_id, entity, field, crm_field, value,
       CASE WHEN echo THEN coalesce(source_changed_at, updated_at) ELSE updated_at END AS changed_at,
       CASE WHEN echo THEN 'echo' ELSE 'first_seen' END AS basis, false AS changed_since_last_run
FROM (
  -- a record crmhub created holds crmhub's values from its first version
  -- (a CASE, so same_value runs only on records crmhub wrote: as a plain
  -- AND in a projection it ran on every record field)
  SELECT o.*, pw.source_changed_at,
         CASE WHEN pw.record_id IS NULL OR o.updated_at < pw.written_at THEN false
              WHEN o.value IS NOT DISTINCT FROM pw.value THEN true
              ELSE same_value(o.field, pw.value, o.value) END AS echo
  FROM (SELECT * FROM v ANTI JOIN multi USING (system, object, record_id, field)) o
  LEFT JOIN prev_writes pw ON pw.system = o.system AND pw.object = o.object AND pw.record_id = o.record_id
                          AND pw.crm_field = o.crm_field
)
UNION ALL
(SELECT system, object, record_id, entity, field, crm_field, value,
       -- an echo carries the change time of the value crmhub copied
       CASE WHEN basis = 'echo' THEN coalesce(source_changed_at, updated_at) ELSE updated_at END AS changed_at,
       basis,
       basis = 'edited' AND updated_at > getvariable('last_run_at')
         AND getvariable('last_run_at') > TIMESTAMP '1971-01-01' AS changed_since_last_run
FROM change_points
QUALIFY row_number() OVER (PARTITION BY system, object, record_id, field ORDER BY updated_at DESC) = 1)
