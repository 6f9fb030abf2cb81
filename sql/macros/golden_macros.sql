-- kind: macros
-- depends: cfg_field_rules, ref_us_states, ref_countries, macros
-- Golden record helpers shared by persons, companies and deals.

-- field_winners(field_values, ent): for each golden record and field, the
-- value that wins under the field's rule (cfg_field_rules, default
-- most_recent), with its provenance. field_values has golden_id, record_key,
-- system, object, record_id, updated_at, changed_at, changed_basis, deleted,
-- field, value. Rules (docs/golden.md):
--   owner               the owner system's value, even blank, when the
--                       golden record has a record there; else most_recent
--   owner_unless_blank  the owner system's non-blank value, else most_recent
--   most_recent         the non-blank value changed last (per field)
--   priority            the first non-blank source of the rule's list
--                       (system or system:Object), then most_recent
--   most_frequent       the value most records hold (canon_value), then most_recent
--   longest             the longest non-blank value, then most_recent
--   sql                 the highest golden_rule_score (the rule's
--                       expression over one candidate), then most_recent
-- A lock (lock_system, golden_lock_holds) overrides the rule while it holds:
-- the lock system's non-blank value wins. Ties go to the newer change, the
-- newer record, then the record key, so runs are repeatable.
CREATE OR REPLACE MACRO field_winners(field_values, ent) AS TABLE
WITH v AS (
  SELECT fv.*, coalesce(r.rule, 'most_recent') AS rule, r.owner, r.priority, r.rule_id, r.lock_system,
         nullif(trim(fv.value), '') IS NULL AS blank,
         bool_or(fv.system = r.owner) OVER g AS owner_present,
         bool_or(fv.system = 'hubspot') OVER g AS has_hubspot,
         bool_or(fv.system = 'salesforce') OVER g AS has_salesforce,
         arg_max(fv.value, fv.changed_at) FILTER (WHERE fv.system = 'hubspot' AND nullif(trim(fv.value), '') IS NOT NULL) OVER g AS hubspot_value,
         arg_max(fv.value, fv.changed_at) FILTER (WHERE fv.system = 'salesforce' AND nullif(trim(fv.value), '') IS NOT NULL) OVER g AS salesforce_value,
         count(*) OVER (PARTITION BY fv.golden_id, fv.field, canon_value(fv.field, fv.value)) AS frequency
  FROM query_table(field_values) fv
  LEFT JOIN cfg_field_rules r ON r.entity = ent AND r.field = fv.field
  WHERE NOT fv.deleted
  WINDOW g AS (PARTITION BY fv.golden_id, fv.field)
),
locked AS (
  SELECT *, lock_system IS NOT NULL
            AND golden_lock_holds(rule_id, has_hubspot, has_salesforce, hubspot_value, salesforce_value) AS lock_holds
  FROM v
),
ranked AS (
  SELECT *,
         CASE
           WHEN lock_holds AND system = lock_system AND NOT blank THEN 0
           WHEN rule = 'owner' AND owner_present THEN (CASE WHEN system = owner THEN 1 ELSE 9 END)
           WHEN blank THEN 8
           WHEN rule = 'owner_unless_blank' AND system = owner THEN 1
           WHEN rule = 'priority' THEN 1 + coalesce(nullif(list_position(priority, system || ':' || object), 0),
                                                    nullif(list_position(priority, system), 0), 6)
           ELSE 1
         END AS tier,
         CASE rule
           WHEN 'most_frequent' THEN frequency
           WHEN 'longest' THEN length(trim(value))
           WHEN 'sql' THEN golden_rule_score(rule_id, value, system, object, record_id, changed_at, updated_at)
         END AS score
  FROM locked
)
SELECT golden_id, field, value, system, object, record_id,
       CASE WHEN tier = 0 THEN 'lock:' || lock_system ELSE rule END AS rule,
       changed_at, changed_basis
FROM ranked
QUALIFY row_number() OVER (PARTITION BY golden_id, field
                           ORDER BY tier, score DESC NULLS LAST, changed_at DESC, updated_at DESC, record_key) = 1;

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
