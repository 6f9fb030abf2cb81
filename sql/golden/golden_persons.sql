-- kind: script
-- depends: golden_person_fields, person_clusters, person_scope, prev_golden_persons, golden_macros
-- test: unique(golden_id)
-- test: not_null(golden_id)
-- One row per golden person: the winning value of each field, and in
-- provenance, for each field, the system, record, rule and change time that
-- supplied it (provenance['email'].system).
-- An incremental run builds the golden ids of person_scope (the table
-- golden_persons_rebuilt) and carries the others, unchanged by definition,
-- from the last published golden_persons (a full run's prev_golden_persons
-- has no rows). golden_persons is a view over the two: the carried rows,
-- nearly all of them on a nightly run, go from the last run's file
-- (prev_golden_persons reads it) to this run's when the cycle exports the
-- view, instead of being copied, provenance maps and all, into a table.
-- Values and provenance by one join per field on the golden id: a PIVOT
-- (first(value) per field) and a list() of provenance structs per golden
-- record were hash aggregates over every field row, the list the slowest
-- part (nested values in an aggregate state). provenance lists the fields
-- in name order, without a field the golden record has no row for.
CREATE OR REPLACE TABLE golden_persons_rebuilt AS
WITH ids AS (
  SELECT DISTINCT golden_id FROM golden_person_fields
),
vals AS (
  SELECT ids.golden_id,
       "email".value AS email,
       "first_name".value AS first_name,
       "last_name".value AS last_name,
       "phone".value AS phone,
       "mobile_phone".value AS mobile_phone,
       "title".value AS title,
       "company_name".value AS company_name,
       "street".value AS street,
       "city".value AS city,
       "state".value AS state,
       "postal_code".value AS postal_code,
       "country".value AS country,
       "birthdate".value AS birthdate,
       "lifecycle_stage".value AS lifecycle_stage,
       -- every golden record has a row for every field (the *_values model
       -- unpivots them all): the list_filter behind ELSE is a safeguard only
       CASE WHEN "birthdate".p IS NOT NULL AND "city".p IS NOT NULL AND "company_name".p IS NOT NULL AND "country".p IS NOT NULL
                 AND "email".p IS NOT NULL AND "first_name".p IS NOT NULL AND "last_name".p IS NOT NULL AND "lifecycle_stage".p IS NOT NULL
                 AND "mobile_phone".p IS NOT NULL AND "phone".p IS NOT NULL AND "postal_code".p IS NOT NULL AND "state".p IS NOT NULL
                 AND "street".p IS NOT NULL AND "title".p IS NOT NULL
            THEN map_from_entries([
         {'k': 'birthdate', 'v': "birthdate".p},
         {'k': 'city', 'v': "city".p},
         {'k': 'company_name', 'v': "company_name".p},
         {'k': 'country', 'v': "country".p},
         {'k': 'email', 'v': "email".p},
         {'k': 'first_name', 'v': "first_name".p},
         {'k': 'last_name', 'v': "last_name".p},
         {'k': 'lifecycle_stage', 'v': "lifecycle_stage".p},
         {'k': 'mobile_phone', 'v': "mobile_phone".p},
         {'k': 'phone', 'v': "phone".p},
         {'k': 'postal_code', 'v': "postal_code".p},
         {'k': 'state', 'v': "state".p},
         {'k': 'street', 'v': "street".p},
         {'k': 'title', 'v': "title".p}])
            ELSE map_from_entries(list_filter([
         {'k': 'birthdate', 'v': "birthdate".p},
         {'k': 'city', 'v': "city".p},
         {'k': 'company_name', 'v': "company_name".p},
         {'k': 'country', 'v': "country".p},
         {'k': 'email', 'v': "email".p},
         {'k': 'first_name', 'v': "first_name".p},
         {'k': 'last_name', 'v': "last_name".p},
         {'k': 'lifecycle_stage', 'v': "lifecycle_stage".p},
         {'k': 'mobile_phone', 'v': "mobile_phone".p},
         {'k': 'phone', 'v': "phone".p},
         {'k': 'postal_code', 'v': "postal_code".p},
         {'k': 'state', 'v': "state".p},
         {'k': 'street', 'v': "street".p},
         {'k': 'title', 'v': "title".p}], lambda e: e.v IS NOT NULL)) END AS provenance
  FROM ids
  LEFT JOIN golden_field_rows('golden_person_fields', 'email') "email" ON "email".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'first_name') "first_name" ON "first_name".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'last_name') "last_name" ON "last_name".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'phone') "phone" ON "phone".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'mobile_phone') "mobile_phone" ON "mobile_phone".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'title') "title" ON "title".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'company_name') "company_name" ON "company_name".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'street') "street" ON "street".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'city') "city" ON "city".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'state') "state" ON "state".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'postal_code') "postal_code" ON "postal_code".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'country') "country" ON "country".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'birthdate') "birthdate" ON "birthdate".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_person_fields', 'lifecycle_stage') "lifecycle_stage" ON "lifecycle_stage".golden_id = ids.golden_id
),
members AS (
  SELECT golden_id, count(*) AS records,
         count(*) FILTER (WHERE record_key LIKE 'hubspot:%') AS hubspot_records,
         count(*) FILTER (WHERE record_key LIKE 'salesforce:%') AS salesforce_records
  FROM person_clusters SEMI JOIN person_scope USING (golden_id) GROUP BY golden_id
)
SELECT vals.* EXCLUDE (provenance), m.records, m.hubspot_records, m.salesforce_records, vals.provenance
FROM vals JOIN members m USING (golden_id);
-- the ids carried, once: the row count, the tests, the cycle's counts and
-- the export each read the view
CREATE OR REPLACE TABLE golden_persons_carried AS
SELECT DISTINCT golden_id FROM person_clusters
ANTI JOIN person_scope USING (golden_id)
WHERE getvariable('incremental');
CREATE OR REPLACE VIEW golden_persons AS
SELECT * FROM golden_persons_rebuilt
UNION ALL BY NAME
SELECT p.* FROM prev_golden_persons p SEMI JOIN golden_persons_carried USING (golden_id);
