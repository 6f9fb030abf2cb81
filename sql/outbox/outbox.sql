-- depends: person_values, company_values, deal_values, golden_person_fields, golden_company_fields, golden_deal_fields, ref_field_map, ref_stage_map, cfg_field_rules, cfg_create, cfg_systems, stg_persons, stg_companies, stg_deals, xref, conflicts, soft_deleted, person_scope, company_scope, deal_scope, golden_macros
-- test: unique(system, object, record_id, crm_field)
-- test: not_null(system, object, record_id, crm_field, new_value)
-- test: accepted_values(kind, 'field', 'cross_id', 'create', 'archive', 'merge')
-- Published: what the load writes (docs/golden.md), one row per record and
-- CRM field:
--   field     the smallest set of field writes that makes each CRM agree with
--             the golden values: nothing where the value is already there
--             (canon_value), nothing where the golden value is blank, nothing
--             against a field's direction, nothing to the system that owns
--             the field or holds its lock, nothing for a field held for review
--   cross_id  the other system's id written back
--   create    a counterpart where the pipeline's create rules say so
--             (record_id 'new:' || golden_id; upserted on the golden id field)
--   archive   a deletion propagated where the pipeline says so
--   merge     a duplicate inside one system merged into its primary record
-- A record is written only through one kind; ids of records not yet created
-- reach the other system through backref_* (the loader writes them back).
WITH vals AS (
  SELECT 'person' AS entity, * FROM person_values
  UNION ALL SELECT 'company', * FROM company_values
  UNION ALL SELECT 'deal', * FROM deal_values
),
-- (not materialized: read twice, by field_writes and create_values, it was
-- copied whole first, the golden fields of every entity: 20 M rows at a
-- million people per system on a first run)
winners AS NOT MATERIALIZED (
  SELECT 'person' AS entity, * FROM golden_person_fields
  UNION ALL SELECT 'company', * FROM golden_company_fields
  UNION ALL SELECT 'deal', * FROM golden_deal_fields
),
records AS (
  SELECT 'person' AS entity, record_key, system, object, record_id, deleted, updated_at, cross_id_n FROM stg_persons
  UNION ALL SELECT 'company', record_key, system, object, record_id, deleted, updated_at, cross_id_n FROM stg_companies
  UNION ALL SELECT 'deal', record_key, system, object, record_id, deleted, updated_at, cross_id_n FROM stg_deals
),
-- the members of the golden records this run builds: every one in a full
-- run, those of person_scope, company_scope and deal_scope in an
-- incremental run (its other golden records changed in nothing, so what
-- they would need was in the last outbox, which puts them in their scope)
members AS (
  SELECT x.entity, x.golden_id, r.system, r.object, r.record_id, r.cross_id_n,
         r.deleted OR sd.record_id IS NOT NULL AS deleted, r.updated_at
  FROM records r
  JOIN xref x ON x.entity = r.entity AND x.system = r.system AND x.object = r.object AND x.record_id = r.record_id
  LEFT JOIN soft_deleted sd ON sd.system = r.system AND sd.object = r.object AND sd.record_id = r.record_id
  WHERE NOT getvariable('incremental')
  UNION ALL
  SELECT x.entity, x.golden_id, r.system, r.object, r.record_id, r.cross_id_n,
         r.deleted OR sd.record_id IS NOT NULL AS deleted, r.updated_at
  FROM records r
  JOIN xref x ON x.entity = r.entity AND x.system = r.system AND x.object = r.object AND x.record_id = r.record_id
  SEMI JOIN (SELECT 'person' AS entity, golden_id FROM person_scope
             UNION ALL SELECT 'company', golden_id FROM company_scope
             UNION ALL SELECT 'deal', golden_id FROM deal_scope) gs ON gs.entity = x.entity AND gs.golden_id = x.golden_id
  LEFT JOIN soft_deleted sd ON sd.system = r.system AND sd.object = r.object AND sd.record_id = r.record_id
  WHERE getvariable('incremental')
),
-- duplicates inside one system: the primary record stays, the others merge
-- into it where the pipeline enables merging (else review_queue lists them)
ranked_members AS (
  SELECT *, row_number() OVER (PARTITION BY entity, golden_id, system, object
                               ORDER BY record_id) AS member_rank
  FROM members WHERE NOT deleted
),
merging AS (
  SELECT d.*, p.record_id AS primary_id
  FROM ranked_members d
  JOIN ranked_members p ON p.entity = d.entity AND p.golden_id = d.golden_id AND p.system = d.system
                       AND p.object = d.object AND p.member_rank = 1
  WHERE d.member_rank > 1 AND d.system IN (SELECT system FROM cfg_systems WHERE setting = 'merge_duplicates')
),
held AS (
  SELECT entity, golden_id, field FROM conflicts WHERE resolution = 'review'
),
-- HubSpot keeps contact emails unique (a second contact with an address
-- answers 409 CONFLICT): an address one of its contacts already holds is not
-- written to another (duplicates inside HubSpot are merged or reviewed)
-- (from every HubSpot contact: an incremental run's person_values holds only
-- the golden ids it rebuilds; the value as person_values makes it)
-- canon_value's address is norm_email's, else the text lowered and trimmed;
-- stg_persons holds norm_email(email) as email_n (carried for unchanged
-- records), so an address person_email left as it was, nearly all, takes
-- it from there instead of running norm_email's regular expressions on a
-- million contacts every night
hubspot_emails AS (
  SELECT DISTINCT CASE WHEN e = email THEN coalesce(email_n, lower(e)) ELSE canon_value('email', e) END AS email
  FROM (SELECT t.email, t.email_n,
               CASE WHEN fm.create_default LIKE '[%]' AND t.e = fm.create_default THEN NULL ELSE t.e END AS e
        FROM (SELECT object, email, email_n, person_email(email) AS e FROM stg_persons WHERE system = 'hubspot' AND NOT deleted) t
        LEFT JOIN ref_field_map fm ON fm.entity = 'person' AND fm.field = 'email' AND fm.system = 'hubspot'
                                  AND fm.object = t.object AND fm.role = 'value')
  WHERE e IS NOT NULL
),
field_writes AS (
  SELECT v.entity, v.golden_id, v.system, v.object, v.record_id, v.field, fm.crm_field,
         v.value AS current_value, w.value AS golden_value,
         w.system AS source_system, w.record_id AS source_record_id, w.rule, w.changed_at AS source_changed_at
  FROM vals v
  JOIN winners w ON w.entity = v.entity AND w.golden_id = v.golden_id AND w.field = v.field
  JOIN ref_field_map fm ON fm.entity = v.entity AND fm.field = v.field AND fm.system = v.system
                       AND fm.object = v.object AND fm.role = 'value'
  LEFT JOIN cfg_field_rules r ON r.entity = v.entity AND r.field = v.field
  WHERE NOT v.deleted AND w.value IS NOT NULL
    AND coalesce(r.direction, 'both') IN ('both', 'to_' || v.system)
    -- the owner of a field, and the system holding its lock, receive nothing
    -- (a field without a rule row has no owner: coalesce, or NOT NULL would
    -- drop every write of it)
    AND NOT coalesce(r.rule IN ('owner', 'owner_unless_blank') AND r.owner = v.system, false)
    AND w.rule IS DISTINCT FROM 'lock:' || v.system
    AND (v.entity, v.golden_id, v.field) NOT IN (SELECT (entity, golden_id, field) FROM held)
    AND (v.system, v.object, v.record_id) NOT IN (SELECT (system, object, record_id) FROM merging)
    AND (v.system, v.object, v.record_id) NOT IN (SELECT (system, object, record_id) FROM soft_deleted)
    -- the same text is the same value, a cheap test made first: canon_value
    -- (expanded four times by same_value, and most of this model's time when
    -- it ran on every row) then runs only where the texts differ
    AND v.value IS DISTINCT FROM w.value
    AND NOT same_value(v.field, v.value, w.value)
    -- (the address is computed for HubSpot contact emails only: the IN is a
    -- join, which evaluated canon_value on every row before the test)
    AND (NOT (v.entity = 'person' AND v.system = 'hubspot' AND v.field = 'email')
         OR NOT (CASE WHEN v.entity = 'person' AND v.system = 'hubspot' AND v.field = 'email'
                      THEN canon_value('email', w.value) END IN (SELECT email FROM hubspot_emails)))
),
-- and one contact per address in one run (the window sorts only those rows)
field_writes_unique AS (
  SELECT * FROM field_writes
  WHERE NOT (entity = 'person' AND system = 'hubspot' AND field = 'email')
  UNION ALL
  SELECT * FROM field_writes
  WHERE entity = 'person' AND system = 'hubspot' AND field = 'email'
  QUALIFY row_number() OVER (PARTITION BY entity, system, field, canon_value('email', golden_value)
                             ORDER BY record_id) = 1
),
field_rows AS (
  SELECT f.entity, f.golden_id, f.system, f.object, f.record_id, f.field, f.crm_field,
         f.current_value AS old_value,
         CASE WHEN f.entity = 'deal' AND f.field = 'stage'
              THEN CASE f.system WHEN 'hubspot' THEN sm.hubspot_stage ELSE sm.salesforce_stage END
              -- HubSpot's domain holds a bare host name, Salesforce's Website a URL
              WHEN f.field = 'domain' AND f.system = 'hubspot' THEN norm_domain(f.golden_value)
              -- Salesforce date fields take YYYY-MM-DD, not HubSpot's datetimes
              WHEN f.field IN ('close_date', 'birthdate') AND f.system = 'salesforce'
                THEN coalesce(strftime(try_cast(left(trim(f.golden_value), 10) AS DATE), '%Y-%m-%d'), f.golden_value)
              ELSE f.golden_value END AS new_value,
         f.source_system, f.source_record_id, f.rule, f.source_changed_at, 'field' AS kind
  FROM field_writes_unique f
  LEFT JOIN ref_stage_map sm ON f.entity = 'deal' AND f.field = 'stage' AND sm.stage = f.golden_value
),
-- cross-system ids: each golden record's primary record per system (Contacts
-- before Leads, then the lowest id: a stable choice, since crmhub's own
-- writes bump modification times) carries the other system's primary id
primaries AS (
  SELECT * FROM members WHERE NOT deleted
  QUALIFY row_number() OVER (PARTITION BY entity, golden_id, system
                             ORDER BY object = 'Lead', record_id) = 1
),
cross_rows AS (
  SELECT p.entity, p.golden_id, p.system, p.object, p.record_id, 'cross_id' AS field, fm.crm_field,
         p.cross_id_n AS old_value, o.record_id AS new_value,
         o.system AS source_system, o.record_id AS source_record_id, 'cross_id' AS rule,
         NULL::TIMESTAMP AS source_changed_at, 'cross_id' AS kind
  FROM primaries p
  JOIN primaries o ON o.entity = p.entity AND o.golden_id = p.golden_id AND o.system <> p.system
  JOIN ref_field_map fm ON fm.entity = p.entity AND fm.system = p.system AND fm.object = p.object AND fm.role = 'crossid'
  WHERE p.cross_id_n IS DISTINCT FROM o.record_id
    AND (p.system, p.object, p.record_id) NOT IN (SELECT (system, object, record_id) FROM merging)
),
-- counterparts: a golden record with a live record in the create rule's
-- source system and never any record (live or deleted) in the other one
to_create AS (
  SELECT c.entity, c.to_system, c.object, p.golden_id, p.system AS from_system, p.object AS from_object,
         p.record_id AS from_record_id
  FROM cfg_create c
  JOIN primaries p ON p.entity = c.entity AND p.system = c.from_system
  WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.entity = c.entity AND m.golden_id = p.golden_id AND m.system = c.to_system)
),
create_values AS (
  -- mapped values from the golden record, or the field's create_default
  -- when the object requires it and the golden value is blank
  SELECT t.entity, t.golden_id, t.to_system AS system, t.object, fm.field, fm.crm_field,
         CASE WHEN t.entity = 'deal' AND fm.field = 'stage'
              THEN CASE t.to_system WHEN 'hubspot' THEN sm.hubspot_stage ELSE sm.salesforce_stage END
              WHEN fm.field = 'domain' AND t.to_system = 'hubspot' THEN norm_domain(w.value)
              WHEN fm.field IN ('close_date', 'birthdate') AND t.to_system = 'salesforce'
                THEN coalesce(strftime(try_cast(left(trim(w.value), 10) AS DATE), '%Y-%m-%d'), nullif(trim(w.value), ''))
              ELSE nullif(trim(w.value), '') END AS golden_value,
         fm.create_default, w.system AS source_system, w.record_id AS source_record_id, w.rule, w.changed_at
  FROM to_create t
  JOIN ref_field_map fm ON fm.entity = t.entity AND fm.system = t.to_system AND fm.object = t.object AND fm.role = 'value'
  LEFT JOIN winners w ON w.entity = t.entity AND w.golden_id = t.golden_id AND w.field = fm.field
  LEFT JOIN ref_stage_map sm ON t.entity = 'deal' AND fm.field = 'stage' AND sm.stage = w.value
),
create_rows AS (
  SELECT entity, golden_id, system, object, 'new:' || golden_id AS record_id, field, crm_field, NULL AS old_value,
         coalesce(golden_value, CASE create_default WHEN '@today+30' THEN strftime(current_date + 30, '%Y-%m-%d')
                                                    ELSE create_default END) AS new_value,
         source_system, source_record_id, coalesce(rule, 'create_default') AS rule, changed_at AS source_changed_at, 'create' AS kind
  FROM create_values
  WHERE coalesce(golden_value, create_default) IS NOT NULL
  UNION ALL
  -- the key the create is upserted on, and the source's id as cross id
  SELECT t.entity, t.golden_id, t.to_system, t.object, 'new:' || t.golden_id, fm.role, fm.crm_field, NULL,
         CASE fm.role WHEN 'goldenid' THEN t.golden_id ELSE t.from_record_id END,
         t.from_system, t.from_record_id, 'create', NULL, 'create'
  FROM to_create t
  JOIN ref_field_map fm ON fm.entity = t.entity AND fm.system = t.to_system AND fm.object = t.object
                       AND fm.role IN ('goldenid', 'crossid')
),
-- deletions: every record of the golden record in one system is deleted
-- while the other system, named in propagate_deletions, still has live ones
archive_rows AS (
  SELECT m.entity, m.golden_id, m.system, m.object, m.record_id, 'deleted' AS field,
         CASE m.system WHEN 'hubspot' THEN '_archive' ELSE fm.crm_field END AS crm_field,
         NULL AS old_value, CASE m.system WHEN 'hubspot' THEN 'true' ELSE 'deleted' END AS new_value,
         o.system AS source_system, NULL AS source_record_id, 'propagate_deletions' AS rule,
         NULL::TIMESTAMP AS source_changed_at, 'archive' AS kind
  FROM members m
  JOIN (SELECT entity, golden_id, system FROM members GROUP BY ALL HAVING bool_and(deleted)) o
    ON o.entity = m.entity AND o.golden_id = m.golden_id AND o.system <> m.system
  LEFT JOIN ref_field_map fm ON fm.entity = m.entity AND fm.system = m.system AND fm.object = m.object AND fm.role = 'status'
  WHERE NOT m.deleted AND m.system IN (SELECT system FROM cfg_systems WHERE setting = 'propagate_deletions')
    AND (m.system = 'hubspot' OR fm.crm_field IS NOT NULL)
),
merge_rows AS (
  SELECT entity, golden_id, system, object, record_id, 'merge' AS field,
         CASE system WHEN 'hubspot' THEN '_merge_into' ELSE '_delete' END AS crm_field,
         NULL AS old_value, primary_id AS new_value, system AS source_system, primary_id AS source_record_id,
         'merge_duplicates' AS rule, NULL::TIMESTAMP AS source_changed_at, 'merge' AS kind
  FROM merging
),
-- Salesforce merges re-parent first: Contacts and Opportunities of an
-- Account being merged move to the primary Account
reparent_rows AS (
  SELECT r.entity, x.golden_id, r.system, r.object, r.record_id, 'company_ref' AS field, fm.crm_field,
         mg.record_id AS old_value, mg.primary_id AS new_value, 'salesforce' AS source_system,
         mg.primary_id AS source_record_id, 'merge_duplicates' AS rule, NULL::TIMESTAMP AS source_changed_at, 'field' AS kind
  FROM (SELECT 'person' AS entity, system, object, record_id, company_ref, deleted FROM stg_persons
        UNION ALL SELECT 'deal', system, object, record_id, company_ref, deleted FROM stg_deals) r
  JOIN merging mg ON mg.entity = 'company' AND mg.system = 'salesforce' AND mg.record_id = r.company_ref
  JOIN xref x ON x.entity = r.entity AND x.system = r.system AND x.object = r.object AND x.record_id = r.record_id
  JOIN ref_field_map fm ON fm.entity = r.entity AND fm.system = r.system AND fm.object = r.object AND fm.role = 'link'
  WHERE r.system = 'salesforce' AND NOT r.deleted
),
-- a record archived or merged gets nothing else: the other kinds' rows of
-- those records are dropped by an anti join on the few archived and merged
-- keys (a window over every outbox row, partitioned by record, did this)
gone AS (
  SELECT system, object, record_id FROM archive_rows
  UNION SELECT system, object, record_id FROM merge_rows
),
all_rows AS (
  SELECT r.* FROM (
    SELECT * FROM field_rows WHERE new_value IS NOT NULL
    UNION ALL SELECT * FROM cross_rows
    UNION ALL SELECT * FROM create_rows
    UNION ALL SELECT * FROM reparent_rows
  ) r
  ANTI JOIN gone g ON g.system = r.system AND g.object = r.object AND g.record_id = r.record_id
  UNION ALL SELECT * FROM archive_rows
  UNION ALL SELECT * FROM merge_rows
)
SELECT a.*,
       -- where the created record's id goes once the CRM answers
       CASE WHEN a.kind = 'create' THEN t.from_object END AS backref_object,
       CASE WHEN a.kind = 'create' THEN t.from_record_id END AS backref_record_id,
       CASE WHEN a.kind = 'create' THEN bfm.crm_field END AS backref_field
FROM all_rows a
-- equality on keys alone (only create rows carry one): a condition on the
-- left side in the ON clause made DuckDB fall back to a nested-loop join
LEFT JOIN to_create t ON t.golden_id = CASE WHEN a.kind = 'create' THEN a.golden_id END
                     AND t.entity = a.entity AND t.to_system = a.system
LEFT JOIN ref_field_map bfm ON bfm.entity = t.entity AND bfm.system = t.from_system
                           AND bfm.object = t.from_object AND bfm.role = 'crossid'
