-- kind: script
-- depends: stg_companies, company_candidates, ref_match_weights
-- test: unique(left_key, right_key)
-- test: not_null(decision)
-- test: accepted_values(decision, 'match', 'review', 'non-match')
-- Fellegi-Sunter scoring for companies; see person_pairs. Company names are
-- compared as sets of words weighted by rarity, so "center" or "school"
-- shared by hundreds of records counts for little and the distinctive word
-- for much; exact names and phones are term-frequency adjusted (a phone that
-- a whole network of sites shares proves less than a unique one).
-- Scored once into company_scored (with rids); company_pairs is its
-- published part and company_links the edges clustering reads.
CREATE OR REPLACE TEMP TABLE company_scored AS
WITH live AS (
  SELECT * FROM stg_companies WHERE NOT deleted
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
-- inverse document frequency of each name word, and per record its words
-- with their weights (parallel lists), so a pair's overlap is list work
tokens AS (
  SELECT rid, unnest(name_tokens) AS token FROM live
),
token_idf AS (
  SELECT token, ln(any_value(total.n) / count(*)) + 0.1 AS idf
  FROM tokens, total GROUP BY token
),
record_idf AS (
  SELECT t.rid, list(t.token ORDER BY t.token) AS toks, list(i.idf ORDER BY t.token) AS idfs, sum(i.idf) AS total_idf
  FROM tokens t JOIN token_idf i USING (token) GROUP BY t.rid
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
cmp AS (
  SELECT l.record_key AS left_key, r.record_key AS right_key, c.left_rid, c.right_rid, c.rules,
    l.name_n AS ln, r.name_n AS rn, l.domain_n AS ld, r.domain_n AS rd, l.phone_n AS lp, r.phone_n AS rp,
    l.street_n AS ls, r.street_n AS rs, l.city_n AS lc, r.city_n AS rc, l.postal_n AS lz, r.postal_n AS rz,
    l.house_n AS lh, r.house_n AS rh, l.street_core_n AS lsc, r.street_core_n AS rsc,
    l.name_tokens = r.name_tokens AND len(l.name_tokens) > 0 AS same_words,
    -- idf-weighted share of the words of either side that both have
    list_sum(list_transform(list_filter(list_zip(li.toks, li.idfs), lambda x: list_contains(ri.toks, x[1])), lambda x: x[2])) AS shared_w,
    len(list_intersect(li.toks, ri.toks)) AS shared_n,
    li.total_idf AS left_w, ri.total_idf AS right_w, len(li.toks) AS left_n, len(ri.toks) AS right_n,
    nt.tf AS name_tf, pt.tf AS phone_tf, zt.tf AS postal_tf, ct.tf AS city_tf,
    (l.system <> r.system AND (l.cross_id_n = r.record_id OR r.cross_id_n = l.record_id)) AS same_cross_id,
    l.system <> r.system AND l.cross_id_n IS NOT NULL AND r.cross_id_n IS NOT NULL
      AND l.cross_id_n <> r.record_id AND r.cross_id_n <> l.record_id AS conflicting_cross_id
  FROM company_candidates c
  JOIN live l ON l.rid = c.left_rid
  JOIN live r ON r.rid = c.right_rid
  LEFT JOIN record_idf li ON li.rid = c.left_rid
  LEFT JOIN record_idf ri ON ri.rid = c.right_rid
  LEFT JOIN name_tf nt ON nt.name_tokens = l.name_tokens
  LEFT JOIN phone_tf pt ON pt.phone7 = right(l.phone_n, 7)
  LEFT JOIN postal_tf zt ON zt.postal_n = l.postal_n
  LEFT JOIN city_tf ct ON ct.city_n = l.city_n
),
overlapped AS (
  SELECT *, coalesce(shared_w, 0) / nullif(left_w + right_w - coalesce(shared_w, 0), 0) AS name_overlap,
         shared_n > 0 AND shared_n = least(left_n, right_n) AS name_within
  FROM cmp
),
levels AS (
  SELECT left_key, right_key, left_rid, right_rid, rules, same_cross_id, conflicting_cross_id, name_tf, phone_tf, postal_tf, city_tf,
    CASE
        WHEN ln IS NULL OR rn IS NULL THEN 'null'
        WHEN ln = rn OR same_words THEN 'exact'
        WHEN name_overlap >= 0.7 OR jaro_winkler_similarity(ln, rn) >= 0.97 THEN 'fuzzy_high'
        -- one name is the other plus more words: "kershaw" / "chicago public schools kershaw joshua"
        WHEN name_within THEN 'contained'
        WHEN name_overlap >= 0.4 THEN 'fuzzy_low'
        WHEN name_overlap > 0 THEN 'shared_word'
        ELSE 'different' END AS name_level,
    CASE
        WHEN ld IS NULL OR rd IS NULL THEN 'null'
        WHEN ld = rd THEN 'exact'
        ELSE 'different' END AS domain_level,
    CASE
        WHEN lp IS NULL OR rp IS NULL THEN 'null'
        -- at one street address sites often share a switchboard, so there
        -- the phone adds little to the address
        WHEN (lp = rp OR (right(lp, 7) = right(rp, 7) AND least(length(lp), length(rp)) = 7))
          AND (ls = rs OR (lh = rh AND jw(lsc, rsc) >= 0.90)) THEN 'same_site'
        WHEN lp = rp THEN 'exact'
        WHEN right(lp, 7) = right(rp, 7) AND least(length(lp), length(rp)) = 7 THEN 'exact'
        WHEN right(lp, 7) = right(rp, 7) THEN 'last_digits'
        ELSE 'different' END AS phone_level,
    CASE
        WHEN ls IS NULL OR rs IS NULL THEN 'null'
        WHEN ls = rs THEN 'exact'
        WHEN lh IS NOT NULL AND rh IS NOT NULL THEN CASE
          WHEN lh = rh AND jw(lsc, rsc) >= 0.90 THEN 'exact'
          WHEN lh = rh AND jw(lsc, rsc) >= 0.75 THEN 'fuzzy_high'
          WHEN lh <> rh AND jw(lsc, rsc) >= 0.90 THEN 'other_number'
          ELSE 'different' END
        WHEN jaro_winkler_similarity(ls, rs) >= 0.90 THEN 'fuzzy_high'
        WHEN jaro_winkler_similarity(ls, rs) >= 0.75 THEN 'fuzzy_low'
        ELSE 'different' END AS street_level,
    CASE
        WHEN lc IS NULL OR rc IS NULL THEN 'null'
        WHEN lc = rc THEN 'exact'
        WHEN starts_with(lc, rc) OR starts_with(rc, lc) OR jaro_winkler_similarity(lc, rc) >= 0.92 THEN 'fuzzy'
        ELSE 'different' END AS city_level,
    CASE
        WHEN lz IS NULL OR rz IS NULL THEN 'null'
        WHEN lz = rz THEN 'exact'
        ELSE 'different' END AS postal_code_level
  FROM overlapped
),
-- an exact agreement is worth log2(m / u) with u the value's own frequency
-- when that is higher than the level's average
-- (m and u looked up in two small maps: cheaper than a join per field)
weights AS (
  SELECT map(list(comparison || ':' || level), list(m)) AS m, map(list(comparison || ':' || level), list(u)) AS u
  FROM ref_match_weights WHERE entity = 'company'
),
weighed AS (
  SELECT lv.*,
    coalesce(log2(wm.m['name:' || lv.name_level] / CASE WHEN lv.name_level = 'exact' THEN greatest(wm.u['name:' || lv.name_level], coalesce(lv.name_tf, 0)) ELSE wm.u['name:' || lv.name_level] END), 0) AS name_weight,
    coalesce(log2(wm.m['domain:' || lv.domain_level] / wm.u['domain:' || lv.domain_level]), 0) AS domain_weight,
    coalesce(log2(wm.m['phone:' || lv.phone_level] / CASE WHEN lv.phone_level = 'exact' THEN greatest(wm.u['phone:' || lv.phone_level], coalesce(lv.phone_tf, 0)) ELSE wm.u['phone:' || lv.phone_level] END), 0) AS phone_weight,
    coalesce(log2(wm.m['street:' || lv.street_level] / wm.u['street:' || lv.street_level]), 0) AS street_weight,
    coalesce(log2(wm.m['city:' || lv.city_level] / CASE WHEN lv.city_level = 'exact' THEN greatest(wm.u['city:' || lv.city_level], coalesce(lv.city_tf, 0)) ELSE wm.u['city:' || lv.city_level] END), 0) AS city_weight,
    coalesce(log2(wm.m['postal_code:' || lv.postal_code_level] / CASE WHEN lv.postal_code_level = 'exact' THEN greatest(wm.u['postal_code:' || lv.postal_code_level], coalesce(lv.postal_tf, 0)) ELSE wm.u['postal_code:' || lv.postal_code_level] END), 0) AS postal_code_weight
  FROM levels lv, weights wm
),
scored AS (
  SELECT left_key, right_key, left_rid, right_rid, rules, same_cross_id, conflicting_cross_id,
         name_level, street_level = 'exact' OR phone_level IN ('exact', 'same_site') AS same_site,
         round(name_weight + domain_weight + phone_weight + street_weight + city_weight + postal_code_weight, 3) AS score,
         -- keyed by field (match_pairs casts it to pair_explanation)
         {'city': {'level': city_level, 'weight': round(city_weight, 2)},
          'domain': {'level': domain_level, 'weight': round(domain_weight, 2)},
          'name': {'level': name_level, 'weight': round(name_weight, 2)},
          'phone': {'level': phone_level, 'weight': round(phone_weight, 2)},
          'postal_code': {'level': postal_code_level, 'weight': round(postal_code_weight, 2)},
          'street': {'level': street_level, 'weight': round(street_weight, 2)}} AS explanation
  FROM weighed
),
-- Two businesses at one site (a hotel's cafe and its dining room, the east
-- and west branches of one organisation): at the same street or phone, two
-- names that each have one or two words the other does not account for
-- (a minority of each name; abbreviations and acronyms account for words,
-- see words_unmatched), where each name is confirmed by another record of
-- the site under the very same name. Such a pair is a non-match by rule
-- (decided_by two_names_at_site), so clustering keeps the two apart even
-- when the site's strength links them to each other's records.
site_named AS (
  SELECT left_rid AS rid FROM scored WHERE name_level = 'exact' AND same_site
  UNION SELECT right_rid FROM scored WHERE name_level = 'exact' AND same_site
),
two_names AS (
  SELECT left_rid, right_rid FROM (
    SELECT s.left_rid, s.right_rid, len(l.name_tokens) AS left_n, len(r.name_tokens) AS right_n,
           len(words_unmatched(l.name_tokens, r.name_tokens, r.name_n)) AS left_only,
           len(words_unmatched(r.name_tokens, l.name_tokens, l.name_n)) AS right_only
    FROM scored s
    JOIN site_named ln ON ln.rid = s.left_rid
    JOIN site_named rn ON rn.rid = s.right_rid
    JOIN live l ON l.rid = s.left_rid
    JOIN live r ON r.rid = s.right_rid
    WHERE s.same_site AND s.name_level NOT IN ('exact', 'null'))
  WHERE left_only BETWEEN 1 AND 2 AND right_only BETWEEN 1 AND 2
    AND 2 * left_only < left_n AND 2 * right_only < right_n
)
SELECT left_key, right_key, rules, score,
       1 / (1 + pow(2, -(score + getvariable('company_prior') - (SELECT size_bits FROM size_adjustment)))) AS probability,
       CASE
         WHEN conflicting_cross_id THEN 'non-match'
         WHEN same_cross_id THEN 'match'
         WHEN t.left_rid IS NOT NULL THEN 'non-match'
         WHEN score >= getvariable('company_match_threshold') + (SELECT size_bits FROM size_adjustment) THEN 'match'
         WHEN score >= getvariable('company_review_threshold') + (SELECT size_bits FROM size_adjustment) THEN 'review'
         ELSE 'non-match'
       END AS decision,
       CASE WHEN conflicting_cross_id THEN 'conflicting_cross_id' WHEN same_cross_id THEN 'cross_id'
            WHEN t.left_rid IS NOT NULL THEN 'two_names_at_site'
            ELSE 'score' END AS decided_by,
       explanation, s.left_rid, s.right_rid
FROM scored s LEFT JOIN two_names t USING (left_rid, right_rid);
CREATE OR REPLACE TABLE company_pairs AS
  SELECT * EXCLUDE (left_rid, right_rid) FROM company_scored;
CREATE OR REPLACE TEMP TABLE company_links AS
  SELECT left_rid AS a, right_rid AS b, decision, decided_by, score FROM company_scored
  WHERE decision = 'match' OR (decision = 'non-match' AND (score < 0 OR decided_by <> 'score'));
DROP TABLE company_scored;
