-- kind: macros
-- depends: cfg_field_rules
-- Golden record helpers shared by persons, companies and deals.

-- field_winners(field_values, ent): for each golden record and field, the
-- value that wins under the field's rule (cfg_field_rules, default
-- most_recent), with its provenance. field_values has golden_id, record_key,
-- system, object, record_id, updated_at, deleted, field, value.
--   most_recent         newest non-blank value of any system
--   owner               the owner system's value, even blank, when the
--                       golden record has a record there; else most_recent
--   owner_unless_blank  the owner system's non-blank value, else most_recent
-- Ties go to the newer record, then to the record key, so runs are repeatable.
CREATE OR REPLACE MACRO field_winners(field_values, ent) AS TABLE
WITH v AS (
  SELECT fv.*, coalesce(r.rule, 'most_recent') AS rule, r.owner,
         bool_or(fv.system = r.owner) OVER (PARTITION BY fv.golden_id, fv.field) AS owner_present
  FROM query_table(field_values) fv
  LEFT JOIN cfg_field_rules r ON r.entity = ent AND r.field = fv.field
  WHERE NOT fv.deleted
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY golden_id, field ORDER BY
      CASE
        WHEN rule = 'owner' AND owner_present THEN (CASE WHEN system = owner THEN 0 ELSE 9 END)
        WHEN rule = 'owner_unless_blank' AND system = owner AND value IS NOT NULL THEN 0
        WHEN value IS NULL THEN 8
        ELSE 1
      END,
      updated_at DESC, record_key) AS rank
  FROM v
)
SELECT golden_id, field, value, system, object, record_id, rule, updated_at AS changed_at
FROM ranked WHERE rank = 1;

-- same_value(a, b): equal after trimming and case, or as numbers, or as
-- phone digits, so a format difference alone never causes a write
CREATE OR REPLACE MACRO same_value(a, b) AS
  (a IS NULL AND b IS NULL)
  OR lower(trim(a)) = lower(trim(b))
  OR try_cast(a AS DOUBLE) = try_cast(b AS DOUBLE)
  OR (norm_phone(a) IS NOT NULL AND norm_phone(a) = norm_phone(b) AND length(phone_digits(a)) >= 7 AND regexp_matches(a, '^[0-9 ()+./-]+$'));
