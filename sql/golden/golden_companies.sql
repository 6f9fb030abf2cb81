-- depends: golden_company_fields, company_clusters
-- test: unique(golden_id)
-- One row per golden company; see golden_persons.
WITH vals AS (
  PIVOT golden_company_fields
  ON field IN ('name', 'domain', 'phone', 'street', 'city', 'state', 'postal_code', 'country',
               'industry', 'employees', 'annual_revenue')
  USING first(value)
  GROUP BY golden_id
),
prov AS (
  -- list_sort, not list(... ORDER BY field): an ordered aggregate sorts each
  -- group apart (most of this model's time); the entries sort by k first and
  -- a golden record has one row per field, so the order is the same
  SELECT golden_id, map_from_entries(list_sort(list({'k': field, 'v': {'system': system, 'object': object, 'record_id': record_id,
         'rule': rule, 'changed_at': changed_at, 'changed_basis': changed_basis}}))) AS provenance
  FROM golden_company_fields GROUP BY golden_id
),
members AS (
  SELECT golden_id, count(*) AS records,
         count(*) FILTER (WHERE record_key LIKE 'hubspot:%') AS hubspot_records,
         count(*) FILTER (WHERE record_key LIKE 'salesforce:%') AS salesforce_records
  FROM company_clusters GROUP BY golden_id
)
SELECT vals.*, m.records, m.hubspot_records, m.salesforce_records, prov.provenance
FROM vals JOIN prov USING (golden_id) JOIN members m USING (golden_id)
