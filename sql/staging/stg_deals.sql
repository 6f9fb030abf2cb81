-- depends: macros, raw_hubspot_deals, raw_salesforce_opportunity, ref_stage_map, company_clusters, stg_companies
-- test: unique(record_key)
-- test: not_null(record_key, system, object, record_id)
-- One row per deal record (HubSpot deals, Salesforce Opportunities), with the
-- golden id of its company so deals can be matched within one company.
-- name_n is what names the deal apart from its company: the words of the
-- name without legal forms, years, and the words of the company's own name
-- (also when misspelt: a word within Jaro-Winkler 0.9 of a company word),
-- sorted. Deals of one company share their company's words ("Acme: Renewal
-- 2026", "Acme Inc. - Training"), so those would make every pair of the
-- company's deals look alike, and the same deal is often named in another
-- order or with another spelling of the company in the other system
-- ("Data Migration - ACME, LLC" and "Acme LLC: Data Migration 2026").
WITH unioned AS (
  SELECT 'hubspot' AS system, 'deals' AS object, _id AS record_id, _updated_at AS updated_at, _archived AS deleted,
         dealname AS name, amount, closedate AS close_date, dealstage AS stage, pipeline,
         split_part(_assoc_companies, ',', 1) AS company_ref, crmhub_salesforce_id AS cross_id
  FROM raw_hubspot_deals
  UNION ALL
  SELECT 'salesforce', 'Opportunity', _id, _updated_at, _archived,
         Name, Amount, CloseDate, StageName, NULL,
         AccountId, HubSpot_Id__c
  FROM raw_salesforce_opportunity
)
SELECT u.system || ':' || u.object || ':' || u.record_id AS record_key,
       u.*,
       coalesce(nullif(array_to_string(list_sort(list_distinct(list_filter(string_split(coalesce(norm_company(u.name), ''), ' '),
                  w -> w <> '' AND NOT regexp_full_match(w, '(19|20)[0-9][0-9]')
                       AND NOT coalesce(list_bool_or(list_transform(string_split(norm_company(co.name), ' '),
                                                                    c -> c = w OR jaro_winkler_similarity(c, w) >= 0.9)), false)))), ' '), ''),
                norm_text(u.name)) AS name_n,
       try_cast(u.amount AS DOUBLE) AS amount_n,
       try_cast(left(u.close_date, 10) AS DATE) AS close_date_d,
       coalesce(hs.stage, sf.stage) AS stage_n,
       cc.golden_id AS company_golden_id,
       nullif(trim(u.cross_id), '') AS cross_id_n
FROM unioned u
LEFT JOIN ref_stage_map hs ON u.system = 'hubspot' AND hs.hubspot_stage = u.stage
LEFT JOIN ref_stage_map sf ON u.system = 'salesforce' AND sf.salesforce_stage = u.stage
LEFT JOIN company_clusters cc
  ON cc.record_key = CASE WHEN u.system = 'hubspot' THEN 'hubspot:companies:' ELSE 'salesforce:Account:' END || u.company_ref
LEFT JOIN stg_companies co ON co.record_key = cc.record_key
