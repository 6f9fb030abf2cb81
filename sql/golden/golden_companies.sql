-- depends: golden_company_fields, company_clusters, golden_macros, company_scope, prev_golden_companies
-- test: unique(golden_id)
-- One row per golden company; see golden_persons.
-- An incremental run builds the golden ids of company_scope and carries the
-- others, unchanged by definition, from the last published golden_companies
-- (a full run's prev_golden_companies has no rows).
-- Values and provenance by one join per field on the golden id: a PIVOT
-- (first(value) per field) and a list() of provenance structs per golden
-- record were hash aggregates over every field row, the list the slowest
-- part (nested values in an aggregate state). provenance lists the fields
-- in name order, without a field the golden record has no row for.
WITH ids AS (
  SELECT DISTINCT golden_id FROM golden_company_fields
),
vals AS (
  SELECT ids.golden_id,
       "name".value AS name,
       "domain".value AS domain,
       "phone".value AS phone,
       "street".value AS street,
       "city".value AS city,
       "state".value AS state,
       "postal_code".value AS postal_code,
       "country".value AS country,
       "industry".value AS industry,
       "employees".value AS employees,
       "annual_revenue".value AS annual_revenue,
       -- every golden record has a row for every field (the *_values model
       -- unpivots them all): the list_filter behind ELSE is a safeguard only
       CASE WHEN "annual_revenue".p IS NOT NULL AND "city".p IS NOT NULL AND "country".p IS NOT NULL AND "domain".p IS NOT NULL
                 AND "employees".p IS NOT NULL AND "industry".p IS NOT NULL AND "name".p IS NOT NULL AND "phone".p IS NOT NULL
                 AND "postal_code".p IS NOT NULL AND "state".p IS NOT NULL AND "street".p IS NOT NULL
            THEN map_from_entries([
         {'k': 'annual_revenue', 'v': "annual_revenue".p},
         {'k': 'city', 'v': "city".p},
         {'k': 'country', 'v': "country".p},
         {'k': 'domain', 'v': "domain".p},
         {'k': 'employees', 'v': "employees".p},
         {'k': 'industry', 'v': "industry".p},
         {'k': 'name', 'v': "name".p},
         {'k': 'phone', 'v': "phone".p},
         {'k': 'postal_code', 'v': "postal_code".p},
         {'k': 'state', 'v': "state".p},
         {'k': 'street', 'v': "street".p}])
            ELSE map_from_entries(list_filter([
         {'k': 'annual_revenue', 'v': "annual_revenue".p},
         {'k': 'city', 'v': "city".p},
         {'k': 'country', 'v': "country".p},
         {'k': 'domain', 'v': "domain".p},
         {'k': 'employees', 'v': "employees".p},
         {'k': 'industry', 'v': "industry".p},
         {'k': 'name', 'v': "name".p},
         {'k': 'phone', 'v': "phone".p},
         {'k': 'postal_code', 'v': "postal_code".p},
         {'k': 'state', 'v': "state".p},
         {'k': 'street', 'v': "street".p}], lambda e: e.v IS NOT NULL)) END AS provenance
  FROM ids
  LEFT JOIN golden_field_rows('golden_company_fields', 'name') "name" ON "name".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'domain') "domain" ON "domain".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'phone') "phone" ON "phone".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'street') "street" ON "street".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'city') "city" ON "city".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'state') "state" ON "state".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'postal_code') "postal_code" ON "postal_code".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'country') "country" ON "country".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'industry') "industry" ON "industry".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'employees') "employees" ON "employees".golden_id = ids.golden_id
  LEFT JOIN golden_field_rows('golden_company_fields', 'annual_revenue') "annual_revenue" ON "annual_revenue".golden_id = ids.golden_id
),
-- (of the golden ids built here: vals has no other)
members AS (
  SELECT golden_id, count(*) AS records,
         count(*) FILTER (WHERE record_key LIKE 'hubspot:%') AS hubspot_records,
         count(*) FILTER (WHERE record_key LIKE 'salesforce:%') AS salesforce_records
  FROM company_clusters SEMI JOIN company_scope USING (golden_id) GROUP BY golden_id
)
SELECT vals.* EXCLUDE (provenance), m.records, m.hubspot_records, m.salesforce_records, vals.provenance
FROM vals JOIN members m USING (golden_id)
UNION ALL BY NAME
SELECT p.* FROM prev_golden_companies p
SEMI JOIN (SELECT DISTINCT golden_id FROM company_clusters) c USING (golden_id)
ANTI JOIN company_scope s USING (golden_id)
WHERE getvariable('incremental')
