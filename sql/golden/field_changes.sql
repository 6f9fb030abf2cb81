-- kind: script
-- depends: raw_versions, prev_writes, ref_field_map, golden_macros, stg_companies, company_clusters, company_scope, stg_deals, deal_clusters, deal_scope
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
-- Companies and deals here, of the records in the golden companies and
-- deals the run rebuilds (company_scope, deal_scope: every one in a full
-- run): company_values and deal_values read nothing else. Persons are in
-- person_field_changes, for the golden persons the run rebuilds
-- (person_scope). The walk is field_changes_of
-- (sql/macros/golden_macros.sql).
CREATE OR REPLACE TEMP VIEW company_deal_versions AS
  SELECT rv.* FROM raw_versions rv
  SEMI JOIN (SELECT s.system, s.object, s.record_id FROM stg_companies s
             JOIN company_clusters c USING (record_key) SEMI JOIN company_scope USING (golden_id)
             UNION ALL
             SELECT s.system, s.object, s.record_id FROM stg_deals s
             JOIN deal_clusters c USING (record_key) SEMI JOIN deal_scope USING (golden_id)) r
    ON r.system = rv.system AND r.object = rv.object AND r.record_id = rv.record_id;
CREATE OR REPLACE TABLE field_changes AS SELECT * FROM field_changes_of('company_deal_versions');
DROP VIEW company_deal_versions;
