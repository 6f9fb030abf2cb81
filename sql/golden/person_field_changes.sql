-- kind: script
-- depends: raw_versions, prev_writes, ref_field_map, golden_macros, stg_persons, person_clusters, person_scope
-- test: unique(system, object, record_id, field)
-- test: not_null(changed_at, basis)
-- field_changes (see sql/golden/field_changes.sql) of the person records in
-- the golden persons this run rebuilds (person_scope: every one in a full
-- run): person_values reads nothing else.
-- The records first, as a table: its row count tells the join below to
-- hash them (146 k at a million people per system on a nightly run) and
-- stream the versions past. As a subquery its size was guessed, and the
-- join hashed the 7 M versions instead (2.6 s of CPU on that night).
CREATE OR REPLACE TEMP TABLE person_scope_keys AS
  SELECT s.system, s.object, s.record_id FROM stg_persons s
  JOIN person_clusters c USING (record_key) SEMI JOIN person_scope USING (golden_id);
CREATE OR REPLACE TEMP VIEW person_scope_versions AS
  SELECT rv.* FROM raw_versions rv
  SEMI JOIN person_scope_keys p ON p.system = rv.system AND p.object = rv.object AND p.record_id = rv.record_id;
CREATE OR REPLACE TABLE person_field_changes AS SELECT * FROM field_changes_of('person_scope_versions');
DROP VIEW person_scope_versions;
DROP TABLE person_scope_keys;
