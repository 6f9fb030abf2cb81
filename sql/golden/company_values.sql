-- depends: stg_companies, company_clusters, company_scope, field_changes, ref_field_map
-- test: not_null(golden_id, field)
-- Each value carries when it last changed (field_changes; the record's
-- update time when the lake has no version of the field) and whether
-- a user changed it since the last run. Only the golden ids this run
-- rebuilds (company_scope: all of them in a full run).
WITH vals AS (
SELECT golden_id, system, object, record_id, updated_at, deleted, field, value
FROM (
  SELECT c.golden_id, s.system, s.object, s.record_id, s.updated_at, s.deleted,
         s.name, s.domain, s.phone, s.street, s.city, s.state, s.postal_code, s.country,
         s.industry, s.employees, s.annual_revenue
  FROM stg_companies s JOIN company_clusters c USING (record_key)
  SEMI JOIN company_scope USING (golden_id)
) UNPIVOT INCLUDE NULLS (value FOR field IN (name, domain, phone, street, city, state, postal_code, country, industry, employees, annual_revenue))
)
SELECT v.golden_id, v.system, v.object, v.record_id, v.updated_at, v.deleted, v.field,
       -- a bracketed create default ([not provided]) is crmhub's placeholder
       -- for a required field, not data: it must never become a golden value
       CASE WHEN fm.create_default LIKE '[%]' AND v.value = fm.create_default THEN NULL ELSE v.value END AS value,
       coalesce(fc.changed_at, v.updated_at) AS changed_at, coalesce(fc.basis, 'record_time') AS changed_basis,
       coalesce(fc.changed_since_last_run, false) AS changed_since_last_run
FROM vals v
LEFT JOIN ref_field_map fm ON fm.entity = 'company' AND fm.field = v.field AND fm.system = v.system
                         AND fm.object = v.object AND fm.role = 'value'
LEFT JOIN field_changes fc ON fc.entity = 'company' AND fc.system = v.system AND fc.object = v.object
                          AND fc.record_id = v.record_id AND fc.field = v.field
