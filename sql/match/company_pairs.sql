-- depends: stg_companies, company_candidates, ref_match_weights
-- test: unique(left_key, right_key)
-- test: accepted_values(decision, 'match', 'review', 'non-match')
-- Fellegi-Sunter scoring for companies; see person_pairs.
WITH cmp AS (
  SELECT c.left_key, c.right_key, c.rules,
    l.name_n AS ln, r.name_n AS rn, l.domain_n AS ld, r.domain_n AS rd, l.phone_n AS lp, r.phone_n AS rp,
    l.street_n AS ls, r.street_n AS rs, l.city_n AS lc, r.city_n AS rc, l.postal_n AS lz, r.postal_n AS rz,
    (l.system <> r.system AND (l.cross_id_n = r.record_id OR r.cross_id_n = l.record_id)) AS same_cross_id,
    l.system <> r.system AND l.cross_id_n IS NOT NULL AND r.cross_id_n IS NOT NULL
      AND l.cross_id_n <> r.record_id AND r.cross_id_n <> l.record_id AS conflicting_cross_id
  FROM company_candidates c
  JOIN stg_companies l ON l.record_key = c.left_key
  JOIN stg_companies r ON r.record_key = c.right_key
),
levels AS (
  SELECT left_key, right_key, rules, same_cross_id, conflicting_cross_id, [
    {'field': 'name', 'level': CASE
        WHEN ln IS NULL OR rn IS NULL THEN 'null'
        WHEN ln = rn THEN 'exact'
        WHEN jaro_winkler_similarity(ln, rn) >= 0.92 OR jaccard(ln, rn) >= 0.8 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ln, rn) >= 0.80 THEN 'fuzzy_low'
        ELSE 'different' END},
    {'field': 'domain', 'level': CASE
        WHEN ld IS NULL OR rd IS NULL THEN 'null'
        WHEN ld = rd THEN 'exact'
        ELSE 'different' END},
    {'field': 'phone', 'level': CASE
        WHEN lp IS NULL OR rp IS NULL THEN 'null'
        WHEN lp = rp THEN 'exact'
        WHEN right(lp, 7) = right(rp, 7) THEN 'last_digits'
        ELSE 'different' END},
    {'field': 'street', 'level': CASE
        WHEN ls IS NULL OR rs IS NULL THEN 'null'
        WHEN ls = rs THEN 'exact'
        WHEN jaro_winkler_similarity(ls, rs) >= 0.90 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ls, rs) >= 0.75 THEN 'fuzzy_low'
        ELSE 'different' END},
    {'field': 'city', 'level': CASE
        WHEN lc IS NULL OR rc IS NULL THEN 'null'
        WHEN lc = rc THEN 'exact'
        ELSE 'different' END},
    {'field': 'postal_code', 'level': CASE
        WHEN lz IS NULL OR rz IS NULL THEN 'null'
        WHEN lz = rz THEN 'exact'
        ELSE 'different' END}
  ] AS cmps
  FROM cmp
),
weighed AS (
  SELECT lv.left_key, lv.right_key, lv.rules, lv.same_cross_id, lv.conflicting_cross_id,
         c.field, c.level, coalesce(log2(w.m / w.u), 0) AS weight
  FROM levels lv, unnest(lv.cmps) AS t(c)
  LEFT JOIN ref_match_weights w ON w.entity = 'company' AND w.comparison = c.field AND w.level = c.level
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
       1 / (1 + pow(2, -(score + getvariable('company_prior')))) AS probability,
       CASE
         WHEN conflicting_cross_id THEN 'non-match'
         WHEN same_cross_id THEN 'match'
         WHEN score >= getvariable('company_match_threshold') THEN 'match'
         WHEN score >= getvariable('company_review_threshold') THEN 'review'
         ELSE 'non-match'
       END AS decision,
       CASE WHEN conflicting_cross_id THEN 'conflicting_cross_id' WHEN same_cross_id THEN 'cross_id' ELSE 'score' END AS decided_by,
       explanation
FROM scored
