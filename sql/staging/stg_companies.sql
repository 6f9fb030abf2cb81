-- depends: macros, raw_hubspot_companies, raw_salesforce_account, ref_free_mail_domains, ref_countries
-- test: unique(record_key)
-- test: not_null(record_key, system, object, record_id)
-- One row per company record (HubSpot companies, Salesforce Accounts).
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
)
SELECT u.system || ':' || u.object || ':' || u.record_id AS record_key,
       u.*,
       norm_company(u.name) AS name_n,
       CASE WHEN norm_domain(u.domain) IN (SELECT domain FROM ref_free_mail_domains) THEN NULL
            ELSE norm_domain(u.domain) END AS domain_n,
       -- E.164 in the record's country, else matching.default_region (see stg_persons)
       phone_e164(u.phone, coalesce(region.code, getvariable('default_region'))) AS phone_n,
       norm_street(u.street) AS street_n,
       norm_text(u.city) AS city_n,
       nullif(upper(regexp_replace(coalesce(u.postal_code, ''), '\s', '', 'g')), '') AS postal_n,
       nullif(trim(u.cross_id), '') AS cross_id_n,
       street_number(norm_street(u.street)) AS house_n,
       street_core(norm_street(u.street)) AS street_core_n,
       name_tokens(norm_company(u.name)) AS name_tokens,
       -- a dense integer per record in record_key order (see stg_persons)
       row_number() OVER (ORDER BY u.system, u.object, u.record_id) AS rid
FROM unioned u
LEFT JOIN ref_countries region ON region.alias = lower(trim(u.country))
