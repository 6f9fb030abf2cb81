-- depends: macros, raw_hubspot_contacts, raw_salesforce_contact, raw_salesforce_lead, raw_salesforce_account, ref_nicknames, ref_countries, prev_stg_persons
-- test: unique(record_key)
-- test: not_null(record_key, system, object, record_id)
-- test: accepted_values(object, 'contacts', 'Contact', 'Lead')
-- One row per person record of either CRM, in the shared vocabulary, with
-- the raw values (for golden records) and normalised keys (for matching).
-- An incremental run carries the normalised keys of a record whose raw
-- values are all the same as in the last run's staged row (by their
-- digest, raw_digest; prev_stg_persons, the match state:
-- cycle/matchstate.go): they are a function of those values and of the
-- reference tables, variables and normalisers, which the run's
-- fingerprint covers. A full run has no prev_stg_persons rows and
-- normalises every record.
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
-- each record's raw values (the Contact's Account name included) in one
-- 64-bit digest, which the match state keeps instead of the values: an
-- incremental run reads back and compares one number per record, not
-- seventeen text columns. updated_at is compared as well, so a
-- stale carry needs an edit that keeps updated_at and a digest collision
-- (1 in 2^64 per changed record). hash() is DuckDB's: the fingerprint
-- covers the build, and a changed hash only makes records fresh.
digested AS (
  SELECT u.*,
         hash(u.deleted, u.email, u.first_name, u.last_name, u.phone, u.mobile_phone, u.title, u.company_name,
              u.street, u.city, u.state, u.postal_code, u.country, u.birthdate, u.lifecycle_stage,
              u.company_ref, u.cross_id) AS raw_digest
  FROM unioned u
),
-- every record, with the last run's normalised keys where its updated_at
-- and digest are the last run's (is_carried). Materialised: the carried
-- and the fresh records both come from it, so the raw tables are staged
-- and joined with the state once.
looked_up AS MATERIALIZED (
  SELECT u.*, p.record_id IS NOT NULL AS is_carried,
         p.email_n, p.phone_n, p.first_n, p.first_key, p.last_n, p.birthdate_d, p.street_n, p.city_n,
         p.postal_n, p.state_n, p.company_n, p.cross_id_n, p.email_key, p.mobile_n
  FROM digested u
  LEFT JOIN prev_stg_persons p ON p.system = u.system AND p.object = u.object AND p.record_id = u.record_id
                              AND p.updated_at IS NOT DISTINCT FROM u.updated_at AND p.raw_digest = u.raw_digest
),
carried AS (
  SELECT * EXCLUDE (is_carried) FROM looked_up WHERE is_carried
),
fresh AS (
  SELECT * EXCLUDE (is_carried, email_n, phone_n, first_n, first_key, last_n, birthdate_d, street_n, city_n,
                    postal_n, state_n, company_n, cross_id_n, email_key, mobile_n)
  FROM looked_up WHERE NOT is_carried
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
),
-- a dense integer per record, in record_key order: blocking, scoring
-- and clustering join on it instead of the long text key. Numbered over
-- the keys alone and joined back: a window over the whole rows sorted
-- every column of them. Numbered within each system and object, after
-- the records of the (system, object) before it (offsets): one window
-- over all of them sorted the three text keys of 2.4 M records at a
-- million people per system on one thread; per object the sorts run in
-- parallel, on record_id alone. NULLS LAST as the window's default. A
-- record without an id stays (to fail the not_null test), hence IS NOT
-- DISTINCT FROM.
offsets AS (
  SELECT system, object,
         coalesce(sum(n) OVER (ORDER BY system, object ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT AS base
  FROM (SELECT system, object, count(*) AS n FROM looked_up GROUP BY system, object)
),
numbered AS (
  SELECT l.system, l.object, l.record_id,
         o.base + row_number() OVER (PARTITION BY l.system, l.object ORDER BY l.record_id) AS rid
  FROM looked_up l JOIN offsets o ON o.system = l.system AND o.object = l.object
)
SELECT s.system || ':' || s.object || ':' || s.record_id AS record_key,
       s.*,
       k.rid
FROM (SELECT * FROM normalised UNION ALL BY NAME SELECT * FROM carried) s
JOIN numbered k ON k.system = s.system AND k.object = s.object AND k.record_id IS NOT DISTINCT FROM s.record_id
