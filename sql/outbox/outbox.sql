-- depends: person_values, company_values, deal_values, golden_person_fields, golden_company_fields, golden_deal_fields, ref_field_map, ref_stage_map, cfg_field_rules, stg_persons, stg_companies, stg_deals, xref, golden_macros
-- test: unique(system, object, record_id, crm_field)
-- test: not_null(system, object, record_id, crm_field, new_value)
-- test: accepted_values(kind, 'field', 'cross_id')
-- Published: the smallest set of field writes that makes each CRM agree with
-- the golden values: nothing where the value is already there (format
-- differences included), nothing where the golden value is blank, nothing
-- against a field's sync direction; plus cross-system ids written back.
WITH vals AS (
  SELECT 'person' AS entity, * FROM person_values
  UNION ALL SELECT 'company', * FROM company_values
  UNION ALL SELECT 'deal', * FROM deal_values
),
winners AS (
  SELECT 'person' AS entity, * FROM golden_person_fields
  UNION ALL SELECT 'company', * FROM golden_company_fields
  UNION ALL SELECT 'deal', * FROM golden_deal_fields
),
field_writes AS (
  SELECT v.entity, v.golden_id, v.system, v.object, v.record_id, v.field, fm.crm_field,
         v.value AS current_value, w.value AS golden_value,
         w.system AS source_system, w.record_id AS source_record_id, w.rule
  FROM vals v
  JOIN winners w ON w.entity = v.entity AND w.golden_id = v.golden_id AND w.field = v.field
  JOIN ref_field_map fm ON fm.entity = v.entity AND fm.field = v.field AND fm.system = v.system
                       AND fm.object = v.object AND fm.role = 'value'
  LEFT JOIN cfg_field_rules r ON r.entity = v.entity AND r.field = v.field
  WHERE NOT v.deleted AND w.value IS NOT NULL
    AND coalesce(r.direction, 'both') IN ('both', 'to_' || v.system)
    AND NOT same_value(v.field, v.value, w.value)
),
field_rows AS (
  SELECT f.entity, f.golden_id, f.system, f.object, f.record_id, f.field, f.crm_field,
         f.current_value AS old_value,
         CASE WHEN f.entity = 'deal' AND f.field = 'stage'
              THEN CASE f.system WHEN 'hubspot' THEN sm.hubspot_stage ELSE sm.salesforce_stage END
              -- HubSpot's domain holds a bare host name, Salesforce's Website a URL
              WHEN f.field = 'domain' AND f.system = 'hubspot' THEN norm_domain(f.golden_value)
              ELSE f.golden_value END AS new_value,
         f.source_system, f.source_record_id, f.rule, 'field' AS kind
  FROM field_writes f
  LEFT JOIN ref_stage_map sm ON f.entity = 'deal' AND f.field = 'stage' AND sm.stage = f.golden_value
),
-- cross-system ids: each golden record's primary record per system (Contacts
-- before Leads, then the newest) carries the other system's primary id
records AS (
  SELECT 'person' AS entity, record_key, system, object, record_id, deleted, updated_at, cross_id_n FROM stg_persons
  UNION ALL SELECT 'company', record_key, system, object, record_id, deleted, updated_at, cross_id_n FROM stg_companies
  UNION ALL SELECT 'deal', record_key, system, object, record_id, deleted, updated_at, cross_id_n FROM stg_deals
),
primaries AS (
  SELECT x.entity, x.golden_id, r.system, r.object, r.record_id, r.cross_id_n
  FROM records r
  JOIN xref x ON x.entity = r.entity AND x.system = r.system AND x.object = r.object AND x.record_id = r.record_id
  WHERE NOT r.deleted
  QUALIFY row_number() OVER (PARTITION BY x.entity, x.golden_id, r.system
                             ORDER BY r.object = 'Lead', r.updated_at DESC, r.record_id) = 1
),
cross_rows AS (
  SELECT p.entity, p.golden_id, p.system, p.object, p.record_id, 'cross_id' AS field, fm.crm_field,
         p.cross_id_n AS old_value, o.record_id AS new_value,
         o.system AS source_system, o.record_id AS source_record_id, 'cross_id' AS rule, 'cross_id' AS kind
  FROM primaries p
  JOIN primaries o ON o.entity = p.entity AND o.golden_id = p.golden_id AND o.system <> p.system
  JOIN ref_field_map fm ON fm.entity = p.entity AND fm.system = p.system AND fm.object = p.object AND fm.role = 'crossid'
  WHERE p.cross_id_n IS DISTINCT FROM o.record_id
)
SELECT * FROM field_rows WHERE new_value IS NOT NULL
UNION ALL
SELECT * FROM cross_rows
