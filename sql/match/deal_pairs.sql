-- depends: stg_deals, deal_candidates, ref_match_weights
-- test: unique(left_key, right_key)
-- test: accepted_values(decision, 'match', 'review', 'non-match')
-- Deals match on their golden company, name, amount and close date.
WITH cmp AS (
  SELECT c.left_key, c.right_key, c.rules,
    l.name_n AS ln, r.name_n AS rn, l.company_golden_id AS lc, r.company_golden_id AS rc,
    l.amount_n AS la, r.amount_n AS ra, l.close_date_d AS ld, r.close_date_d AS rd,
    (l.system <> r.system AND (l.cross_id_n = r.record_id OR r.cross_id_n = l.record_id)) AS same_cross_id,
    l.system <> r.system AND l.cross_id_n IS NOT NULL AND r.cross_id_n IS NOT NULL
      AND l.cross_id_n <> r.record_id AND r.cross_id_n <> l.record_id AS conflicting_cross_id
  FROM deal_candidates c
  JOIN stg_deals l ON l.record_key = c.left_key
  JOIN stg_deals r ON r.record_key = c.right_key
),
levels AS (
  SELECT left_key, right_key, rules, same_cross_id, conflicting_cross_id, [
    {'field': 'name', 'level': CASE
        WHEN ln IS NULL OR rn IS NULL THEN 'null'
        WHEN ln = rn THEN 'exact'
        WHEN jaro_winkler_similarity(ln, rn) >= 0.90 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ln, rn) >= 0.75 THEN 'fuzzy_low'
        ELSE 'different' END},
    {'field': 'company', 'level': CASE
        WHEN lc IS NULL OR rc IS NULL THEN 'null'
        WHEN lc = rc THEN 'same'
        ELSE 'different' END},
    {'field': 'amount', 'level': CASE
        WHEN la IS NULL OR ra IS NULL THEN 'null'
        WHEN la = ra THEN 'exact'
        WHEN abs(la - ra) <= 0.05 * greatest(abs(la), abs(ra)) THEN 'close'
        -- a discount or an uplift agreed in one system only
        WHEN abs(la - ra) <= 0.15 * greatest(abs(la), abs(ra)) THEN 'near'
        ELSE 'different' END},
    {'field': 'close_date', 'level': CASE
        WHEN ld IS NULL OR rd IS NULL THEN 'null'
        WHEN ld = rd THEN 'exact'
        WHEN abs(date_diff('day', ld, rd)) <= 31 THEN 'close'
        ELSE 'different' END}
  ] AS cmps
  FROM cmp
),
weighed AS (
  SELECT lv.left_key, lv.right_key, lv.rules, lv.same_cross_id, lv.conflicting_cross_id,
         c.field, c.level, coalesce(log2(w.m / w.u), 0) AS weight
  FROM levels lv, unnest(lv.cmps) AS t(c)
  LEFT JOIN ref_match_weights w ON w.entity = 'deal' AND w.comparison = c.field AND w.level = c.level
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
       1 / (1 + pow(2, -(score + getvariable('deal_prior')))) AS probability,
       CASE
         WHEN conflicting_cross_id THEN 'non-match'
         WHEN same_cross_id THEN 'match'
         WHEN score >= getvariable('deal_match_threshold') THEN 'match'
         WHEN score >= getvariable('deal_review_threshold') THEN 'review'
         ELSE 'non-match'
       END AS decision,
       CASE WHEN conflicting_cross_id THEN 'conflicting_cross_id' WHEN same_cross_id THEN 'cross_id' ELSE 'score' END AS decided_by,
       explanation
FROM scored
