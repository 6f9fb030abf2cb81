-- depends: macros, raw_hubspot_contacts, raw_salesforce_contact, raw_salesforce_lead, raw_salesforce_account, ref_nicknames, ref_countries, prev_stg_persons
-- test: unique(record_key)
-- test: not_null(record_key, system, object, record_id)
-- test: accepted_values(object, 'contacts', 'Contact', 'Lead')
-- One row per person record of either CRM, in the shared vocabulary, with
-- the raw values (for golden records) and normalised keys (for matching).
-- An incremental run carries the normalised keys of a record whose raw
-- values are all the same as in the last run's staged row
-- (prev_stg_persons, the match state: cycle/matchstate.go): they are a
-- function of those values and of the reference tables, variables and
-- normalisers, which the run's fingerprint covers. A full run has no
-- prev_stg_persons rows and normalises every record.
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
-- records whose raw values (the Contact's Account name included) all equal
-- the last run's, with that run's normalised keys. Values are compared as
-- text (an injective cast), so the comparison does not depend on the types
-- a full run's empty prev_stg_persons declares.
carried AS (
  SELECT u.*,
         p.email_n, p.phone_n, p.first_n, p.first_key, p.last_n, p.birthdate_d, p.street_n, p.city_n,
         p.postal_n, p.state_n, p.company_n, p.cross_id_n, p.email_key, p.mobile_n
  FROM unioned u
  JOIN prev_stg_persons p ON p.system = u.system AND p.object = u.object AND p.record_id::VARCHAR = u.record_id::VARCHAR
  WHERE p.updated_at::VARCHAR IS NOT DISTINCT FROM u.updated_at::VARCHAR
    AND p.deleted::VARCHAR IS NOT DISTINCT FROM u.deleted::VARCHAR
    AND p.email::VARCHAR IS NOT DISTINCT FROM u.email::VARCHAR
    AND p.first_name::VARCHAR IS NOT DISTINCT FROM u.first_name::VARCHAR
    AND p.last_name::VARCHAR IS NOT DISTINCT FROM u.last_name::VARCHAR
    AND p.phone::VARCHAR IS NOT DISTINCT FROM u.phone::VARCHAR
    AND p.mobile_phone::VARCHAR IS NOT DISTINCT FROM u.mobile_phone::VARCHAR
    AND p.title::VARCHAR IS NOT DISTINCT FROM u.title::VARCHAR
    AND p.company_name::VARCHAR IS NOT DISTINCT FROM u.company_name::VARCHAR
    AND p.street::VARCHAR IS NOT DISTINCT FROM u.street::VARCHAR
    AND p.city::VARCHAR IS NOT DISTINCT FROM u.city::VARCHAR
    AND p.state::VARCHAR IS NOT DISTINCT FROM u.state::VARCHAR
    AND p.postal_code::VARCHAR IS NOT DISTINCT FROM u.postal_code::VARCHAR
    AND p.country::VARCHAR IS NOT DISTINCT FROM u.country::VARCHAR
    AND p.birthdate::VARCHAR IS NOT DISTINCT FROM u.birthdate::VARCHAR
    AND p.lifecycle_stage::VARCHAR IS NOT DISTINCT FROM u.lifecycle_stage::VARCHAR
    AND p.company_ref::VARCHAR IS NOT DISTINCT FROM u.company_ref::VARCHAR
    AND p.cross_id::VARCHAR IS NOT DISTINCT FROM u.cross_id::VARCHAR
),
fresh AS (
  SELECT u.* FROM unioned u ANTI JOIN carried c USING (system, object, record_id)
),
-- each normaliser once per record (the phone UDF and the name cleaner were
-- called two and three times)
normed AS (
  SELECT u.*,
         phone_e164(u.phone, coalesce(region.code, getvariable('default_region'))) AS phone_e,
         phone_e164(u.mobile_phone, coalesce(region.code, getvariable('default_region'))) AS mobile_e,
         norm_name(u.first_name) AS first_nn
  FROM fresh u
  LEFT JOIN ref_countries region ON region.alias = lower(trim(u.country))
),
normalised AS (
  SELECT u.* EXCLUDE (phone_e, mobile_e, first_nn),
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
         u.mobile_e AS mobile_n
  FROM normed u
  LEFT JOIN ref_nicknames nick ON nick.name = u.first_nn
)
SELECT s.system || ':' || s.object || ':' || s.record_id AS record_key,
       s.*,
       -- a dense integer per record, in record_key order: blocking, scoring
       -- and clustering join on it instead of the long text key
       row_number() OVER (ORDER BY s.system, s.object, s.record_id) AS rid
FROM (SELECT * FROM normalised UNION ALL SELECT * FROM carried) s
