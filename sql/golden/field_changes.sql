-- kind: script
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
-- Companies and deals here; persons in person_field_changes, for the golden
-- persons the run rebuilds (person_scope). The walk is field_changes_of
-- (sql/macros/golden_macros.sql).
CREATE OR REPLACE TEMP VIEW company_deal_versions AS
  SELECT rv.* FROM raw_versions rv
  SEMI JOIN (SELECT DISTINCT system, object FROM ref_field_map WHERE entity IN ('company', 'deal')) o
    ON o.system = rv.system AND o.object = rv.object;
CREATE OR REPLACE TABLE field_changes AS SELECT * FROM field_changes_of('company_deal_versions');
DROP VIEW company_deal_versions;
