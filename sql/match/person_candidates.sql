-- depends: stg_persons
-- test: unique(left_key, right_key)
-- test: not_null(left_key, right_key)
-- Blocking: record pairs that share at least one blocking key. Each rule's
-- pairs are unioned without duplicates; the rules that found a pair are kept.
-- Oversized blocks (a shared placeholder email, say) are dropped rather than
-- exploding into n^2 pairs; their size limit is the variable max_block_size.
WITH p AS (
  SELECT * FROM stg_persons WHERE NOT deleted
),
keys AS (
  SELECT record_key, 'email' AS rule, email_n AS k FROM p WHERE email_n IS NOT NULL
  UNION ALL SELECT record_key, 'phone', phone_n FROM p WHERE phone_n IS NOT NULL
  UNION ALL SELECT record_key, 'full_name', first_key || ' ' || last_n FROM p WHERE first_key IS NOT NULL AND last_n IS NOT NULL
  UNION ALL SELECT record_key, 'swapped_name', least(first_n, last_n) || ' ' || greatest(first_n, last_n) FROM p WHERE first_n IS NOT NULL AND last_n IS NOT NULL
  UNION ALL SELECT record_key, 'birthdate', birthdate_d::VARCHAR FROM p WHERE birthdate_d IS NOT NULL
  UNION ALL SELECT record_key, 'postal_code', postal_n FROM p WHERE postal_n IS NOT NULL
  UNION ALL SELECT record_key, 'last_name_first_initial', left(last_n, 4) || ' ' || left(first_key, 1) FROM p WHERE last_n IS NOT NULL AND first_key IS NOT NULL
  UNION ALL SELECT record_key, 'street_city', street_n || ' ' || coalesce(city_n, '') FROM p WHERE street_n IS NOT NULL
  -- the mailbox survives a change of employer or a typo in the domain
  UNION ALL SELECT record_key, 'mailbox', split_part(email_n, '@', 1) FROM p WHERE length(split_part(email_n, '@', 1)) >= 4
  -- one name and the town, for records that lack or misspell the other name
  UNION ALL SELECT record_key, 'first_name_city', first_key || ' ' || city_n FROM p WHERE first_key IS NOT NULL AND city_n IS NOT NULL
  UNION ALL SELECT record_key, 'last_name_city', last_n || ' ' || city_n FROM p WHERE last_n IS NOT NULL AND city_n IS NOT NULL
),
usable AS (
  SELECT rule, k FROM keys GROUP BY rule, k
  HAVING count(*) BETWEEN 2 AND getvariable('max_block_size')
),
blocked AS (
  SELECT a.record_key AS left_key, b.record_key AS right_key, a.rule
  FROM keys a
  JOIN usable u ON u.rule = a.rule AND u.k = a.k
  JOIN keys b ON b.rule = a.rule AND b.k = a.k AND a.record_key < b.record_key
),
-- cross-system ids written back by earlier runs always form a candidate
crossed AS (
  SELECT least(h.record_key, s.record_key) AS left_key, greatest(h.record_key, s.record_key) AS right_key, 'cross_id' AS rule
  FROM p h JOIN p s ON h.system = 'hubspot' AND s.system = 'salesforce'
   AND (h.cross_id_n = s.record_id OR s.cross_id_n = h.record_id)
)
SELECT left_key, right_key, list(DISTINCT rule ORDER BY rule) AS rules
FROM (SELECT * FROM blocked UNION ALL SELECT * FROM crossed)
GROUP BY left_key, right_key
