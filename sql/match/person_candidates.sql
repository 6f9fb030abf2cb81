-- depends: stg_persons
-- test: unique(left_rid, right_rid)
-- test: not_null(left_rid, right_rid, rule_mask)
-- Blocking: record pairs that share at least one blocking key. Each rule's
-- pairs are unioned without duplicates; the rules that found a pair are kept
-- as a bitmask (rule_mask, bit i = rule i of person_rule_names(), in
-- alphabetical order; person_pairs turns it back into names).
-- Sorted neighbourhood within each key: the records sharing a key are sorted
-- by a second field of the rule and each meets its next block_window
-- neighbours, so a key shared by a few records compares every pair and a
-- common one ("john smith" among a million people) costs block_window pairs
-- per record, not thousands. The sort puts likely duplicates side by side
-- (same name and town, then postal code; same birth date, then surname).
-- Keys shared by more than max_block_size records (placeholders) are dropped,
-- and so are keys of one record (most emails, phones and streets) before the
-- sort, by a hash count.
-- Pairs are on rid (stg_persons), left_rid < right_rid, grouped on one
-- BIGINT (left_rid << 32 | right_rid).
WITH p AS (
  SELECT * FROM stg_persons WHERE NOT deleted
),
keys AS (
  -- rule numbers: see person_rule_names() in macros.sql
  -- identifiers: blocks are small, every neighbour within block_window
  SELECT rid, 3::UTINYINT AS rule, email_n AS k, last_n AS s FROM p WHERE email_n IS NOT NULL
  UNION ALL SELECT rid, 9, phone_n, last_n FROM p WHERE phone_n IS NOT NULL
  UNION ALL SELECT rid, 9, mobile_n, last_n FROM p WHERE mobile_n IS NOT NULL AND mobile_n <> phone_n
  -- the mailbox survives a change of employer or a typo in the domain
  UNION ALL SELECT rid, 8, split_part(email_n, '@', 1), last_n FROM p WHERE length(split_part(email_n, '@', 1)) >= 4
  UNION ALL SELECT rid, 11, street_n || ' ' || coalesce(city_n, ''), last_n FROM p WHERE street_n IS NOT NULL
  -- both names in either order, nicknames folded
  UNION ALL SELECT rid, 5, least(first_key, last_n) || ' ' || greatest(first_key, last_n), coalesce(postal_n, '') || ' ' || coalesce(city_n, '')
    FROM p WHERE first_key IS NOT NULL AND last_n IS NOT NULL
  UNION ALL SELECT rid, 12, least(first_n, last_n) || ' ' || greatest(first_n, last_n), coalesce(postal_n, '') || ' ' || coalesce(city_n, '')
    FROM p WHERE first_n IS NOT NULL AND last_n IS NOT NULL AND first_n <> first_key
  -- a birth date and one name: the other name may be misspelt or missing
  UNION ALL SELECT rid, 0, birthdate_d::VARCHAR, last_n || ' ' || coalesce(first_key, '') FROM p WHERE birthdate_d IS NOT NULL
  UNION ALL SELECT rid, 1, birthdate_d::VARCHAR || ' ' || first_key, last_n FROM p WHERE birthdate_d IS NOT NULL AND first_key IS NOT NULL
  -- where one address line is missing or misspelt: the postal code or the
  -- town with a surname
  UNION ALL SELECT rid, 10, postal_n, last_n || ' ' || coalesce(first_key, '') FROM p WHERE postal_n IS NOT NULL
  UNION ALL SELECT rid, 6, last_n || ' ' || city_n, first_key FROM p WHERE last_n IS NOT NULL AND city_n IS NOT NULL
  -- one name and the town, for records that lack or misspell the other name
  UNION ALL SELECT rid, 4, first_key || ' ' || city_n, last_n FROM p WHERE first_key IS NOT NULL AND city_n IS NOT NULL
  -- a misspelt surname keeps its start; sorted by place
  UNION ALL SELECT rid, 7, left(last_n, 4) || ' ' || left(first_key, 1), coalesce(postal_n, city_n) FROM p WHERE last_n IS NOT NULL AND first_key IS NOT NULL
),
hashed AS (
  SELECT rid, rule, hash(k) AS hk, s FROM keys
),
-- keys of 2 to max_block_size records (a hash count, before any sort).
-- Keys are their 64-bit hash (a collision would only add candidates).
blocks AS (
  SELECT rule, hk FROM hashed GROUP BY rule, hk
  HAVING count(*) BETWEEN 2 AND getvariable('max_block_size')
),
-- identifier rules see block_window neighbours, name and place rules (big
-- blocks of namesakes and neighbours) name_block_window. Neighbours come
-- from lead() at fixed offsets (block_window is at most 10): one sort per
-- rule and key.
windowed AS (
  SELECT rid,
         CASE WHEN rule IN (3, 8, 9, 11) THEN getvariable('block_window') ELSE getvariable('name_block_window') END AS w,
         (1::BIGINT << rule) AS bit,
         lead(rid, 1) OVER nb AS n1, lead(rid, 2) OVER nb AS n2, lead(rid, 3) OVER nb AS n3, lead(rid, 4) OVER nb AS n4,
         lead(rid, 5) OVER nb AS n5, lead(rid, 6) OVER nb AS n6, lead(rid, 7) OVER nb AS n7, lead(rid, 8) OVER nb AS n8,
         lead(rid, 9) OVER nb AS n9, lead(rid, 10) OVER nb AS n10
  FROM hashed SEMI JOIN blocks USING (rule, hk)
  WINDOW nb AS (PARTITION BY rule, hk ORDER BY s, rid)
),
blocked AS (
  SELECT least(rid, other) << 32 | greatest(rid, other) AS pair, bit
  FROM (SELECT rid, bit, unnest([n1, n2, n3, n4, n5, n6, n7, n8, n9, n10][1:w]) AS other FROM windowed)
  WHERE other IS NOT NULL
),
-- cross-system ids written back by earlier runs always form a candidate
-- (two equi-joins: an OR in the join condition is a nested loop, N x N)
crossed AS (
  SELECT least(h.rid, s.rid) << 32 | greatest(h.rid, s.rid) AS pair, (1::BIGINT << 2) AS bit
  FROM p h JOIN p s ON h.cross_id_n = s.record_id
  WHERE h.system = 'hubspot' AND s.system = 'salesforce'
  UNION ALL
  SELECT least(h.rid, s.rid) << 32 | greatest(h.rid, s.rid), (1::BIGINT << 2)
  FROM p h JOIN p s ON s.cross_id_n = h.record_id
  WHERE h.system = 'hubspot' AND s.system = 'salesforce'
)
SELECT pair >> 32 AS left_rid, pair & 4294967295 AS right_rid, bit_or(bit) AS rule_mask
FROM (SELECT * FROM blocked UNION ALL SELECT * FROM crossed)
GROUP BY pair
