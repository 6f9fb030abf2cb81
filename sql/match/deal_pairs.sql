-- depends: stg_deals, deal_candidates, ref_match_weights
-- test: unique(left_key, right_key)
-- test: not_null(decision)
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
  SELECT left_key, right_key, rules, same_cross_id, conflicting_cross_id,
    CASE
        WHEN ln IS NULL OR rn IS NULL THEN 'null'
        WHEN ln = rn THEN 'exact'
        WHEN jaro_winkler_similarity(ln, rn) >= 0.90 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ln, rn) >= 0.75 THEN 'fuzzy_low'
        ELSE 'different' END AS name_level,
    CASE
        WHEN lc IS NULL OR rc IS NULL THEN 'null'
        WHEN lc = rc THEN 'same'
        ELSE 'different' END AS company_level,
    CASE
        WHEN la IS NULL OR ra IS NULL THEN 'null'
        WHEN la = ra THEN 'exact'
        WHEN abs(la - ra) <= 0.05 * greatest(abs(la), abs(ra)) THEN 'close'
        -- a discount or an uplift agreed in one system only
        WHEN abs(la - ra) <= 0.15 * greatest(abs(la), abs(ra)) THEN 'near'
        ELSE 'different' END AS amount_level,
    CASE
        WHEN ld IS NULL OR rd IS NULL THEN 'null'
        WHEN ld = rd THEN 'exact'
        WHEN abs(date_diff('day', ld, rd)) <= 31 THEN 'close'
        ELSE 'different' END AS close_date_level
  FROM cmp
),
-- each field's weight from a join on its level (a small table), in wide
-- form: no unnest and regrouping of the pairs on their text keys
weights AS (
  SELECT comparison, level, log2(m / u) AS weight FROM ref_match_weights WHERE entity = 'deal'
),
weighed AS (
  SELECT lv.*, coalesce(wn.weight, 0) AS name_weight, coalesce(wc.weight, 0) AS company_weight,
         coalesce(wa.weight, 0) AS amount_weight, coalesce(wd.weight, 0) AS close_date_weight
  FROM levels lv
  LEFT JOIN weights wn ON wn.comparison = 'name' AND wn.level = lv.name_level
  LEFT JOIN weights wc ON wc.comparison = 'company' AND wc.level = lv.company_level
  LEFT JOIN weights wa ON wa.comparison = 'amount' AND wa.level = lv.amount_level
  LEFT JOIN weights wd ON wd.comparison = 'close_date' AND wd.level = lv.close_date_level
),
scored AS (
  SELECT left_key, right_key, rules, same_cross_id, conflicting_cross_id,
         round(amount_weight + close_date_weight + company_weight + name_weight, 3) AS score,
         -- keyed by field (match_pairs casts it to pair_explanation)
         {'amount': {'level': amount_level, 'weight': round(amount_weight, 2)},
          'close_date': {'level': close_date_level, 'weight': round(close_date_weight, 2)},
          'company': {'level': company_level, 'weight': round(company_weight, 2)},
          'name': {'level': name_level, 'weight': round(name_weight, 2)}} AS explanation
  FROM weighed
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
