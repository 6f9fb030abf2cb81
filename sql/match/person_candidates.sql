-- depends: stg_persons
-- test: unique(left_rid, right_rid)
-- test: not_null(left_rid, right_rid)
-- Blocking: record pairs that share at least one blocking key. Each rule's
-- pairs are unioned without duplicates; the rules that found a pair are kept.
-- Sorted neighbourhood within each key: the records sharing a key are sorted
-- by a second field of the rule and each meets its next block_window
-- neighbours, so a key shared by a few records compares every pair and a
-- common one ("john smith" among a million people) costs block_window pairs
-- per record, not thousands. The sort puts likely duplicates side by side
-- (same name and town, then postal code; same birth date, then surname).
-- Keys shared by more than max_block_size records (placeholders) are dropped.
-- Pairs are on rid (stg_persons), left_rid < right_rid.
WITH p AS (
  SELECT * FROM stg_persons WHERE NOT deleted
),
keys AS (
  -- identifiers: blocks are small, every neighbour within block_window
  SELECT rid, 'email' AS rule, email_n AS k, last_n AS s, true AS ident FROM p WHERE email_n IS NOT NULL
  UNION ALL SELECT rid, 'phone', phone_n, last_n, true FROM p WHERE phone_n IS NOT NULL
  UNION ALL SELECT rid, 'phone', mobile_n, last_n, true FROM p WHERE mobile_n IS NOT NULL AND mobile_n <> phone_n
  -- the mailbox survives a change of employer or a typo in the domain
  UNION ALL SELECT rid, 'mailbox', split_part(email_n, '@', 1), last_n, true FROM p WHERE length(split_part(email_n, '@', 1)) >= 4
  UNION ALL SELECT rid, 'street_city', street_n || ' ' || coalesce(city_n, ''), last_n, true FROM p WHERE street_n IS NOT NULL
  -- both names in either order, nicknames folded
  UNION ALL SELECT rid, 'full_name', least(first_key, last_n) || ' ' || greatest(first_key, last_n), coalesce(postal_n, '') || ' ' || coalesce(city_n, ''), false
    FROM p WHERE first_key IS NOT NULL AND last_n IS NOT NULL
  UNION ALL SELECT rid, 'swapped_name', least(first_n, last_n) || ' ' || greatest(first_n, last_n), coalesce(postal_n, '') || ' ' || coalesce(city_n, ''), false
    FROM p WHERE first_n IS NOT NULL AND last_n IS NOT NULL AND first_n <> first_key
  -- a birth date and one name: the other name may be misspelt or missing
  UNION ALL SELECT rid, 'birthdate', birthdate_d::VARCHAR, last_n || ' ' || coalesce(first_key, ''), false FROM p WHERE birthdate_d IS NOT NULL
  UNION ALL SELECT rid, 'birthdate_first', birthdate_d::VARCHAR || ' ' || first_key, last_n, false FROM p WHERE birthdate_d IS NOT NULL AND first_key IS NOT NULL
  -- where one address line is missing or misspelt: the postal code or the
  -- town with a surname
  UNION ALL SELECT rid, 'postal_code', postal_n, last_n || ' ' || coalesce(first_key, ''), false FROM p WHERE postal_n IS NOT NULL
  UNION ALL SELECT rid, 'last_name_city', last_n || ' ' || city_n, first_key, false FROM p WHERE last_n IS NOT NULL AND city_n IS NOT NULL
  -- one name and the town, for records that lack or misspell the other name
  UNION ALL SELECT rid, 'first_name_city', first_key || ' ' || city_n, last_n, false FROM p WHERE first_key IS NOT NULL AND city_n IS NOT NULL
  -- a misspelt surname keeps its start; sorted by place
  UNION ALL SELECT rid, 'last_name_first_initial', left(last_n, 4) || ' ' || left(first_key, 1), coalesce(postal_n, city_n), false FROM p WHERE last_n IS NOT NULL AND first_key IS NOT NULL
),
-- identifier rules see block_window neighbours, name and place rules (big
-- blocks of namesakes and neighbours) name_block_window. Neighbours come
-- from lead() at fixed offsets (block_window is at most 10): one sort per
-- rule and key, no list per window frame. Keys are partitioned on their
-- 64-bit hash (a collision would only add candidates).
windowed AS (
  SELECT rid, rule,
         CASE WHEN ident THEN getvariable('block_window') ELSE getvariable('name_block_window') END AS w,
         count(*) OVER (PARTITION BY rule, hk) AS block_size,
         [lead(rid, 1) OVER nb, lead(rid, 2) OVER nb, lead(rid, 3) OVER nb, lead(rid, 4) OVER nb, lead(rid, 5) OVER nb, lead(rid, 6) OVER nb, lead(rid, 7) OVER nb, lead(rid, 8) OVER nb, lead(rid, 9) OVER nb, lead(rid, 10) OVER nb] AS next_rids
  FROM (SELECT *, hash(k) AS hk FROM keys)
  WINDOW nb AS (PARTITION BY rule, hk ORDER BY s, rid)
),
blocked AS (
  SELECT least(rid, other) AS left_rid, greatest(rid, other) AS right_rid, rule
  FROM (SELECT rid, rule, unnest(list_filter(next_rids[1:w], x -> x IS NOT NULL)) AS other FROM windowed
        WHERE block_size BETWEEN 2 AND getvariable('max_block_size'))
),
-- cross-system ids written back by earlier runs always form a candidate
crossed AS (
  SELECT least(h.rid, s.rid) AS left_rid, greatest(h.rid, s.rid) AS right_rid, 'cross_id' AS rule
  FROM p h JOIN p s ON h.system = 'hubspot' AND s.system = 'salesforce'
   AND (h.cross_id_n = s.record_id OR s.cross_id_n = h.record_id)
)
SELECT left_rid, right_rid, list(DISTINCT rule ORDER BY rule) AS rules
FROM (SELECT * FROM blocked UNION ALL SELECT * FROM crossed)
GROUP BY left_rid, right_rid
