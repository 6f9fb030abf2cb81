-- kind: script
-- depends: stg_persons, person_candidates, ref_match_weights
-- test: unique(left_key, right_key)
-- test: not_null(score, decision)
-- test: accepted_values(decision, 'match', 'review', 'non-match')
-- Fellegi-Sunter scoring: each compared field falls into an ordered level;
-- a level's weight is log2(m/u) from ref_match_weights; the score is the sum.
-- Cross-system ids override the score: the same id links, conflicting ids
-- never do. Exact agreements on names and city are term-frequency adjusted:
-- sharing "smith" or "london" proves less than sharing a rare value.
-- The pairs are scored once into person_scored (with the integer rids of
-- both records); person_pairs is its published part and person_links the
-- match and cannot-link edges clustering reads.
CREATE OR REPLACE TEMP TABLE person_scored AS
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
first_tf AS (
  SELECT first_key AS v, count(*) / any_value(total.n) AS tf FROM live, total WHERE first_key IS NOT NULL GROUP BY v
),
last_tf AS (
  SELECT last_n AS v, count(*) / any_value(total.n) AS tf FROM live, total WHERE last_n IS NOT NULL GROUP BY v
),
city_tf AS (
  SELECT city_n AS v, count(*) / any_value(total.n) AS tf FROM live, total WHERE city_n IS NOT NULL GROUP BY v
),
cmp AS (
  SELECT l.record_key AS left_key, r.record_key AS right_key, c.left_rid, c.right_rid, c.rules,
    -- names may arrive swapped (first in last); score the better orientation
    jw(l.first_key, r.first_key) + jw(l.last_n, r.last_n) < jw(l.first_key, r.last_n) + jw(l.last_n, r.first_key) - 0.3 AS swapped,
    l.first_key AS lf, l.last_n AS ll, r.first_key AS rf0, r.last_n AS rl0, l.first_n AS lfs, r.first_n AS rfs0,
    l.birthdate_d AS lb, r.birthdate_d AS rb,
    l.email_n AS le, r.email_n AS re, l.email_key AS lek, r.email_key AS rek, l.phone_n AS lp, r.phone_n AS rp,
    l.mobile_n AS lm, r.mobile_n AS rm,
    l.street_n AS ls, r.street_n AS rs, l.city_n AS lc, r.city_n AS rc,
    l.postal_n AS lz, r.postal_n AS rz, l.state_n AS lst, r.state_n AS rst,
    l.company_n AS lco, r.company_n AS rco,
    (l.system = 'hubspot' AND r.system = 'salesforce' AND (l.cross_id_n = r.record_id OR r.cross_id_n = l.record_id))
      OR (r.system = 'hubspot' AND l.system = 'salesforce' AND (r.cross_id_n = l.record_id OR l.cross_id_n = r.record_id)) AS same_cross_id,
    l.system <> r.system AND l.cross_id_n IS NOT NULL AND r.cross_id_n IS NOT NULL
      AND l.cross_id_n <> r.record_id AND r.cross_id_n <> l.record_id AS conflicting_cross_id
  FROM person_candidates c
  JOIN stg_persons l ON l.rid = c.left_rid
  JOIN stg_persons r ON r.rid = c.right_rid
),
oriented AS (
  SELECT *, CASE WHEN swapped THEN rl0 ELSE rf0 END AS rf, CASE WHEN swapped THEN rf0 ELSE rl0 END AS rl,
         CASE WHEN swapped THEN rl0 ELSE rfs0 END AS rfs
  FROM cmp
),
with_tf AS (
  SELECT o.*, ft.tf AS first_tf, lt.tf AS last_tf, ct.tf AS city_tf,
         -- typos are judged on the name as spelled as well as on its
         -- nickname form: "hrarry" is near "harry", not "henry"
         greatest(jw(o.lf, o.rf), jw(o.lfs, o.rfs)) AS first_sim
  FROM oriented o
  LEFT JOIN first_tf ft ON ft.v = o.lf
  LEFT JOIN last_tf lt ON lt.v = o.ll
  LEFT JOIN city_tf ct ON ct.v = o.lc
),
levels AS (
  SELECT left_key, right_key, left_rid, right_rid, rules, same_cross_id, conflicting_cross_id, first_tf, last_tf, city_tf,
    CASE
        WHEN lf IS NULL OR rf IS NULL THEN 'null'
        WHEN lf = rf THEN 'exact'
        WHEN first_sim >= 0.92 THEN 'fuzzy_high'
        WHEN length(lf) = 1 OR length(rf) = 1 THEN CASE WHEN lf[1] = rf[1] THEN 'initial' ELSE 'different' END
        WHEN first_sim >= 0.80 THEN 'fuzzy_low'
        ELSE 'different' END AS first_name_level,
    CASE
        WHEN ll IS NULL OR rl IS NULL THEN 'null'
        WHEN ll = rl THEN 'exact'
        WHEN jaro_winkler_similarity(ll, rl) >= 0.92 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ll, rl) >= 0.80 THEN 'fuzzy_low'
        ELSE 'different' END AS last_name_level,
    CASE
        WHEN lb IS NULL OR rb IS NULL THEN 'null'
        WHEN lb = rb THEN 'exact'
        -- one slip moves a date at most ten years (a year digit)
        WHEN abs(lb - rb) > 4000 THEN 'different'
        WHEN damerau_levenshtein(strftime(lb, '%Y%m%d'), strftime(rb, '%Y%m%d')) <= 1
          OR (year(lb) = year(rb) AND month(lb) = day(rb) AND day(lb) = month(rb)) THEN 'typo'
        -- two slips, or a date a few weeks or about a year off
        WHEN damerau_levenshtein(strftime(lb, '%Y%m%d'), strftime(rb, '%Y%m%d')) <= 2
          OR abs(lb - rb) <= 40 OR abs(abs(lb - rb) - 365) <= 40 THEN 'close'
        ELSE 'different' END AS birthdate_level,
    CASE
        WHEN lek IS NULL OR rek IS NULL THEN 'null'
        WHEN le = re OR lek = rek THEN 'exact'
        -- a typo or two in an otherwise identical address
        -- (edit distance is dear: only where lengths and letters are close)
        WHEN least(length(lek), length(rek)) >= 8 AND abs(length(lek) - length(rek)) <= 2
          AND jaro_winkler_similarity(lek, rek) >= 0.80 AND damerau_levenshtein(lek, rek) <= 2 THEN 'fuzzy'
        WHEN split_part(le, '@', 1) = split_part(re, '@', 1) THEN 'same_mailbox'
        WHEN least(length(lek), length(rek)) >= 8 AND jaro_winkler_similarity(lek, rek) >= 0.90 THEN 'fuzzy_low'
        ELSE 'different' END AS email_level,
    CASE
        WHEN lp IS NULL OR rp IS NULL THEN 'null'
        -- phone_n falls back on the mobile; either number of one side may
        -- be the other's
        WHEN lp = rp OR lp = rm OR lm = rp OR lm = rm THEN 'exact'
        WHEN right(lp, 7) = right(rp, 7) THEN 'last_digits'
        ELSE 'different' END AS phone_level,
    CASE
        WHEN ls IS NULL OR rs IS NULL THEN 'null'
        WHEN ls = rs THEN 'exact'
        WHEN jaro_winkler_similarity(ls, rs) >= 0.90 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ls, rs) >= 0.75 THEN 'fuzzy_low'
        ELSE 'different' END AS street_level,
    CASE
        WHEN lc IS NULL OR rc IS NULL THEN 'null'
        WHEN lc = rc THEN 'exact'
        WHEN jaro_winkler_similarity(lc, rc) >= 0.88 THEN 'fuzzy'
        ELSE 'different' END AS city_level,
    CASE
        WHEN lz IS NULL OR rz IS NULL THEN 'null'
        WHEN lz = rz THEN 'exact'
        WHEN damerau_levenshtein(lz, rz) <= 1 THEN 'typo'
        ELSE 'different' END AS postal_code_level,
    CASE
        WHEN lst IS NULL OR rst IS NULL THEN 'null'
        WHEN lst = rst THEN 'exact'
        ELSE 'different' END AS state_level,
    CASE
        WHEN lco IS NULL OR rco IS NULL THEN 'null'
        WHEN lco = rco THEN 'exact'
        WHEN jaro_winkler_similarity(lco, rco) >= 0.90 THEN 'fuzzy'
        ELSE 'different' END AS company_name_level
  FROM with_tf
),
-- the weight of a level is log2(m / u); an exact agreement on a common value
-- uses the value's own frequency as u when that is higher than the level's
-- (m and u looked up in two small maps: cheaper than a join per field)
weights AS (
  SELECT map(list(comparison || ':' || level), list(m)) AS m, map(list(comparison || ':' || level), list(u)) AS u
  FROM ref_match_weights WHERE entity = 'person'
),
weighed AS (
  SELECT lv.*,
    coalesce(log2(wm.m['first_name:' || lv.first_name_level] / CASE WHEN lv.first_name_level = 'exact' THEN greatest(wm.u['first_name:' || lv.first_name_level], coalesce(lv.first_tf, 0)) ELSE wm.u['first_name:' || lv.first_name_level] END), 0) AS first_name_weight,
    coalesce(log2(wm.m['last_name:' || lv.last_name_level] / CASE WHEN lv.last_name_level = 'exact' THEN greatest(wm.u['last_name:' || lv.last_name_level], coalesce(lv.last_tf, 0)) ELSE wm.u['last_name:' || lv.last_name_level] END), 0) AS last_name_weight,
    coalesce(log2(wm.m['birthdate:' || lv.birthdate_level] / wm.u['birthdate:' || lv.birthdate_level]), 0) AS birthdate_weight,
    coalesce(log2(wm.m['email:' || lv.email_level] / wm.u['email:' || lv.email_level]), 0) AS email_weight,
    coalesce(log2(wm.m['phone:' || lv.phone_level] / wm.u['phone:' || lv.phone_level]), 0) AS phone_weight,
    coalesce(log2(wm.m['street:' || lv.street_level] / wm.u['street:' || lv.street_level]), 0) AS street_weight,
    coalesce(log2(wm.m['city:' || lv.city_level] / CASE WHEN lv.city_level = 'exact' THEN greatest(wm.u['city:' || lv.city_level], coalesce(lv.city_tf, 0)) ELSE wm.u['city:' || lv.city_level] END), 0) AS city_weight,
    coalesce(log2(wm.m['postal_code:' || lv.postal_code_level] / wm.u['postal_code:' || lv.postal_code_level]), 0) AS postal_code_weight,
    coalesce(log2(wm.m['state:' || lv.state_level] / wm.u['state:' || lv.state_level]), 0) AS state_weight,
    coalesce(log2(wm.m['company_name:' || lv.company_name_level] / wm.u['company_name:' || lv.company_name_level]), 0) AS company_name_weight
  FROM levels lv, weights wm
),
scored AS (
  SELECT left_key, right_key, left_rid, right_rid, rules, same_cross_id, conflicting_cross_id,
         round(first_name_weight + last_name_weight + birthdate_weight + email_weight + phone_weight + street_weight + city_weight + postal_code_weight + state_weight + company_name_weight, 3) AS score,
         [{'field': 'birthdate', 'level': birthdate_level, 'weight': round(birthdate_weight, 2)},
          {'field': 'city', 'level': city_level, 'weight': round(city_weight, 2)},
          {'field': 'company_name', 'level': company_name_level, 'weight': round(company_name_weight, 2)},
          {'field': 'email', 'level': email_level, 'weight': round(email_weight, 2)},
          {'field': 'first_name', 'level': first_name_level, 'weight': round(first_name_weight, 2)},
          {'field': 'last_name', 'level': last_name_level, 'weight': round(last_name_weight, 2)},
          {'field': 'phone', 'level': phone_level, 'weight': round(phone_weight, 2)},
          {'field': 'postal_code', 'level': postal_code_level, 'weight': round(postal_code_weight, 2)},
          {'field': 'state', 'level': state_level, 'weight': round(state_weight, 2)},
          {'field': 'street', 'level': street_level, 'weight': round(street_weight, 2)}] AS explanation
  FROM weighed
)
SELECT left_key, right_key, rules, score,
       1 / (1 + pow(2, -(score + getvariable('person_prior') - (SELECT size_bits FROM size_adjustment)))) AS probability,
       CASE
         WHEN conflicting_cross_id THEN 'non-match'
         WHEN same_cross_id THEN 'match'
         WHEN score >= getvariable('person_match_threshold') + (SELECT size_bits FROM size_adjustment) THEN 'match'
         WHEN score >= getvariable('person_review_threshold') + (SELECT size_bits FROM size_adjustment) THEN 'review'
         ELSE 'non-match'
       END AS decision,
       CASE
         WHEN conflicting_cross_id THEN 'conflicting_cross_id'
         WHEN same_cross_id THEN 'cross_id'
         ELSE 'score'
       END AS decided_by,
       explanation, left_rid, right_rid
FROM scored;
CREATE OR REPLACE TABLE person_pairs AS
  SELECT * EXCLUDE (left_rid, right_rid) FROM person_scored;
CREATE OR REPLACE TEMP TABLE person_links AS
  SELECT left_rid AS a, right_rid AS b, decision, decided_by, score FROM person_scored
  WHERE decision = 'match' OR (decision = 'non-match' AND (score < 0 OR decided_by <> 'score'));
DROP TABLE person_scored;
