-- depends: golden_person_fields, person_clusters
-- test: unique(golden_id)
-- test: not_null(golden_id)
-- One row per golden person: the winning value of each field, and in
-- provenance, for each field, the system, record, rule and change time that
-- supplied it (provenance['email'].system).
WITH vals AS (
  PIVOT golden_person_fields
  ON field IN ('email', 'first_name', 'last_name', 'phone', 'mobile_phone', 'title', 'company_name',
               'street', 'city', 'state', 'postal_code', 'country', 'birthdate', 'lifecycle_stage')
  USING first(value)
  GROUP BY golden_id
),
prov AS (
  -- list_sort, not list(... ORDER BY field): an ordered aggregate sorts each
  -- group apart (most of this model's time); the entries sort by k first and
  -- a golden record has one row per field, so the order is the same
  SELECT golden_id, map_from_entries(list_sort(list({'k': field, 'v': {'system': system, 'object': object, 'record_id': record_id,
         'rule': rule, 'changed_at': changed_at, 'changed_basis': changed_basis}}))) AS provenance
  FROM golden_person_fields GROUP BY golden_id
),
members AS (
  SELECT golden_id, count(*) AS records,
         count(*) FILTER (WHERE record_key LIKE 'hubspot:%') AS hubspot_records,
         count(*) FILTER (WHERE record_key LIKE 'salesforce:%') AS salesforce_records
  FROM person_clusters GROUP BY golden_id
)
SELECT vals.*, m.records, m.hubspot_records, m.salesforce_records, prov.provenance
FROM vals JOIN prov USING (golden_id) JOIN members m USING (golden_id)
