-- depends: macros, raw_hubspot_deals, raw_salesforce_opportunity, ref_stage_map, company_clusters, stg_companies, prev_stg_deals
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
-- name_full_n is the whole name normalised as a company name
-- (norm_company), which deal_candidates blocks on across companies: made
-- once here, where it evaluated the regular expressions three times there
-- (nine tenths of that model's time).
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
),
-- the company's normalised name is stg_companies.name_n (norm_company), and
-- its words are split once per deal: inside the word filter's lambda they
-- were normalised again for every word of the deal's name (most of the
-- model's time)
deals AS (
  SELECT u.*, co.name_n AS company_name_n, cc.golden_id AS company_golden_id,
         -- what the two names below are made from: the deal's name and its
         -- company record's normalised name (see stg_persons for the digest)
         hash(u.name, co.name_n) AS name_digest
  FROM unioned u
  LEFT JOIN company_clusters cc
    ON cc.record_key = CASE WHEN u.system = 'hubspot' THEN 'hubspot:companies:' ELSE 'salesforce:Account:' END || u.company_ref
  LEFT JOIN stg_companies co ON co.record_key = cc.record_key
),
-- An incremental run carries name_full_n and name_n (the dear part: the
-- regular expressions and a Jaro-Winkler per pair of words) of a deal
-- whose updated_at and name digest are the last run's staged row's
-- (prev_stg_deals, the match state: cycle/matchstate.go); the normalisers
-- are covered by the run's fingerprint. A full run has no prev_stg_deals
-- rows and names every deal. Materialised, as in stg_persons.
looked_up AS MATERIALIZED (
  SELECT u.*, p.record_id IS NOT NULL AS is_carried, p.name_full_n, p.name_n
  FROM deals u
  LEFT JOIN prev_stg_deals p ON p.system = u.system AND p.object = u.object AND p.record_id = u.record_id
                             AND p.updated_at IS NOT DISTINCT FROM u.updated_at AND p.name_digest = u.name_digest
),
named AS (
  SELECT * EXCLUDE (is_carried, company_name_n) FROM looked_up WHERE is_carried
  UNION ALL BY NAME
  SELECT u.* EXCLUDE (is_carried, company_name_n, company_words, name_full_n, name_n, name_c),
         u.name_c AS name_full_n,
         coalesce(nullif(array_to_string(list_sort(list_distinct(list_filter(string_split(coalesce(u.name_c, ''), ' '),
                    lambda w: w <> '' AND NOT regexp_full_match(w, '(19|20)[0-9][0-9]')
                         AND NOT coalesce(list_bool_or(list_transform(u.company_words,
                                                                      lambda c: c = w OR jaro_winkler_similarity(c, w) >= 0.9)), false)))), ' '), ''),
                  norm_text(u.name)) AS name_n
  FROM (SELECT *, norm_company(name) AS name_c, string_split(company_name_n, ' ') AS company_words
        FROM looked_up WHERE NOT is_carried) u
)
SELECT u.system || ':' || u.object || ':' || u.record_id AS record_key,
       u.* EXCLUDE (name_full_n, name_n, company_golden_id, name_digest),
       u.name_full_n,
       u.name_n,
       try_cast(u.amount AS DOUBLE) AS amount_n,
       try_cast(left(u.close_date, 10) AS DATE) AS close_date_d,
       coalesce(hs.stage, sf.stage) AS stage_n,
       u.company_golden_id,
       nullif(trim(u.cross_id), '') AS cross_id_n,
       u.name_digest
FROM named u
-- hash joins: the system test inside the join key, not beside it in the ON
LEFT JOIN ref_stage_map hs ON hs.hubspot_stage = CASE WHEN u.system = 'hubspot' THEN u.stage END
LEFT JOIN ref_stage_map sf ON sf.salesforce_stage = CASE WHEN u.system = 'salesforce' THEN u.stage END
