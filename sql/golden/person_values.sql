-- depends: stg_persons, person_clusters
-- test: not_null(golden_id, field)
-- Person field values in long form: one row per record and mapped field.
SELECT golden_id, record_key, system, object, record_id, updated_at, deleted, field, value
FROM (
  SELECT c.golden_id, s.record_key, s.system, s.object, s.record_id, s.updated_at, s.deleted,
         trim(s.email) AS email, s.first_name, s.last_name, s.phone, s.mobile_phone, s.title, s.company_name,
         s.street, s.city, s.state, s.postal_code, s.country, s.birthdate, s.lifecycle_stage
  FROM stg_persons s JOIN person_clusters c USING (record_key)
) UNPIVOT INCLUDE NULLS (value FOR field IN (email, first_name, last_name, phone, mobile_phone, title, company_name, street, city, state, postal_code, country, birthdate, lifecycle_stage))
