-- kind: macros
-- depends: cfg_field_rules, ref_us_states, ref_countries, macros
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

-- canon_value(field, v): the form of a value that two systems must agree
-- on, so a difference of format alone (case, spacing, "PA" and
-- "Pennsylvania", "USA" and "United States", phone punctuation, a URL and
-- its domain) never causes a write or a conflict
CREATE OR REPLACE MACRO canon_value(field, v) AS
  CASE
    WHEN v IS NULL OR trim(v) = '' THEN NULL
    WHEN field = 'email' THEN coalesce(norm_email(v), lower(trim(v)))
    WHEN field IN ('phone', 'mobile_phone') THEN coalesce(norm_phone(v), lower(trim(v)))
    WHEN field = 'domain' THEN norm_domain(v)
    WHEN field = 'state' THEN coalesce((SELECT any_value(code) FROM ref_us_states WHERE alias = lower(trim(v))), norm_text(v))
    WHEN field = 'country' THEN coalesce((SELECT any_value(code) FROM ref_countries WHERE alias = lower(trim(v))), norm_text(v))
    WHEN field = 'street' THEN norm_street(v)
    WHEN field IN ('amount', 'annual_revenue', 'employees') THEN coalesce(try_cast(try_cast(v AS DOUBLE) AS VARCHAR), trim(v))
    WHEN field IN ('birthdate', 'close_date') THEN coalesce(try_cast(try_cast(left(trim(v), 10) AS DATE) AS VARCHAR), trim(v))
    ELSE lower(squeeze(trim(v)))
  END;

-- same_value(field, a, b): true when both are blank or agree in canon_value
CREATE OR REPLACE MACRO same_value(field, a, b) AS
  coalesce(canon_value(field, a) = canon_value(field, b), canon_value(field, a) IS NULL AND canon_value(field, b) IS NULL);
