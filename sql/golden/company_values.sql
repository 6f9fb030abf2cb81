-- depends: stg_companies, company_clusters
-- test: not_null(golden_id, field)
SELECT golden_id, record_key, system, object, record_id, updated_at, deleted, field, value
FROM (
  SELECT c.golden_id, s.record_key, s.system, s.object, s.record_id, s.updated_at, s.deleted,
         s.name, s.domain, s.phone, s.street, s.city, s.state, s.postal_code, s.country,
         s.industry, s.employees, s.annual_revenue
  FROM stg_companies s JOIN company_clusters c USING (record_key)
) UNPIVOT INCLUDE NULLS (value FOR field IN (name, domain, phone, street, city, state, postal_code, country, industry, employees, annual_revenue))
