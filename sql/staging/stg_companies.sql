-- depends: macros, raw_hubspot_companies, raw_salesforce_account, ref_free_mail_domains, ref_countries, prev_stg_companies
-- test: unique(record_key)
-- test: not_null(record_key, system, object, record_id)
-- One row per company record (HubSpot companies, Salesforce Accounts).
-- An incremental run carries the normalised keys of a record whose
-- updated_at and the digest of the raw values they are made from
-- (raw_digest) are the last run's staged row's (prev_stg_companies, the
-- match state: cycle/matchstate.go), as stg_persons does: the keys are a
-- function of those values and of the reference tables, variables and
-- normalisers, which the run's fingerprint covers. A full run has no
-- prev_stg_companies rows and normalises every record.
WITH unioned AS (
  SELECT 'hubspot' AS system, 'companies' AS object, _id AS record_id, _updated_at AS updated_at, _archived AS deleted,
         name, domain, phone, address AS street, city, state, zip AS postal_code, country,
         industry, numberofemployees AS employees, annualrevenue AS annual_revenue,
         crmhub_salesforce_id AS cross_id
  FROM raw_hubspot_companies
  UNION ALL
  SELECT 'salesforce', 'Account', _id, _updated_at, _archived,
         Name, Website, Phone, BillingStreet, BillingCity, BillingState, BillingPostalCode, BillingCountry,
         Industry, NumberOfEmployees, AnnualRevenue,
         HubSpot_Id__c
  FROM raw_salesforce_account
),
-- the digest covers the raw values the normalised keys are made from (see
-- stg_persons for the digest's reasoning)
digested AS (
  SELECT u.*, hash(u.name, u.domain, u.phone, u.street, u.city, u.postal_code, u.country, u.cross_id) AS raw_digest
  FROM unioned u
),
-- every record, with the last run's keys where its updated_at and digest
-- are the last run's (is_carried); materialised, as in stg_persons
looked_up AS MATERIALIZED (
  SELECT u.*, p.record_id IS NOT NULL AS is_carried,
         p.name_n, p.domain_n, p.phone_n, p.street_n, p.city_n, p.postal_n, p.cross_id_n, p.house_n, p.street_core_n, p.name_tokens
  FROM digested u
  LEFT JOIN prev_stg_companies p ON p.system = u.system AND p.object = u.object AND p.record_id = u.record_id
                                AND p.updated_at IS NOT DISTINCT FROM u.updated_at AND p.raw_digest = u.raw_digest
),
carried AS (
  SELECT * EXCLUDE (is_carried) FROM looked_up WHERE is_carried
),
fresh AS (
  SELECT * EXCLUDE (is_carried, name_n, domain_n, phone_n, street_n, city_n, postal_n, cross_id_n, house_n, street_core_n, name_tokens)
  FROM looked_up WHERE NOT is_carried
),
-- each normaliser once per record
normed AS (
  SELECT u.*, norm_company(u.name) AS name_c, norm_domain(u.domain) AS domain_c, norm_street(u.street) AS street_c,
         -- E.164 in the record's country, else matching.default_region (see stg_persons)
         phone_e164(u.phone, coalesce(region.code, getvariable('default_region'))) AS phone_e
  FROM fresh u
  LEFT JOIN ref_countries region ON region.alias = lower(trim(u.country))
),
normalised AS (
  SELECT u.* EXCLUDE (name_c, domain_c, street_c, phone_e),
         u.name_c AS name_n,
         CASE WHEN u.domain_c IN (SELECT domain FROM ref_free_mail_domains) THEN NULL ELSE u.domain_c END AS domain_n,
         u.phone_e AS phone_n,
         u.street_c AS street_n,
         norm_text(u.city) AS city_n,
         nullif(upper(regexp_replace(coalesce(u.postal_code, ''), '\s', '', 'g')), '') AS postal_n,
         nullif(trim(u.cross_id), '') AS cross_id_n,
         street_number(u.street_c) AS house_n,
         street_core(u.street_c) AS street_core_n,
         name_tokens(u.name_c) AS name_tokens
  FROM normed u
)
SELECT s.system || ':' || s.object || ':' || s.record_id AS record_key,
       s.*,
       -- a dense integer per record in record_key order (see stg_persons)
       row_number() OVER (ORDER BY s.system, s.object, s.record_id) AS rid
FROM (SELECT * FROM normalised UNION ALL BY NAME SELECT * FROM carried) s
