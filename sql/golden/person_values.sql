-- depends: stg_persons, person_clusters, person_scope, person_field_changes, ref_field_map, company_clusters, golden_companies, golden_macros
-- test: not_null(golden_id, field)
-- Person field values in long form: one row per record and mapped field.
-- Each value carries when it last changed (person_field_changes; the record's
-- update time when the lake has no version of the field) and whether
-- a user changed it since the last run. Only the golden ids this run
-- rebuilds (person_scope: all of them in a full run).
WITH vals AS (
SELECT golden_id, system, object, record_id, updated_at, deleted, company_ref, field, value
FROM (
  SELECT c.golden_id, s.system, s.object, s.record_id, s.updated_at, s.deleted, s.company_ref,
         person_email(s.email) AS email, s.first_name, s.last_name, s.phone, s.mobile_phone, s.title, s.company_name,
         s.street, s.city, s.state, s.postal_code, s.country, s.birthdate, s.lifecycle_stage
  FROM stg_persons s JOIN person_clusters c USING (record_key)
  SEMI JOIN person_scope USING (golden_id)
) UNPIVOT INCLUDE NULLS (value FOR field IN (email, first_name, last_name, phone, mobile_phone, title, company_name, street, city, state, postal_code, country, birthdate, lifecycle_stage))
)
SELECT v.golden_id, v.system, v.object, v.record_id, v.updated_at, v.deleted, v.field,
       -- a bracketed create default ([not provided]) is crmhub's placeholder
       -- for a required field, not data: it must never become a golden value
       CASE WHEN fm.create_default LIKE '[%]' AND v.value = fm.create_default THEN NULL
            WHEN fa.golden_id IS NOT NULL AND fa.value IS NOT NULL THEN fa.value
            ELSE v.value END AS value,
       coalesce(fa.changed_at, fc.changed_at, v.updated_at) AS changed_at, coalesce(fa.changed_basis, fc.basis, 'record_time') AS changed_basis,
       coalesce(fc.changed_since_last_run, false) AS changed_since_last_run
FROM (SELECT *,
             -- the join key alone: a condition on the left side in the ON
             -- clause made DuckDB fall back to a nested-loop join
             CASE WHEN object = 'Contact' AND field = 'company_name' THEN 'salesforce:Account:' || company_ref END AS account_key
      FROM vals) v
LEFT JOIN ref_field_map fm ON fm.entity = 'person' AND fm.field = v.field AND fm.system = v.system
                         AND fm.object = v.object AND fm.role = 'value'
LEFT JOIN person_field_changes fc ON fc.entity = 'person' AND fc.system = v.system AND fc.object = v.object
                          AND fc.record_id = v.record_id AND fc.field = v.field
-- a Salesforce Contact's company name is its Account's Name, so its value
-- and change time are those of the Account's golden name: the Account may
-- be renamed by this very run, and the Contact's own record time moves with
-- every write to the Contact
-- (golden_companies, not golden_company_fields: an incremental run's
-- golden_company_fields holds only the companies it rebuilds)
LEFT JOIN (SELECT cc.record_key, fa.golden_id, fa.name AS value, fa.provenance['name'].changed_at AS changed_at,
                  fa.provenance['name'].changed_basis AS changed_basis
           FROM company_clusters cc JOIN golden_companies fa ON fa.golden_id = cc.golden_id
           WHERE cc.record_key LIKE 'salesforce:Account:%') fa ON fa.record_key = v.account_key
