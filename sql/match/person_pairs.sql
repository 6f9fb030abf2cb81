-- kind: script
-- depends: macros, pair_types, stg_persons, person_candidates, ref_match_weights
-- test: sql(SELECT 1 WHERE (SELECT count(*) FROM person_pairs) <> (SELECT count(*) FROM person_candidates))
-- test: not_null(score, decision)
-- test: accepted_values(decision, 'match', 'review', 'non-match')
-- Each candidate pair is scored once: person_candidates tests that its
-- pairs are unique, and the equal counts here show that the joins below
-- neither lost nor doubled a pair (grouping 23 M pairs again to test them
-- unique was 4.4 s of a nightly run at a million people).
-- Fellegi-Sunter scoring: each compared field falls into an ordered level;
-- a level's weight is log2(m/u); the score is the sum. m and u come from
-- ref_match_weights, or, with matching.estimate, u from random record pairs
-- and m by expectation-maximisation over the candidate pairs.
-- Cross-system ids override the score: the same id links, conflicting ids
-- never do. Exact agreements on names and city are term-frequency adjusted:
-- sharing "smith" or "london" proves less than sharing a rare value.
-- Pairs are compared once (levels only; a pair person_candidates carries
-- keeps the last run's: see person_cmp); weights are summed
-- per pattern of levels (a few thousand patterns, not millions of pairs),
-- then each pair gets its pattern's weights plus its term-frequency terms.
-- person_pairs is the scored part (on rids; clustering reads its match and
-- cannot-link edges straight from it), person_pairs_wide its published
-- shape (match_pairs). Decisions, rules, levels and record systems and
-- objects are ENUMs (pair_types): typed once per pair, mask, pattern or
-- record here, so nothing is cast per pair where the pairs are published.

-- the live records' compared fields, with the term frequency of each
-- record's first name, surname and town (share of live records holding the
-- value): pairs read the frequency of a value they agree on from here,
-- instead of joining frequency tables on the value; and the parts of values
-- the comparison takes (birth date as text, the mailbox, the phone's last
-- seven digits) once per record rather than twice per pair
CREATE OR REPLACE TEMP TABLE person_fields AS
WITH live AS (
  SELECT rid, system, record_id, cross_id_n, first_key, first_n, last_n, birthdate_d, email_n, email_key,
         phone_n, mobile_n, street_n, city_n, postal_n, state_n, company_n
  FROM stg_persons WHERE NOT deleted
),
total AS (SELECT count(*)::DOUBLE AS n FROM live),
first_tf AS (SELECT first_key, count(*) / any_value(total.n) AS first_tf FROM live, total WHERE first_key IS NOT NULL GROUP BY first_key),
last_tf AS (SELECT last_n, count(*) / any_value(total.n) AS last_tf FROM live, total WHERE last_n IS NOT NULL GROUP BY last_n),
city_tf AS (SELECT city_n, count(*) / any_value(total.n) AS city_tf FROM live, total WHERE city_n IS NOT NULL GROUP BY city_n)
SELECT live.*, strftime(live.birthdate_d, '%Y%m%d') AS birth_s, split_part(live.email_n, '@', 1) AS email_local,
       right(live.phone_n, 7) AS phone_tail, first_tf.first_tf, last_tf.last_tf, city_tf.city_tf
FROM live
LEFT JOIN first_tf USING (first_key)
LEFT JOIN last_tf USING (last_n)
LEFT JOIN city_tf USING (city_n);

