-- depends: golden_deal_fields, deal_clusters, stg_deals, golden_macros, deal_scope, prev_golden_deals
-- test: unique(golden_id)
-- One row per golden deal, with the golden company it belongs to.
-- An incremental run builds the golden ids of deal_scope and carries the
-- others, unchanged by definition (deal_scope rebuilds a deal whose records'
-- company moved), from the last published golden_deals (a full run's
-- prev_golden_deals has no rows).
-- Values and provenance by one join per field on the golden id: a PIVOT
-- (first(value) per field) and a list() of provenance structs per golden
-- record were hash aggregates over every field row, the list the slowest
-- part (nested values in an aggregate state). provenance lists the fields
-- in name order, without a field the golden record has no row for.
WITH ids AS (
  SELECT DISTINCT golden_id FROM golden_deal_fields
),
vals AS (
  SELECT ids.golden_id,
       "name".value AS name,
       "amount".value AS amount,
       "close_date".value AS close_date,
       "stage".value AS stage,
       -- every golden record has a row for every field (the *_values model
       -- unpivots them all): the list_filter behind ELSE is a safeguard only
       CASE WHEN "amount".p IS NOT NULL AND "close_date".p IS NOT NULL AND "name".p IS NOT NULL AND "stage".p IS NOT NULL
            THEN map_from_entries([
         {'k': 'amount', 'v': "amount".p},
         {'k': 'close_date', 'v': "close_date".p},
         {'k': 'name', 'v': "name".p},
         {'k': 'stage', 'v': "stage".p}])
            ELSE map_from_entries(list_filter([
         {'k': 'amount', 'v': "amount".p},
         {'k': 'close_date', 'v': "close_date".p},
         {'k': 'name', 'v': "name".p},
         {'k': 'stage', 'v': "stage".p}], lambda e: e.v IS NOT NULL)) END AS provenance
  FROM ids
  LEFT JOIN golden_field_rows('golden_deal_fields', 'name') "name" ON "name".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_deal_fields', 'amount') "amount" ON "amount".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_deal_fields', 'close_date') "close_date" ON "close_date".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_deal_fields', 'stage') "stage" ON "stage".golden_id = ids.golden_id
),
-- members and company of the golden ids built here (vals has no other)
built AS (
  SELECT * FROM deal_clusters SEMI JOIN deal_scope USING (golden_id)
),
members AS (
  SELECT c.golden_id, count(*) AS records,
         count(*) FILTER (WHERE c.record_key LIKE 'hubspot:%') AS hubspot_records,
         count(*) FILTER (WHERE c.record_key LIKE 'salesforce:%') AS salesforce_records
  FROM built c GROUP BY c.golden_id
),
-- the company most of the deal's records point at; ties go to the smaller
-- id so the golden deal does not flip between runs
company AS (
  SELECT c.golden_id, s.company_golden_id
  FROM built c JOIN stg_deals s USING (record_key)
  WHERE s.company_golden_id IS NOT NULL
  GROUP BY c.golden_id, s.company_golden_id
  QUALIFY row_number() OVER (PARTITION BY c.golden_id ORDER BY count(*) DESC, s.company_golden_id) = 1
)
SELECT vals.* EXCLUDE (provenance), co.company_golden_id, m.records, m.hubspot_records, m.salesforce_records, vals.provenance
FROM vals JOIN members m USING (golden_id) LEFT JOIN company co USING (golden_id)
UNION ALL BY NAME
SELECT p.* FROM prev_golden_deals p
SEMI JOIN (SELECT DISTINCT golden_id FROM deal_clusters) c USING (golden_id)
ANTI JOIN deal_scope s USING (golden_id)
WHERE getvariable('incremental')
