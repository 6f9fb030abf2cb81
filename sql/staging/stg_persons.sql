-- depends: macros, raw_hubspot_contacts, raw_salesforce_contact, raw_salesforce_lead, raw_salesforce_account, ref_nicknames, ref_countries
-- test: unique(record_key)
-- test: not_null(record_key, system, object, record_id)
-- test: accepted_values(object, 'contacts', 'Contact', 'Lead')
-- One row per person record of either CRM, in the shared vocabulary, with
-- the raw values (for golden records) and normalised keys (for matching).
WITH unioned AS (
  SELECT 'hubspot' AS system, 'contacts' AS object, _id AS record_id, _updated_at AS updated_at, _archived AS deleted,
         email, firstname AS first_name, lastname AS last_name, phone, mobilephone AS mobile_phone,
         jobtitle AS title, company AS company_name, address AS street, city, state, zip AS postal_code,
         country, date_of_birth AS birthdate, lifecyclestage AS lifecycle_stage,
         associatedcompanyid AS company_ref, crmhub_salesforce_id AS cross_id
  FROM raw_hubspot_contacts
  UNION ALL
  SELECT 'salesforce', 'Contact', c._id, c._updated_at, c._archived,
         c.Email, c.FirstName, c.LastName, c.Phone, c.MobilePhone,
         c.Title, a.Name, c.MailingStreet, c.MailingCity, c.MailingState, c.MailingPostalCode,
         c.MailingCountry, c.Birthdate, NULL,
         c.AccountId, c.HubSpot_Id__c
  FROM raw_salesforce_contact c LEFT JOIN raw_salesforce_account a ON a._id = c.AccountId
  UNION ALL
  SELECT 'salesforce', 'Lead', _id, _updated_at, _archived OR coalesce(lower(IsConverted) = 'true', false),
         Email, FirstName, LastName, Phone, MobilePhone,
         Title, Company, Street, City, State, PostalCode,
         Country, NULL, NULL,
         NULL, HubSpot_Id__c
  FROM raw_salesforce_lead
),
-- each normaliser once per record (the phone UDF and the name cleaner were
-- called two and three times)
normed AS (
  SELECT u.*,
         phone_e164(u.phone, coalesce(region.code, getvariable('default_region'))) AS phone_e,
         phone_e164(u.mobile_phone, coalesce(region.code, getvariable('default_region'))) AS mobile_e,
         norm_name(u.first_name) AS first_nn
  FROM unioned u
  LEFT JOIN ref_countries region ON region.alias = lower(trim(u.country))
)
SELECT u.system || ':' || u.object || ':' || u.record_id AS record_key,
       u.* EXCLUDE (phone_e, mobile_e, first_nn),
       norm_email(u.email) AS email_n,
       -- E.164 (phone_e164, Go: nyaruka/phonenumbers) in the record's country,
       -- else matching.default_region; digits where the number does not parse
       coalesce(u.phone_e, u.mobile_e) AS phone_n,
       u.first_nn AS first_n,
       coalesce(nick.canonical, u.first_nn) AS first_key,
       norm_name(u.last_name) AS last_n,
       try_cast(u.birthdate AS DATE) AS birthdate_d,
       norm_street(u.street) AS street_n,
       norm_text(u.city) AS city_n,
       nullif(upper(regexp_replace(coalesce(u.postal_code, ''), '\s', '', 'g')), '') AS postal_n,
       norm_text(u.state) AS state_n,
       norm_company(u.company_name) AS company_n,
       nullif(trim(u.cross_id), '') AS cross_id_n,
       -- letters and digits of the address as typed, valid or not, for
       -- typo-tolerant comparison ("jo.smith@acme.com" / "josmithacme.com")
       nullif(regexp_replace(lower(coalesce(u.email, '')), '[^a-z0-9]', '', 'g'), '') AS email_key,
       u.mobile_e AS mobile_n,
       -- a dense integer per record, in record_key order: blocking, scoring
       -- and clustering join on it instead of the long text key
       row_number() OVER (ORDER BY u.system, u.object, u.record_id) AS rid
FROM normed u
LEFT JOIN ref_nicknames nick ON nick.name = u.first_nn
