-- kind: script
-- depends: raw_versions, prev_writes, ref_field_map, golden_macros, stg_persons, person_clusters, person_scope
-- test: unique(system, object, record_id, field)
-- test: not_null(changed_at, basis)
-- field_changes (see sql/golden/field_changes.sql) of the person records in
-- the golden persons this run rebuilds (person_scope: every one in a full
-- run): person_values reads nothing else.
CREATE OR REPLACE TEMP VIEW person_scope_versions AS
  SELECT rv.* FROM raw_versions rv
  SEMI JOIN (SELECT s.system, s.object, s.record_id FROM stg_persons s
             JOIN person_clusters c USING (record_key) SEMI JOIN person_scope USING (golden_id)) p
    ON p.system = rv.system AND p.object = rv.object AND p.record_id = rv.record_id;
CREATE OR REPLACE TABLE person_field_changes AS SELECT * FROM field_changes_of('person_scope_versions');
DROP VIEW person_scope_versions;
