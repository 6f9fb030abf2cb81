-- depends: stg_persons, person_candidates, ref_match_weights
-- test: unique(left_key, right_key)
-- test: not_null(score, decision)
-- test: accepted_values(decision, 'match', 'review', 'non-match')
-- Fellegi-Sunter scoring: each compared field falls into an ordered level;
-- a level's weight is log2(m/u) from ref_match_weights; the score is the sum.
-- Cross-system ids override the score: the same id links, conflicting ids
-- never do. Exact agreements on names and city are term-frequency adjusted:
-- sharing "smith" or "london" proves less than sharing a rare value.
WITH live AS (
  SELECT * FROM stg_persons WHERE NOT deleted
),
total AS (
  SELECT count(*)::DOUBLE AS n FROM live
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
  SELECT c.left_key, c.right_key, c.rules, l.system AS left_system, r.system AS right_system,
    -- names may arrive swapped (first in last); score the better orientation
    jw(l.first_key, r.first_key) + jw(l.last_n, r.last_n) < jw(l.first_key, r.last_n) + jw(l.last_n, r.first_key) - 0.3 AS swapped,
    l.first_key AS lf, l.last_n AS ll, r.first_key AS rf0, r.last_n AS rl0, l.first_n AS lfs, r.first_n AS rfs0,
    l.birthdate_d AS lb, r.birthdate_d AS rb,
    l.email_n AS le, r.email_n AS re, l.email_key AS lek, r.email_key AS rek, l.phone_n AS lp, r.phone_n AS rp,
    l.street_n AS ls, r.street_n AS rs, l.city_n AS lc, r.city_n AS rc,
    l.postal_n AS lz, r.postal_n AS rz, l.state_n AS lst, r.state_n AS rst,
    l.company_n AS lco, r.company_n AS rco,
    (l.system = 'hubspot' AND r.system = 'salesforce' AND (l.cross_id_n = r.record_id OR r.cross_id_n = l.record_id))
      OR (r.system = 'hubspot' AND l.system = 'salesforce' AND (r.cross_id_n = l.record_id OR l.cross_id_n = r.record_id)) AS same_cross_id,
    l.system <> r.system AND l.cross_id_n IS NOT NULL AND r.cross_id_n IS NOT NULL
      AND l.cross_id_n <> r.record_id AND r.cross_id_n <> l.record_id AS conflicting_cross_id
  FROM person_candidates c
  JOIN stg_persons l ON l.record_key = c.left_key
  JOIN stg_persons r ON r.record_key = c.right_key
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
  SELECT left_key, right_key, rules, same_cross_id, conflicting_cross_id, [
    {'field': 'first_name', 'tf': first_tf, 'level': CASE
        WHEN lf IS NULL OR rf IS NULL THEN 'null'
        WHEN lf = rf THEN 'exact'
        WHEN first_sim >= 0.92 THEN 'fuzzy_high'
        WHEN length(lf) = 1 OR length(rf) = 1 THEN CASE WHEN lf[1] = rf[1] THEN 'initial' ELSE 'different' END
        WHEN first_sim >= 0.80 THEN 'fuzzy_low'
        ELSE 'different' END},
    {'field': 'last_name', 'tf': last_tf, 'level': CASE
        WHEN ll IS NULL OR rl IS NULL THEN 'null'
        WHEN ll = rl THEN 'exact'
        WHEN jaro_winkler_similarity(ll, rl) >= 0.92 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ll, rl) >= 0.80 THEN 'fuzzy_low'
        ELSE 'different' END},
    {'field': 'birthdate', 'tf': NULL, 'level': CASE
        WHEN lb IS NULL OR rb IS NULL THEN 'null'
        WHEN lb = rb THEN 'exact'
        WHEN damerau_levenshtein(strftime(lb, '%Y%m%d'), strftime(rb, '%Y%m%d')) <= 1
          OR (year(lb) = year(rb) AND month(lb) = day(rb) AND day(lb) = month(rb)) THEN 'typo'
        -- two slips, or a date a few weeks or about a year off
        WHEN damerau_levenshtein(strftime(lb, '%Y%m%d'), strftime(rb, '%Y%m%d')) <= 2
          OR abs(lb - rb) <= 40 OR abs(abs(lb - rb) - 365) <= 40 THEN 'close'
        ELSE 'different' END},
    {'field': 'email', 'tf': NULL, 'level': CASE
        WHEN lek IS NULL OR rek IS NULL THEN 'null'
        WHEN le = re OR lek = rek THEN 'exact'
        -- a typo or two in an otherwise identical address
        WHEN least(length(lek), length(rek)) >= 8 AND damerau_levenshtein(lek, rek) <= 2 THEN 'fuzzy'
        WHEN split_part(le, '@', 1) = split_part(re, '@', 1) THEN 'same_mailbox'
        WHEN least(length(lek), length(rek)) >= 8 AND jaro_winkler_similarity(lek, rek) >= 0.90 THEN 'fuzzy_low'
        ELSE 'different' END},
    {'field': 'phone', 'tf': NULL, 'level': CASE
        WHEN lp IS NULL OR rp IS NULL THEN 'null'
        WHEN lp = rp THEN 'exact'
        WHEN right(lp, 7) = right(rp, 7) THEN 'last_digits'
        ELSE 'different' END},
    {'field': 'street', 'tf': NULL, 'level': CASE
        WHEN ls IS NULL OR rs IS NULL THEN 'null'
        WHEN ls = rs THEN 'exact'
        WHEN jaro_winkler_similarity(ls, rs) >= 0.90 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ls, rs) >= 0.75 THEN 'fuzzy_low'
        ELSE 'different' END},
    {'field': 'city', 'tf': city_tf, 'level': CASE
        WHEN lc IS NULL OR rc IS NULL THEN 'null'
        WHEN lc = rc THEN 'exact'
        WHEN jaro_winkler_similarity(lc, rc) >= 0.88 THEN 'fuzzy'
        ELSE 'different' END},
    {'field': 'postal_code', 'tf': NULL, 'level': CASE
        WHEN lz IS NULL OR rz IS NULL THEN 'null'
        WHEN lz = rz THEN 'exact'
        WHEN damerau_levenshtein(lz, rz) <= 1 THEN 'typo'
        ELSE 'different' END},
    {'field': 'state', 'tf': NULL, 'level': CASE
        WHEN lst IS NULL OR rst IS NULL THEN 'null'
        WHEN lst = rst THEN 'exact'
        ELSE 'different' END},
    {'field': 'company_name', 'tf': NULL, 'level': CASE
        WHEN lco IS NULL OR rco IS NULL THEN 'null'
        WHEN lco = rco THEN 'exact'
        WHEN jaro_winkler_similarity(lco, rco) >= 0.90 THEN 'fuzzy'
        ELSE 'different' END}
  ] AS cmps
  FROM with_tf
),
weighed AS (
  SELECT lv.left_key, lv.right_key, lv.rules, lv.same_cross_id, lv.conflicting_cross_id,
         c.field, c.level,
         coalesce(log2(w.m / CASE WHEN c.level = 'exact' THEN greatest(w.u, coalesce(c.tf, 0)) ELSE w.u END), 0) AS weight
  FROM levels lv, unnest(lv.cmps) AS t(c)
  LEFT JOIN ref_match_weights w ON w.entity = 'person' AND w.comparison = c.field AND w.level = c.level
),
scored AS (
  SELECT left_key, right_key, any_value(rules) AS rules, any_value(same_cross_id) AS same_cross_id,
         any_value(conflicting_cross_id) AS conflicting_cross_id,
         round(sum(weight), 3) AS score,
         list({'field': field, 'level': level, 'weight': round(weight, 2)} ORDER BY field) AS explanation
  FROM weighed
  GROUP BY left_key, right_key
)
SELECT left_key, right_key, rules, score,
       1 / (1 + pow(2, -(score + getvariable('person_prior')))) AS probability,
       CASE
         WHEN conflicting_cross_id THEN 'non-match'
         WHEN same_cross_id THEN 'match'
         WHEN score >= getvariable('person_match_threshold') THEN 'match'
         WHEN score >= getvariable('person_review_threshold') THEN 'review'
         ELSE 'non-match'
       END AS decision,
       CASE
         WHEN conflicting_cross_id THEN 'conflicting_cross_id'
         WHEN same_cross_id THEN 'cross_id'
         ELSE 'score'
       END AS decided_by,
       explanation
FROM scored
