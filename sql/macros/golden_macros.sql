-- kind: macros
-- depends: cfg_field_rules, ref_us_states, ref_countries, ref_field_map, prev_writes, macros
-- reads the input review_field_overrides (cycle/review_inputs.go)
-- Golden record helpers shared by persons, companies and deals.

-- field_rule_values(field_values, ent): field_winners' candidates, the
-- live record fields, each with its field's rule (cfg_field_rules; default
-- most_recent) and whether its value is blank
CREATE OR REPLACE MACRO field_rule_values(field_values, ent) AS TABLE
SELECT fv.*, coalesce(r.rule, 'most_recent') AS rule, r.owner, r.priority, r.rule_id, r.lock_system,
       nullif(trim(fv.value), '') IS NULL AS blank
FROM query_table(field_values) fv
LEFT JOIN cfg_field_rules r ON r.entity = ent AND r.field = fv.field
WHERE NOT fv.deleted;

-- field_winners(field_values, ent): for each golden record and field, the
-- value that wins under the field's rule (cfg_field_rules, default
-- most_recent), with its provenance. field_values has golden_id,
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
-- the lock system's non-blank value wins. Ties go to the newer change of a
-- non-blank value, then the record key, so runs are repeatable.
-- A value a person chose in review (review_field_overrides, docs/review.md)
-- beats the rule while it is live: not expired (expires_at against
-- review_as_of), the golden record still has live records, no lock holds,
-- and no live record's field changed after the change the reviewer saw
-- (source_changed_at, else decided_at) to a different value, by a user
-- (edited) or a record that appeared since (first_seen). crmhub's own write
-- of the chosen value coming back (echo) is no change. Its provenance is
-- system 'review', object 'decision', record_id the decision id, rule 'review'.
CREATE OR REPLACE MACRO field_winners(field_values, ent) AS TABLE
-- Every record field is read through field_rule_values at each use (a CTE
-- read more than once is materialised: two copies of every record field,
-- 30 M rows at a million people per system, that spilled); per_field and
-- the override candidates read only the rows they need.
-- per golden record and field, what the owner and lock rules look at (a
-- hash aggregate joined back: cheaper than the same five as window
-- aggregates, which sort every record field), for the fields of those
-- rules only: the other rules look at one candidate at a time
WITH per_field AS (
  SELECT golden_id, field,
         bool_or(system = owner) AS owner_present,
         bool_or(system = 'hubspot') AS has_hubspot,
         bool_or(system = 'salesforce') AS has_salesforce,
         arg_max(value, changed_at) FILTER (WHERE system = 'hubspot' AND NOT blank) AS hubspot_value,
         arg_max(value, changed_at) FILTER (WHERE system = 'salesforce' AND NOT blank) AS salesforce_value
  FROM field_rule_values(field_values, ent) WHERE rule = 'owner' OR lock_system IS NOT NULL
  GROUP BY golden_id, field
),
-- (a NULL key counts nothing: the join below never matches it)
frequencies AS (
  SELECT golden_id, field, canon_value(field, value) AS frequency_key, count(*) AS frequency
  FROM field_rule_values(field_values, ent) WHERE rule = 'most_frequent' GROUP BY ALL
),
locked AS (
  SELECT b.*, p.owner_present, f.frequency,
         b.lock_system IS NOT NULL
         AND golden_lock_holds(b.rule_id, p.has_hubspot, p.has_salesforce, p.hubspot_value, p.salesforce_value) AS lock_holds
  FROM field_rule_values(field_values, ent) b
  LEFT JOIN per_field p ON p.golden_id = b.golden_id AND p.field = b.field
  -- the key most_frequent counts by, computed for that rule only (on every
  -- record field it was half of this macro's time)
  LEFT JOIN frequencies f ON f.golden_id = b.golden_id AND f.field = b.field
                         AND f.frequency_key = CASE WHEN b.rule = 'most_frequent' THEN canon_value(b.field, b.value) END
),
-- the candidates of the golden records and fields a review override names
-- (few: the overrides' EXISTS tests read these, not every record field)
override_candidates AS (
  SELECT b.golden_id, b.field, b.value, b.changed_at, b.changed_basis,
         b.lock_system IS NOT NULL
         AND golden_lock_holds(b.rule_id, p.has_hubspot, p.has_salesforce, p.hubspot_value, p.salesforce_value) AS lock_holds
  FROM field_rule_values(field_values, ent) b
  SEMI JOIN review_field_overrides o ON o.entity = ent AND o.golden_id = b.golden_id AND o.field = b.field
  LEFT JOIN per_field p ON p.golden_id = b.golden_id AND p.field = b.field
),
overrides AS (
  SELECT o.golden_id, o.field, o.value, o.decision_id,
         greatest(o.decided_at, coalesce(o.source_changed_at, o.decided_at)) AS changed_at
  FROM review_field_overrides o
  WHERE o.entity = ent
    AND (o.expires_at IS NULL OR o.expires_at > getvariable('review_as_of'))
    AND EXISTS (SELECT 1 FROM override_candidates l WHERE l.golden_id = o.golden_id AND l.field = o.field)
    AND NOT EXISTS (SELECT 1 FROM override_candidates l WHERE l.golden_id = o.golden_id AND l.field = o.field AND l.lock_holds)
    AND NOT EXISTS (SELECT 1 FROM override_candidates l WHERE l.golden_id = o.golden_id AND l.field = o.field
                    AND l.changed_basis IN ('edited', 'first_seen')
                    AND l.changed_at > coalesce(o.source_changed_at, o.decided_at)
                    AND NOT same_value(o.field, l.value, o.value))
  QUALIFY row_number() OVER (PARTITION BY o.golden_id, o.field ORDER BY o.decided_at DESC, o.decision_id DESC) = 1
),
ranked AS (
  SELECT *,
         CASE
           WHEN lock_holds AND system = lock_system AND NOT blank THEN 0
           WHEN rule = 'owner' AND owner_present THEN (CASE WHEN system = owner THEN 1 ELSE 9 END)
           WHEN blank THEN 8
           WHEN rule = 'owner_unless_blank' THEN (CASE WHEN system = owner THEN 1 ELSE 2 END)
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
),
candidates AS (
  SELECT golden_id, field, value, system, object, record_id, changed_at, changed_basis, blank,
         CASE WHEN tier = 0 THEN 'lock:' || lock_system ELSE rule END AS rule, tier, score
  FROM ranked
  UNION ALL
  SELECT golden_id, field, value, 'review', 'decision', decision_id, changed_at, 'review', false,
         'review', -1, NULL
  FROM overrides
)
-- the best candidate per golden record and field by a window, not an
-- arg_min aggregate: arg_min's struct payload lives in aggregate state that
-- DuckDB cannot spill, and at a million people per system (17 M golden
-- record fields) it ran out of a 5GB memory_limit; the window's sort spills.
-- On a tie of change times an echo loses to the record it was copied from:
-- the provenance names the origin, whatever time crmhub's write landed.
-- No time a CRM stamps on crmhub's own writes breaks a tie: not the
-- records' modification times (updated_at), nor the change time of a blank
-- (a field the object does not map has no version, and takes the record's
-- time): with several write calls in flight the CRM stamps the records in
-- an order of its own, and the next night credited one duplicate or
-- another (TestLoadOrderDoesNotMatter). The record key decides, as its
-- parts (system, object, record id: the same order, and no 30 M
-- concatenated keys kept in the *_values tables on a first run).
SELECT golden_id, field, value, system, object, record_id, rule, changed_at, changed_basis
FROM candidates
QUALIFY row_number() OVER (PARTITION BY golden_id, field
                           ORDER BY tier, score DESC NULLS LAST, CASE WHEN NOT blank THEN changed_at END DESC NULLS LAST,
                                    changed_basis = 'echo', system, object, record_id) = 1;

-- person_email(v): a person's email as a value: tabs and line breaks around
-- an address are noise every CRM refuses (person_values, and the outbox's
-- list of addresses HubSpot already holds)
CREATE OR REPLACE MACRO person_email(v) AS nullif(regexp_replace(v, '^\s+|\s+$', '', 'g'), '');

-- golden_field_rows(fields, f): a golden *_fields table's rows of field f,
-- with the provenance struct the golden models publish (joined once per
-- field on golden_id by golden_persons, golden_companies, golden_deals)
CREATE OR REPLACE MACRO golden_field_rows(fields, f) AS TABLE
SELECT golden_id, value,
       {'system': system, 'object': object, 'record_id': record_id, 'rule': rule,
        'changed_at': changed_at, 'changed_basis': changed_basis} AS p
FROM query_table(fields) WHERE field = f;

-- canon_value(field, v): the form of a value that two systems must agree
-- on, so a difference of format alone (case, spacing, "PA" and
-- "Pennsylvania", "USA" and "United States", phone punctuation, a URL and
-- its domain) never causes a write or a conflict. The state and country
-- aliases are looked up in maps built once from the reference tables: a
-- scalar subquery here would become a join per use, and same_value uses
-- canon_value four times on every record field of outbox and field_changes.
SET VARIABLE ref_state_codes = (SELECT map(list(alias), list(code)) FROM (SELECT alias, any_value(code) AS code FROM ref_us_states GROUP BY alias));
SET VARIABLE ref_country_codes = (SELECT map(list(alias), list(code)) FROM (SELECT alias, any_value(code) AS code FROM ref_countries GROUP BY alias));
-- canon_text(field, v): canon_value, but '' (or NULL) where canon_value is
-- NULL. Each branch computes its normaliser once, by its raw form: the
-- nullif in norm_text, norm_street, norm_phone and squeeze computes its argument
-- twice inside a CASE branch (see norm_text_raw), and a street's canonical
-- form took four times as long in canon_value's CASE as alone. A phone
-- that is no number falls back to its text by a list of the two, which
-- computes each once.
CREATE OR REPLACE MACRO canon_text(field, v) AS
  CASE
    WHEN v IS NULL OR trim(v) = '' THEN NULL
    WHEN field = 'email' THEN coalesce(norm_email(v), lower(trim(v)))
    WHEN field IN ('phone', 'mobile_phone') THEN list_filter([norm_phone_raw(v), lower(trim(v))], lambda x: x <> '')[1]
    WHEN field = 'domain' THEN norm_domain(v)
    WHEN field = 'state' THEN coalesce(getvariable('ref_state_codes')[lower(trim(v))], norm_text_raw(v))
    WHEN field = 'country' THEN coalesce(getvariable('ref_country_codes')[lower(trim(v))], norm_text_raw(v))
    WHEN field = 'street' THEN norm_street_raw(v)
    WHEN field IN ('amount', 'annual_revenue', 'employees') THEN coalesce(try_cast(try_cast(v AS DOUBLE) AS VARCHAR), trim(v))
    WHEN field IN ('birthdate', 'close_date') THEN coalesce(try_cast(try_cast(left(trim(v), 10) AS DATE) AS VARCHAR), trim(v))
    ELSE lower(squeeze_raw(trim(v)))
  END;
CREATE OR REPLACE MACRO canon_value(field, v) AS nullif(canon_text(field, v), '');

-- same_value(field, a, b): true when both are blank or agree in canon_value
-- (blank is NULL or '' in canon_text: the coalesces make them one, and
-- each canon_text is expanded once)
CREATE OR REPLACE MACRO same_value(field, a, b) AS
  coalesce(canon_text(field, a), '') = coalesce(canon_text(field, b), '');

-- field_changes_of(versions): field_changes (sql/golden/field_changes.sql)
-- over the record versions of a table shaped as raw_versions; one table
-- of versions per call, so a run can walk only the records it rebuilds.
-- Its rows hold what the *_values models read (when and how each field
-- changed), not the value or the CRM field: a first run has one row per
-- record and field (28 M at a million people per system), and the two
-- texts were its widest columns.
CREATE OR REPLACE MACRO field_changes_of(versions) AS TABLE
WITH v AS (
  SELECT rv.system, rv.object, rv.record_id, rv.updated_at, fm.entity, fm.field, rv.crm_field, rv.value
  FROM query_table(versions) rv
  JOIN ref_field_map fm ON fm.system = rv.system AND fm.object = rv.object
                       AND fm.crm_field = rv.crm_field AND fm.role = 'value'
),
-- the write log's rows of the records walked here, found on record_id
-- alone (one key, of a hash table of the distinct ids; the exact keys
-- join below): the log holds every record crmhub ever wrote (9.6 M rows
-- at a million people per system), and joining all of it on four text
-- keys, twice, was most of this macro's time on a night that rebuilds a
-- few thousand golden records
writes AS MATERIALIZED (
  SELECT pw.* FROM prev_writes pw SEMI JOIN (SELECT DISTINCT record_id FROM v) r ON r.record_id = pw.record_id
),
-- the fields with more than one version (multi), counted only in the
-- records that have more than one (walked): an aggregate of a few million
-- groups at a million people per system, and one over their fields, where
-- a count per record and field of every version had 28 M groups. A field
-- has two versions only in such a record: raw_versions has one row per
-- record, version time and CRM field, and a record whose versions share
-- one time (or have none) is walked when it has a version without a time
-- or its object maps two CRM fields to one field.
walked AS (
  SELECT system, object, record_id FROM v
  GROUP BY system, object, record_id
  HAVING min(updated_at) < max(updated_at) OR count(updated_at) < count(*)
      OR (system, object) IN (SELECT (system, object) FROM ref_field_map WHERE role = 'value'
                              GROUP BY system, object, field HAVING count(*) > 1)
),
multi AS (
  SELECT system, object, record_id, field FROM v SEMI JOIN walked USING (system, object, record_id)
  GROUP BY ALL HAVING count(*) > 1
),
steps AS (
  SELECT v.*, lag(value) OVER w AS prev_value, row_number() OVER w AS version
  FROM v SEMI JOIN multi USING (system, object, record_id, field)
  WINDOW w AS (PARTITION BY system, object, record_id, field ORDER BY updated_at)
),
change_points AS (
  SELECT s.*,
         -- the same text first: a CRM mostly hands back what crmhub wrote,
         -- and same_value (canon_value twice) then need not run
         CASE WHEN pw.record_id IS NOT NULL AND s.updated_at >= pw.written_at
                   AND (pw.value IS NOT DISTINCT FROM s.value OR same_value(s.field, pw.value, s.value)) THEN 'echo'
              WHEN s.version = 1 THEN 'first_seen'
              ELSE 'edited' END AS basis,
         pw.source_changed_at
  FROM steps s
  LEFT JOIN writes pw ON pw.system = s.system AND pw.object = s.object AND pw.record_id = s.record_id
                          AND pw.crm_field = s.crm_field
  WHERE s.version = 1 OR NOT same_value(s.field, s.value, s.prev_value)
)
SELECT system, object, record_id, entity, field,
       CASE WHEN echo THEN coalesce(source_changed_at, updated_at) ELSE updated_at END AS changed_at,
       CASE WHEN echo THEN 'echo' ELSE 'first_seen' END AS basis, false AS changed_since_last_run
FROM (
  -- a record crmhub created holds crmhub's values from its first version
  -- (a CASE, so same_value runs only on records crmhub wrote: as a plain
  -- AND in a projection it ran on every record field)
  SELECT o.*, pw.source_changed_at,
         CASE WHEN pw.record_id IS NULL OR o.updated_at < pw.written_at THEN false
              WHEN o.value IS NOT DISTINCT FROM pw.value THEN true
              ELSE same_value(o.field, pw.value, o.value) END AS echo
  FROM (SELECT * FROM v ANTI JOIN multi USING (system, object, record_id, field)) o
  LEFT JOIN writes pw ON pw.system = o.system AND pw.object = o.object AND pw.record_id = o.record_id
                          AND pw.crm_field = o.crm_field
)
UNION ALL
(SELECT system, object, record_id, entity, field,
       -- an echo carries the change time of the value crmhub copied
       CASE WHEN basis = 'echo' THEN coalesce(source_changed_at, updated_at) ELSE updated_at END AS changed_at,
       basis,
       basis = 'edited' AND updated_at > getvariable('last_run_at')
         AND getvariable('last_run_at') > TIMESTAMP '1971-01-01' AS changed_since_last_run
FROM change_points
QUALIFY row_number() OVER (PARTITION BY system, object, record_id, field ORDER BY updated_at DESC) = 1);

-- golden_scope(ent, clusters, changed, prev_golden): the golden ids an
-- incremental run rebuilds (person_scope, company_scope, deal_scope), of
-- the clusters table (record_key, golden_id): those of the records in the
-- changed table (record_key; each entity's own rules), those a record
-- joined or left (against prev_xref: the new and the old id), those the
-- last outbox wrote to (pending), those a reviewer's field override names
-- (review) and those the last run did not publish (unseen: not in the
-- prev_golden table). A full run (variable incremental false) rebuilds
-- every golden id.
CREATE OR REPLACE MACRO golden_scope(ent, clusters, changed, prev_golden) AS TABLE
WITH cur AS (
  SELECT record_key, golden_id FROM query_table(clusters)
),
moved AS (
  SELECT c.golden_id AS cur_id, p.golden_id AS prev_id
  FROM cur c
  FULL JOIN (SELECT system || ':' || object || ':' || record_id AS record_key, golden_id
             FROM prev_xref WHERE entity = ent) p USING (record_key)
  WHERE c.golden_id IS DISTINCT FROM p.golden_id
),
dirty AS (
  SELECT c.golden_id FROM cur c SEMI JOIN query_table(changed) ch ON ch.record_key = c.record_key
  UNION ALL SELECT cur_id FROM moved WHERE cur_id IS NOT NULL
  UNION ALL SELECT prev_id FROM moved WHERE prev_id IS NOT NULL
  UNION ALL SELECT golden_id FROM prev_outbox_ids WHERE entity = ent
  UNION ALL SELECT golden_id FROM review_field_overrides WHERE entity = ent
  UNION ALL SELECT golden_id FROM cur ANTI JOIN query_table(prev_golden) pg ON pg.golden_id = cur.golden_id
)
SELECT DISTINCT golden_id FROM cur
WHERE NOT getvariable('incremental')
UNION
SELECT golden_id FROM cur SEMI JOIN dirty USING (golden_id)
WHERE getvariable('incremental');
