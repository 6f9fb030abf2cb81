-- depends: golden_deal_fields, deal_clusters, stg_deals
-- test: unique(golden_id)
-- One row per golden deal, with the golden company it belongs to.
WITH vals AS (
  PIVOT golden_deal_fields
  ON field IN ('name', 'amount', 'close_date', 'stage')
  USING first(value)
  GROUP BY golden_id
),
prov AS (
  -- list_sort, not list(... ORDER BY field): an ordered aggregate sorts each
  -- group apart (most of this model's time); the entries sort by k first and
  -- a golden record has one row per field, so the order is the same
  SELECT golden_id, map_from_entries(list_sort(list({'k': field, 'v': {'system': system, 'object': object, 'record_id': record_id,
         'rule': rule, 'changed_at': changed_at, 'changed_basis': changed_basis}}))) AS provenance
  FROM golden_deal_fields GROUP BY golden_id
),
members AS (
  SELECT c.golden_id, count(*) AS records,
         count(*) FILTER (WHERE c.record_key LIKE 'hubspot:%') AS hubspot_records,
         count(*) FILTER (WHERE c.record_key LIKE 'salesforce:%') AS salesforce_records
  FROM deal_clusters c GROUP BY c.golden_id
),
-- the company most of the deal's records point at; ties go to the smaller
-- id so the golden deal does not flip between runs
company AS (
  SELECT c.golden_id, s.company_golden_id
  FROM deal_clusters c JOIN stg_deals s USING (record_key)
  WHERE s.company_golden_id IS NOT NULL
  GROUP BY c.golden_id, s.company_golden_id
  QUALIFY row_number() OVER (PARTITION BY c.golden_id ORDER BY count(*) DESC, s.company_golden_id) = 1
)
SELECT vals.*, co.company_golden_id, m.records, m.hubspot_records, m.salesforce_records, prov.provenance
FROM vals JOIN prov USING (golden_id) JOIN members m USING (golden_id) LEFT JOIN company co USING (golden_id)