-- The ten levels of a pair travel as one INTEGER, three bits per field in
-- the order of person_level_names() (a level's code is its position in the
-- field's list, from 0): the pattern. Ten level strings were 160 bytes per
-- pair, over 3 GiB at a million people that the comparison then spilled.
CREATE OR REPLACE TEMP MACRO person_level_names() AS [
  ['null', 'exact', 'fuzzy_high', 'initial', 'fuzzy_low', 'different'],  -- first_name
  ['null', 'exact', 'fuzzy_high', 'fuzzy_low', 'different'],             -- last_name
  ['null', 'exact', 'typo', 'close', 'different'],                       -- birthdate
  ['null', 'exact', 'fuzzy', 'same_mailbox', 'fuzzy_low', 'different'],  -- email
  ['null', 'exact', 'last_digits', 'different'],                         -- phone
  ['null', 'exact', 'fuzzy_high', 'fuzzy_low', 'different'],             -- street
  ['null', 'exact', 'fuzzy', 'different'],                               -- city
  ['null', 'exact', 'typo', 'different'],                                -- postal_code
  ['null', 'exact', 'different'],                                        -- state
  ['null', 'exact', 'fuzzy', 'different']                                -- company_name
];
CREATE OR REPLACE TEMP MACRO person_comparisons() AS
  ['first_name', 'last_name', 'birthdate', 'email', 'phone', 'street', 'city', 'postal_code', 'state', 'company_name'];
-- a level's code in field i (1-based); a level missing from the list stops
-- the run rather than lose the pair
CREATE OR REPLACE TEMP MACRO person_level_code(i, level) AS
  coalesce(list_position(person_level_names()[i], level) - 1, error('person_pairs: level ' || level || ' missing from person_level_names()'));

-- person_compare(pairs): the comparison levels of the pairs (left_rid,
-- right_rid, rules) of a table, as level codes (person_level_code: the
-- CASEs name the levels, the codes are constants), with the term
-- frequencies of the values an exact agreement rests on
CREATE OR REPLACE TEMP MACRO person_compare(pairs) AS TABLE
WITH cmp AS (
  SELECT c.left_rid, c.right_rid, c.rule_mask,
    coalesce(l.first_key = r.first_key OR l.last_n = r.last_n, false) AS name_agrees,
    l.first_key AS lf, l.last_n AS ll, r.first_key AS rf0, r.last_n AS rl0, l.first_n AS lfs, r.first_n AS rfs0,
    l.birthdate_d AS lb, r.birthdate_d AS rb, l.birth_s AS lbs, r.birth_s AS rbs,
    l.email_n AS le, r.email_n AS re, l.email_key AS lek, r.email_key AS rek, l.email_local AS lel, r.email_local AS rel,
    l.phone_n AS lp, r.phone_n AS rp, l.mobile_n AS lm, r.mobile_n AS rm, l.phone_tail AS lpt, r.phone_tail AS rpt,
    l.street_n AS ls, r.street_n AS rs, l.city_n AS lc, r.city_n AS rc,
    l.postal_n AS lz, r.postal_n AS rz, l.state_n AS lst, r.state_n AS rst,
    l.company_n AS lco, r.company_n AS rco, l.first_tf AS lftf, l.last_tf AS lltf, l.city_tf AS lctf,
    (l.system = 'hubspot' AND r.system = 'salesforce' AND (l.cross_id_n = r.record_id OR r.cross_id_n = l.record_id))
      OR (r.system = 'hubspot' AND l.system = 'salesforce' AND (r.cross_id_n = l.record_id OR l.cross_id_n = r.record_id)) AS same_cross_id,
    l.system <> r.system AND l.cross_id_n IS NOT NULL AND r.cross_id_n IS NOT NULL
      AND l.cross_id_n <> r.record_id AND r.cross_id_n <> l.record_id AS conflicting_cross_id
  FROM query_table(pairs) c
  JOIN person_fields l ON l.rid = c.left_rid
  JOIN person_fields r ON r.rid = c.right_rid
),
-- the name similarities, each at most once per pair: j_ff and j_ll (first
-- to first, last to last) where those differ, and all four where neither
-- name agrees as it stands (a CASE computes a similarity only for the rows
-- that reach its branch)
name_sims AS (
  SELECT *,
         CASE WHEN lf <> rf0 OR NOT name_agrees THEN jw(lf, rf0) END AS j_ff,
         CASE WHEN ll <> rl0 OR NOT name_agrees THEN jw(ll, rl0) END AS j_ll,
         CASE WHEN NOT name_agrees THEN jw(lf, rl0) END AS j_fl,
         CASE WHEN NOT name_agrees THEN jw(ll, rf0) END AS j_lf
  FROM cmp
),
-- names may arrive swapped (first in last); score the better orientation
-- (only worth testing where neither name agrees as it stands)
oriented AS (
  SELECT *, CASE WHEN swapped THEN rl0 ELSE rf0 END AS rf, CASE WHEN swapped THEN rf0 ELSE rl0 END AS rl,
         CASE WHEN swapped THEN rl0 ELSE rfs0 END AS rfs,
         -- the oriented names' similarities, from the four above
         CASE WHEN swapped THEN j_fl ELSE j_ff END AS j_first,
         CASE WHEN swapped THEN j_lf ELSE j_ll END AS j_last
  FROM (SELECT *, NOT name_agrees AND j_ff + j_ll < j_fl + j_lf - 0.3 AS swapped FROM name_sims)
),
sims AS (
  SELECT *,
         -- typos are judged on the name as spelled as well as on its
         -- nickname form: "hrarry" is near "harry", not "henry" (the spelled
         -- form is the same as the key for most names: nothing to add then)
         CASE WHEN lf <> rf THEN CASE WHEN lfs = lf AND rfs = rf THEN j_first ELSE greatest(j_first, jw(lfs, rfs)) END END AS first_sim,
         CASE WHEN ll <> rl THEN j_last END AS last_sim,
         -- each similarity once per pair, and only where the values differ
         CASE WHEN lb <> rb AND abs(lb - rb) <= 4000 THEN levenshtein(lbs, rbs) END AS birth_lev,
         CASE WHEN ls <> rs THEN jaro_winkler_similarity(ls, rs) END AS street_sim,
         CASE WHEN lc <> rc THEN jaro_winkler_similarity(lc, rc) END AS city_sim,
         CASE WHEN lco <> rco THEN jaro_winkler_similarity(lco, rco) END AS company_sim,
         CASE WHEN lek <> rek AND least(length(lek), length(rek)) >= 8 THEN jaro_winkler_similarity(lek, rek) END AS email_sim,
         CASE WHEN lz <> rz THEN levenshtein(lz, rz) END AS postal_lev
  FROM oriented
),
-- Damerau-Levenshtein distances, which the levels test against 1 or 2, are
-- dear (several times Levenshtein's cost here); Levenshtein (lev) bounds
-- them: dl <= lev <= 2 * dl (a transposition is two Levenshtein edits), so
-- lev <= k settles dl <= k, lev > 2k settles dl > k, and dl is computed only
-- in between. The same answers, for a fraction of the pairs.
distances AS (
  SELECT *,
         -- exact where it is at most 2, the only values the levels test
         CASE WHEN birth_lev <= 1 THEN birth_lev WHEN birth_lev <= 4 THEN damerau_levenshtein(lbs, rbs) ELSE birth_lev END AS birth_dist,
         CASE WHEN abs(length(lek) - length(rek)) <= 2 AND email_sim >= 0.80 THEN levenshtein(lek, rek) END AS email_lev,
         CASE WHEN postal_lev <= 1 THEN true WHEN postal_lev = 2 THEN damerau_levenshtein(lz, rz) <= 1 ELSE false END AS postal_typo
  FROM sims
)
SELECT left_rid, right_rid, rule_mask, same_cross_id, conflicting_cross_id,
    -- the frequency of the value an exact agreement rests on
    CASE WHEN lf = rf THEN lftf END AS first_tf, CASE WHEN ll = rl THEN lltf END AS last_tf,
    CASE WHEN lc = rc THEN lctf END AS city_tf,
    CASE
        WHEN lf IS NULL OR rf IS NULL THEN person_level_code(1, 'null')
        WHEN lf = rf THEN person_level_code(1, 'exact')
        WHEN first_sim >= 0.92 THEN person_level_code(1, 'fuzzy_high')
        WHEN length(lf) = 1 OR length(rf) = 1 THEN CASE WHEN lf[1] = rf[1] THEN person_level_code(1, 'initial') ELSE person_level_code(1, 'different') END
        WHEN first_sim >= 0.80 THEN person_level_code(1, 'fuzzy_low')
        ELSE person_level_code(1, 'different') END AS first_name,
    CASE
        WHEN ll IS NULL OR rl IS NULL THEN person_level_code(2, 'null')
        WHEN ll = rl THEN person_level_code(2, 'exact')
        WHEN last_sim >= 0.92 THEN person_level_code(2, 'fuzzy_high')
        WHEN last_sim >= 0.80 THEN person_level_code(2, 'fuzzy_low')
        ELSE person_level_code(2, 'different') END AS last_name,
    CASE
        WHEN lb IS NULL OR rb IS NULL THEN person_level_code(3, 'null')
        WHEN lb = rb THEN person_level_code(3, 'exact')
        -- one slip moves a date at most ten years (a year digit)
        WHEN abs(lb - rb) > 4000 THEN person_level_code(3, 'different')
        WHEN birth_dist <= 1
          OR (year(lb) = year(rb) AND month(lb) = day(rb) AND day(lb) = month(rb)) THEN person_level_code(3, 'typo')
        -- two slips, or a date a few weeks or about a year off
        WHEN birth_dist <= 2
          OR abs(lb - rb) <= 40 OR abs(abs(lb - rb) - 365) <= 40 THEN person_level_code(3, 'close')
        ELSE person_level_code(3, 'different') END AS birthdate,
    CASE
        WHEN lek IS NULL OR rek IS NULL THEN person_level_code(4, 'null')
        WHEN le = re OR lek = rek THEN person_level_code(4, 'exact')
        -- a typo or two in an otherwise identical address (edit distance is
        -- dear: email_lev is there only where both have 8 characters or more,
        -- their lengths differ by 2 at most and email_sim >= 0.80)
        WHEN CASE WHEN email_lev <= 2 THEN true WHEN email_lev <= 4 THEN damerau_levenshtein(lek, rek) <= 2 ELSE false END
          THEN person_level_code(4, 'fuzzy')
        WHEN lel = rel THEN person_level_code(4, 'same_mailbox')
        WHEN least(length(lek), length(rek)) >= 8 AND email_sim >= 0.90 THEN person_level_code(4, 'fuzzy_low')
        ELSE person_level_code(4, 'different') END AS email,
    CASE
        WHEN lp IS NULL OR rp IS NULL THEN person_level_code(5, 'null')
        -- phone_n falls back on the mobile; either number of one side may
        -- be the other's
        WHEN lp = rp OR lp = rm OR lm = rp OR lm = rm THEN person_level_code(5, 'exact')
        WHEN lpt = rpt THEN person_level_code(5, 'last_digits')
        ELSE person_level_code(5, 'different') END AS phone,
    CASE
        WHEN ls IS NULL OR rs IS NULL THEN person_level_code(6, 'null')
        WHEN ls = rs THEN person_level_code(6, 'exact')
        WHEN street_sim >= 0.90 THEN person_level_code(6, 'fuzzy_high')
        WHEN street_sim >= 0.75 THEN person_level_code(6, 'fuzzy_low')
        ELSE person_level_code(6, 'different') END AS street,
    CASE
        WHEN lc IS NULL OR rc IS NULL THEN person_level_code(7, 'null')
        WHEN lc = rc THEN person_level_code(7, 'exact')
        WHEN city_sim >= 0.88 THEN person_level_code(7, 'fuzzy')
        ELSE person_level_code(7, 'different') END AS city,
    CASE
        WHEN lz IS NULL OR rz IS NULL THEN person_level_code(8, 'null')
        WHEN lz = rz THEN person_level_code(8, 'exact')
        WHEN postal_typo THEN person_level_code(8, 'typo')
        ELSE person_level_code(8, 'different') END AS postal_code,
    CASE
        WHEN lst IS NULL OR rst IS NULL THEN person_level_code(9, 'null')
        WHEN lst = rst THEN person_level_code(9, 'exact')
        ELSE person_level_code(9, 'different') END AS state,
    CASE
        WHEN lco IS NULL OR rco IS NULL THEN person_level_code(10, 'null')
        WHEN lco = rco THEN person_level_code(10, 'exact')
        WHEN company_sim >= 0.90 THEN person_level_code(10, 'fuzzy')
        ELSE person_level_code(10, 'different') END AS company_name
FROM distances;

-- The match state (cycle/matchstate.go): a pair's levels and cross-id
-- flags are a function of its two records' compared fields (person_fields'
-- columns) alone, so a candidate pair whose two records are live and have
-- the same compared fields as in the last run keeps the last run's pattern
-- and flags: person_candidates carries them with the pair (pattern NULL
-- where there is none); only the other pairs are compared. A full run has
-- no last run and compares every pair.
CREATE OR REPLACE TEMP VIEW person_to_compare AS
  SELECT left_rid, right_rid, rule_mask FROM person_candidates WHERE pattern IS NULL;

-- the pairs compared now, with their pattern
CREATE OR REPLACE TEMP TABLE person_compared AS
  SELECT left_rid, right_rid, rule_mask, same_cross_id, conflicting_cross_id,
         (first_name | (last_name << 3) | (birthdate << 6) | (email << 9) | (phone << 12) | (street << 15)
          | (city << 18) | (postal_code << 21) | (state << 24) | (company_name << 27))::INTEGER AS pattern
  FROM person_compare('person_to_compare');
DROP VIEW person_to_compare;
-- every candidate pair once: compared now, or carried. A view: the scoring
-- below reads it once, and the carried pairs (nearly all of them on a
-- nightly run) are not copied into a table first; both kinds get their
-- term-frequency terms there, in one join (person_tf_bits).
CREATE OR REPLACE TEMP VIEW person_cmp AS
  SELECT * FROM person_compared
  UNION ALL
  SELECT left_rid, right_rid, rule_mask, same_cross_id, conflicting_cross_id, pattern
  FROM person_candidates
  WHERE pattern IS NOT NULL;

-- the patterns in long form (pattern, n, comparison, level): what weights
-- and estimation work on
CREATE OR REPLACE TEMP TABLE person_patterns AS
  SELECT pattern, n, person_comparisons()[i] AS comparison,
         person_level_names()[i][((pattern >> (3 * (i - 1))) & 7) + 1] AS level
  FROM (SELECT pattern, count(*) AS n
        FROM (SELECT pattern FROM person_compared UNION ALL SELECT pattern FROM person_candidates WHERE pattern IS NOT NULL)
        GROUP BY pattern), range(1, 11) t(i);
-- each pattern's levels in wide form
CREATE OR REPLACE TEMP TABLE person_pattern_levels AS
  PIVOT (SELECT pattern, comparison, level FROM person_patterns)
  ON comparison IN ('first_name', 'last_name', 'birthdate', 'email', 'phone', 'street', 'city', 'postal_code', 'state', 'company_name')
  USING any_value(level) GROUP BY pattern;

CREATE OR REPLACE TEMP TABLE person_weights AS
  SELECT comparison, level, m, u FROM ref_match_weights WHERE entity = 'person';

-- estimation, when matching.estimate: u from random pairs of live records
-- (a fixed pseudo-random sample, so runs on the same data agree), then m by
-- EM over the candidate pairs (see em_step)
CREATE OR REPLACE TEMP TABLE person_random AS
  WITH n AS (SELECT max(rid) AS n FROM stg_persons),
  drawn AS (
    SELECT 1 + hash(i, 'left') % n.n AS left_rid, 1 + hash(i, 'right') % n.n AS right_rid, NULL::BIGINT AS rule_mask
    FROM n, range(CASE WHEN getvariable('match_estimate') THEN getvariable('estimate_sample_pairs') ELSE 0 END) t(i)
  )
  SELECT d.* FROM drawn d
  JOIN stg_persons l ON l.rid = d.left_rid AND NOT l.deleted
  JOIN stg_persons r ON r.rid = d.right_rid AND NOT r.deleted
  WHERE d.left_rid <> d.right_rid;
CREATE OR REPLACE TEMP TABLE person_random_levels AS
  SELECT comparison, level, count(*) AS n
  FROM (SELECT person_comparisons()[i] AS comparison, person_level_names()[i][codes[i] + 1] AS level
        FROM (SELECT [first_name, last_name, birthdate, email, phone, street, city, postal_code, state, company_name] AS codes
              FROM person_compare('person_random')), range(1, 11) t(i))
  GROUP BY ALL;
UPDATE person_weights SET u = e.u
  FROM fs_u('person_random_levels') e
  WHERE person_weights.comparison = e.comparison AND person_weights.level = e.level;
CREATE OR REPLACE TEMP TABLE person_em AS
  SELECT 0 AS iter, 1.0::DOUBLE AS delta, 0.1::DOUBLE AS p_match,
         list({'comparison': comparison, 'level': level, 'm': m, 'u': u} ORDER BY comparison, level) AS ps
  FROM ref_match_weights WHERE entity = 'person' AND level <> 'null';
-- @repeat
UPDATE person_em SET iter = e.iter, delta = e.delta, p_match = e.p_match, ps = e.ps
  FROM em_step('person_em', 'person_patterns') e
  WHERE getvariable('match_estimate') AND person_em.iter < getvariable('estimate_iterations') AND person_em.delta > 1e-4;
UPDATE person_weights SET m = e.m
  FROM (SELECT unnest(ps, recursive := true) FROM person_em) e
  WHERE getvariable('match_estimate') AND person_weights.comparison = e.comparison AND person_weights.level = e.level;

-- Each record as the pairs publish it (system and object as ENUMs, cast
-- once per record rather than twice per pair in match_pairs), with its
-- term-frequency terms: once per record rather than three logarithms per
-- pair (a quarter of person_pairs' scoring at 100k): an exact agreement on
-- a common value weighs log2(m / tf) where the value's frequency is above
-- the level's u, the pattern weight plus this (non-positive) term. The
-- frequencies are global and always this run's; a pair takes its left
-- record's term exactly where the values agree exactly (lf = rf in
-- person_compare, swapped names included: the 'exact' level), likewise
-- surname and town: the scoring below and person_pairs_wide both add it,
-- so person_pairs does not store the terms of 23 M pairs at a million
-- people. Deleted records (in no pair) have none. After estimation: u is
-- final here. Kept (not TEMP): person_pairs_wide reads it.
CREATE OR REPLACE TABLE person_records AS
  WITH exact_u AS (
    SELECT any_value(u) FILTER (WHERE comparison = 'first_name') AS first_u,
           any_value(u) FILTER (WHERE comparison = 'last_name') AS last_u,
           any_value(u) FILTER (WHERE comparison = 'city') AS city_u
    FROM person_weights WHERE level = 'exact'
  )
  SELECT s.rid, s.system::crm_system AS system, s.object::crm_object AS object, s.record_id,
         coalesce(-log2(greatest(f.first_tf, e.first_u) / e.first_u), 0) AS first_tf_bits,
         coalesce(-log2(greatest(f.last_tf, e.last_u) / e.last_u), 0) AS last_tf_bits,
         coalesce(-log2(greatest(f.city_tf, e.city_u) / e.city_u), 0) AS city_tf_bits
  FROM stg_persons s LEFT JOIN person_fields f USING (rid) CROSS JOIN exact_u e;

-- each pattern's weight per field: log2(m/u), 0 for a missing value
CREATE OR REPLACE TEMP TABLE person_pattern_weights AS
  PIVOT (SELECT p.pattern, p.comparison, coalesce(log2(w.m / w.u), 0) AS weight
         FROM person_patterns p LEFT JOIN person_weights w USING (comparison, level))
  ON comparison IN ('first_name', 'last_name', 'birthdate', 'email', 'phone', 'street', 'city', 'postal_code', 'state', 'company_name')
  USING any_value(weight) GROUP BY pattern;

-- each pattern's explanation entries, levels typed pair_level once per
-- pattern. Kept (not TEMP) beside person_pairs, like person_rule_sets:
-- person_pairs_wide, the published shape, reads a pair's entries by its
-- pattern. The seven fields without a term-frequency term are whole
-- entries ({level, weight}, rounded as published); first name, surname and
-- city keep level and weight apart, with whether the level is 'exact': a
-- pair adds its left record's term to the weight there.
CREATE OR REPLACE TABLE person_pattern_scores AS
  SELECT lv.pattern,
         {'level': lv.birthdate::pair_level, 'weight': round(w.birthdate, 2)} AS birthdate,
         {'level': lv.company_name::pair_level, 'weight': round(w.company_name, 2)} AS company_name,
         {'level': lv.email::pair_level, 'weight': round(w.email, 2)} AS email,
         {'level': lv.phone::pair_level, 'weight': round(w.phone, 2)} AS phone,
         {'level': lv.postal_code::pair_level, 'weight': round(w.postal_code, 2)} AS postal_code,
         {'level': lv.state::pair_level, 'weight': round(w.state, 2)} AS state,
         {'level': lv.street::pair_level, 'weight': round(w.street, 2)} AS street,
         lv.first_name::pair_level AS first_name_level, w.first_name AS first_name_weight, lv.first_name = 'exact' AS first_name_exact,
         lv.last_name::pair_level AS last_name_level, w.last_name AS last_name_weight, lv.last_name = 'exact' AS last_name_exact,
         lv.city::pair_level AS city_level, w.city AS city_weight, lv.city = 'exact' AS city_exact
  FROM person_pattern_levels lv JOIN person_pattern_weights w USING (pattern);
-- the blocking rules' names, once per distinct mask (a few hundred)
CREATE OR REPLACE TABLE person_rule_sets AS
  SELECT rule_mask, rule_names(rule_mask, person_rule_names())::blocking_rule[] AS rules
  FROM (SELECT DISTINCT rule_mask FROM person_candidates);

-- person_pairs holds what a pair's decision rests on, on the integer rids:
-- its pattern, score, probability and decision (decision and decided_by
-- ENUMs: typed literals, one byte per pair, cheap to filter on for
-- clustering, xref and the review queue). The record columns, rule names
-- and the ten-field explanation are functions of these and the left
-- record's terms (person_pairs_wide below), built only where they are
-- published: written here for every pair they were most of this model's
-- time at a million people (20.6 M explanations spilled to disk, and
-- match_pairs then copied them once more).
CREATE OR REPLACE TABLE person_pairs AS
WITH live AS (
  SELECT * FROM stg_persons WHERE NOT deleted
),
total AS (
  SELECT count(*)::DOUBLE AS n FROM live
),
-- The prior odds that two random records match fall as 1/N (each record has
-- about the same number of duplicates among ever more others), so a fixed
-- posterior needs the score thresholds to rise by log2(N / N_ref) above the
-- size the thresholds were set on (matching.reference_records).
size_adjustment AS (
  SELECT greatest(0, log2(greatest(n, 1) / getvariable('reference_records'))) AS size_bits FROM total
),
-- each pair's term-frequency terms: its left record's where its pattern
-- agrees exactly (person_tf_bits), none elsewhere
tf_terms AS (
  SELECT c.*,
         CASE WHEN c.pattern & 7 = person_level_code(1, 'exact') THEN b.first_tf_bits ELSE 0 END AS first_tf_bits,
         CASE WHEN (c.pattern >> 3) & 7 = person_level_code(2, 'exact') THEN b.last_tf_bits ELSE 0 END AS last_tf_bits,
         CASE WHEN (c.pattern >> 18) & 7 = person_level_code(7, 'exact') THEN b.city_tf_bits ELSE 0 END AS city_tf_bits
  FROM person_cmp c JOIN person_records b ON b.rid = c.left_rid
),
-- the score adds the ten fields' weights in the order of person_level_names()
-- (the same sum, term by term, as the explanation's weights)
scored AS (
  SELECT t.left_rid, t.right_rid, t.rule_mask, t.pattern, t.same_cross_id, t.conflicting_cross_id,
         t.first_tf_bits, t.last_tf_bits, t.city_tf_bits,
         round((w.first_name + t.first_tf_bits) + (w.last_name + t.last_tf_bits) + w.birthdate + w.email + w.phone
               + w.street + (w.city + t.city_tf_bits) + w.postal_code + w.state + w.company_name, 3) AS score
  FROM tf_terms t JOIN person_pattern_weights w USING (pattern)
),
-- With estimation the prior is the estimated share of matching pairs among
-- all record pairs (EM's share among the candidates times their number, over
-- N(N-1)/2), and pairs are decided on the posterior probability.
estimated_prior AS (
  SELECT log2(greatest(em.p_match * (SELECT count(*) FROM person_candidates), 1)
              / greatest(t.n * (t.n - 1) / 2 - em.p_match * (SELECT count(*) FROM person_candidates), 1)) AS prior_bits
  FROM person_em em, total t
),
decided AS (
  SELECT s.*,
         CASE WHEN getvariable('match_estimate') THEN 1 / (1 + pow(2, -(s.score + (SELECT prior_bits FROM estimated_prior))))
              ELSE 1 / (1 + pow(2, -(s.score + getvariable('person_prior') - (SELECT size_bits FROM size_adjustment)))) END AS probability,
         CASE WHEN getvariable('match_estimate') THEN s.score + (SELECT prior_bits FROM estimated_prior) >= log2(getvariable('match_probability')::DOUBLE / (1 - getvariable('match_probability')::DOUBLE))
              ELSE s.score >= getvariable('person_match_threshold') + (SELECT size_bits FROM size_adjustment) END AS above_match,
         CASE WHEN getvariable('match_estimate') THEN s.score + (SELECT prior_bits FROM estimated_prior) >= log2(getvariable('review_probability')::DOUBLE / (1 - getvariable('review_probability')::DOUBLE))
              ELSE s.score >= getvariable('person_review_threshold') + (SELECT size_bits FROM size_adjustment) END AS above_review
  FROM scored s
)
SELECT s.left_rid, s.right_rid, s.rule_mask, s.pattern, s.score, s.probability,
       CASE
         WHEN s.conflicting_cross_id THEN 'non-match'::pair_decision
         WHEN s.same_cross_id THEN 'match'::pair_decision
         WHEN s.above_match THEN 'match'::pair_decision
         WHEN s.above_review THEN 'review'::pair_decision
         ELSE 'non-match'::pair_decision
       END AS decision,
       CASE
         WHEN s.conflicting_cross_id THEN 'conflicting_cross_id'::pair_decided_by
         WHEN s.same_cross_id THEN 'cross_id'::pair_decided_by
         ELSE 'score'::pair_decided_by
       END AS decided_by
FROM decided s;

-- the pairs in the published shape of every entity's pairs (match_pairs):
-- both records' system, object and id, blocking rule names, score, decision
-- and an explanation per compared field (level and weight, a term-frequency
-- field's weight with its pair's term). A view: its readers build only the
-- rows and columns they use. The record columns come from person_records
-- (joining the keys and splitting them back was an eighth of the export at
-- 100k); the explanation is a struct keyed by field, which Parquet writes as
-- flat columns: the list of ten {field, level, weight} structs it replaces
-- repeated every field name in every row and was over 40% of the export.
-- It is built with pair_explanation's fields, in its order and with its
-- types (typed NULLs for the other entities' fields), so match_pairs has
-- nothing to cast for 23 M pairs (casting the levels from VARCHAR was 5.6
-- thread-seconds of the export at a million people).
CREATE OR REPLACE VIEW person_pairs_wide AS
SELECT l.system AS left_system, l.object AS left_object, l.record_id AS left_record_id,
       r.system AS right_system, r.object AS right_object, r.record_id AS right_record_id,
       rs.rules, p.score, p.probability, p.decision, p.decided_by,
       {'amount': NULL::pair_field,
        'birthdate': ps.birthdate,
        'city': {'level': ps.city_level,
                 'weight': round(ps.city_weight + CASE WHEN ps.city_exact THEN l.city_tf_bits ELSE 0 END, 2)},
        'close_date': NULL::pair_field,
        'company': NULL::pair_field,
        'company_name': ps.company_name,
        'domain': NULL::pair_field,
        'email': ps.email,
        'first_name': {'level': ps.first_name_level,
                       'weight': round(ps.first_name_weight + CASE WHEN ps.first_name_exact THEN l.first_tf_bits ELSE 0 END, 2)},
        'last_name': {'level': ps.last_name_level,
                      'weight': round(ps.last_name_weight + CASE WHEN ps.last_name_exact THEN l.last_tf_bits ELSE 0 END, 2)},
        'name': NULL::pair_field,
        'phone': ps.phone,
        'postal_code': ps.postal_code,
        'state': ps.state,
        'street': ps.street} AS explanation
FROM person_pairs p
JOIN person_records l ON l.rid = p.left_rid
JOIN person_records r ON r.rid = p.right_rid
JOIN person_rule_sets rs ON rs.rule_mask = p.rule_mask
JOIN person_pattern_scores ps ON ps.pattern = p.pattern;

DROP VIEW person_cmp;
DROP TABLE person_compared;
DROP TABLE person_fields;
-- the estimation's tables: person_records, person_rule_sets and
-- person_pattern_scores stay for person_pairs_wide
DROP TABLE person_patterns;
DROP TABLE person_pattern_levels;
DROP TABLE person_pattern_weights;
DROP TABLE person_weights;
DROP TABLE person_random;
DROP TABLE person_random_levels;
DROP TABLE person_em;
