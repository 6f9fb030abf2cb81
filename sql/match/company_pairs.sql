-- depends: stg_companies, company_candidates, ref_match_weights
-- test: unique(left_key, right_key)
-- test: accepted_values(decision, 'match', 'review', 'non-match')
-- Fellegi-Sunter scoring for companies; see person_pairs. Company names are
-- compared as sets of words weighted by rarity, so "center" or "school"
-- shared by hundreds of records counts for little and the distinctive word
-- for much; exact names and phones are term-frequency adjusted (a phone that
-- a whole network of sites shares proves less than a unique one).
WITH live AS (
  SELECT * FROM stg_companies WHERE NOT deleted
),
total AS (
  SELECT count(*)::DOUBLE AS n FROM live
),
-- inverse document frequency of each name word
tokens AS (
  SELECT record_key, unnest(name_tokens) AS token FROM live
),
token_idf AS (
  SELECT token, ln(any_value(total.n) / count(*)) + 0.1 AS idf
  FROM tokens, total GROUP BY token
),
-- share of records carrying a value: the u of an exact agreement on it
name_tf AS (
  SELECT name_tokens, count(*) / any_value(total.n) AS tf FROM live, total
  WHERE len(name_tokens) > 0 GROUP BY name_tokens
),
phone_tf AS (
  SELECT right(phone_n, 7) AS phone7, count(*) / any_value(total.n) AS tf FROM live, total
  WHERE phone_n IS NOT NULL GROUP BY phone7
),
postal_tf AS (
  SELECT postal_n, count(*) / any_value(total.n) AS tf FROM live, total
  WHERE postal_n IS NOT NULL GROUP BY postal_n
),
city_tf AS (
  SELECT city_n, count(*) / any_value(total.n) AS tf FROM live, total
  WHERE city_n IS NOT NULL GROUP BY city_n
),
-- weighted word overlap per candidate pair: words of either side, shared or not
pair_tokens AS (
  SELECT left_key, right_key, token, count(*) AS sides, any_value(side) AS side FROM (
    SELECT c.left_key, c.right_key, t.token, 'l' AS side FROM company_candidates c JOIN tokens t ON t.record_key = c.left_key
    UNION ALL
    SELECT c.left_key, c.right_key, t.token, 'r' FROM company_candidates c JOIN tokens t ON t.record_key = c.right_key
  ) GROUP BY left_key, right_key, token
),
overlap AS (
  SELECT p.left_key, p.right_key,
         sum(i.idf) FILTER (WHERE p.sides = 2) AS shared, sum(i.idf) AS union_w,
         count(*) FILTER (WHERE p.sides = 2) AS shared_n,
         count(*) FILTER (WHERE p.sides = 2 OR p.side = 'l') AS left_n,
         count(*) FILTER (WHERE p.sides = 2 OR p.side = 'r') AS right_n
  FROM pair_tokens p JOIN token_idf i USING (token)
  GROUP BY p.left_key, p.right_key
),
cmp AS (
  SELECT c.left_key, c.right_key, c.rules,
    l.name_n AS ln, r.name_n AS rn, l.domain_n AS ld, r.domain_n AS rd, l.phone_n AS lp, r.phone_n AS rp,
    l.street_n AS ls, r.street_n AS rs, l.city_n AS lc, r.city_n AS rc, l.postal_n AS lz, r.postal_n AS rz,
    l.house_n AS lh, r.house_n AS rh, l.street_core_n AS lsc, r.street_core_n AS rsc,
    l.name_tokens = r.name_tokens AND len(l.name_tokens) > 0 AS same_words,
    coalesce(o.shared, 0) / nullif(o.union_w, 0) AS name_overlap,
    o.shared_n > 0 AND o.shared_n = least(o.left_n, o.right_n) AS name_within,
    nt.tf AS name_tf, pt.tf AS phone_tf, zt.tf AS postal_tf, ct.tf AS city_tf,
    (l.system <> r.system AND (l.cross_id_n = r.record_id OR r.cross_id_n = l.record_id)) AS same_cross_id,
    l.system <> r.system AND l.cross_id_n IS NOT NULL AND r.cross_id_n IS NOT NULL
      AND l.cross_id_n <> r.record_id AND r.cross_id_n <> l.record_id AS conflicting_cross_id
  FROM company_candidates c
  JOIN live l ON l.record_key = c.left_key
  JOIN live r ON r.record_key = c.right_key
  LEFT JOIN overlap o ON o.left_key = c.left_key AND o.right_key = c.right_key
  LEFT JOIN name_tf nt ON nt.name_tokens = l.name_tokens
  LEFT JOIN phone_tf pt ON pt.phone7 = right(l.phone_n, 7)
  LEFT JOIN postal_tf zt ON zt.postal_n = l.postal_n
  LEFT JOIN city_tf ct ON ct.city_n = l.city_n
),
levels AS (
  SELECT left_key, right_key, rules, same_cross_id, conflicting_cross_id, [
    {'field': 'name', 'tf': name_tf, 'level': CASE
        WHEN ln IS NULL OR rn IS NULL THEN 'null'
        WHEN ln = rn OR same_words THEN 'exact'
        WHEN name_overlap >= 0.7 OR jaro_winkler_similarity(ln, rn) >= 0.97 THEN 'fuzzy_high'
        -- one name is the other plus more words: "kershaw" / "chicago public schools kershaw joshua"
        WHEN name_within THEN 'contained'
        WHEN name_overlap >= 0.4 THEN 'fuzzy_low'
        WHEN name_overlap > 0 THEN 'shared_word'
        ELSE 'different' END},
    {'field': 'domain', 'tf': NULL, 'level': CASE
        WHEN ld IS NULL OR rd IS NULL THEN 'null'
        WHEN ld = rd THEN 'exact'
        ELSE 'different' END},
    -- local 7-digit numbers (no area code) agree with a full number ending in them
    {'field': 'phone', 'tf': phone_tf, 'level': CASE
        WHEN lp IS NULL OR rp IS NULL THEN 'null'
        -- at one street address sites often share a switchboard, so there
        -- the phone adds little to the address
        WHEN (lp = rp OR (right(lp, 7) = right(rp, 7) AND least(length(lp), length(rp)) = 7))
          AND (ls = rs OR (lh = rh AND jw(lsc, rsc) >= 0.90)) THEN 'same_site'
        WHEN lp = rp THEN 'exact'
        WHEN right(lp, 7) = right(rp, 7) AND least(length(lp), length(rp)) = 7 THEN 'exact'
        WHEN right(lp, 7) = right(rp, 7) THEN 'last_digits'
        ELSE 'different' END},
    -- the house number tells sites on one street apart: the same street with
    -- another number is evidence against, not for
    {'field': 'street', 'tf': NULL, 'level': CASE
        WHEN ls IS NULL OR rs IS NULL THEN 'null'
        WHEN ls = rs THEN 'exact'
        WHEN lh IS NOT NULL AND rh IS NOT NULL THEN CASE
          WHEN lh = rh AND jw(lsc, rsc) >= 0.90 THEN 'exact'
          WHEN lh = rh AND jw(lsc, rsc) >= 0.75 THEN 'fuzzy_high'
          WHEN lh <> rh AND jw(lsc, rsc) >= 0.90 THEN 'other_number'
          ELSE 'different' END
        WHEN jaro_winkler_similarity(ls, rs) >= 0.90 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ls, rs) >= 0.75 THEN 'fuzzy_low'
        ELSE 'different' END},
    {'field': 'city', 'tf': city_tf, 'level': CASE
        WHEN lc IS NULL OR rc IS NULL THEN 'null'
        WHEN lc = rc THEN 'exact'
        WHEN starts_with(lc, rc) OR starts_with(rc, lc) OR jaro_winkler_similarity(lc, rc) >= 0.92 THEN 'fuzzy'
        ELSE 'different' END},
    {'field': 'postal_code', 'tf': postal_tf, 'level': CASE
        WHEN lz IS NULL OR rz IS NULL THEN 'null'
        WHEN lz = rz THEN 'exact'
        ELSE 'different' END}
  ] AS cmps
  FROM cmp
),
-- an exact agreement is worth log2(m / u) with u the value's own frequency
-- when that is higher than the level's average
weighed AS (
  SELECT lv.left_key, lv.right_key, lv.rules, lv.same_cross_id, lv.conflicting_cross_id,
         c.field, c.level,
         coalesce(log2(w.m / CASE WHEN c.level = 'exact' THEN greatest(w.u, coalesce(c.tf, 0)) ELSE w.u END), 0) AS weight
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
