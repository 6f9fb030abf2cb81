-- depends: stg_companies
-- test: unique(left_key, right_key)
-- Blocking for companies; see person_candidates for the scheme.
WITH c AS (
  SELECT * FROM stg_companies WHERE NOT deleted
),
-- the two rarest words of each name: "kershaw" finds "chicago public
-- schools kershaw joshua" without "chicago" making one huge block
words AS (
  SELECT record_key, token, count(*) OVER (PARTITION BY token) AS df
  FROM (SELECT record_key, unnest(name_tokens) AS token FROM c)
),
rare_words AS (
  SELECT record_key, token FROM (
    SELECT *, row_number() OVER (PARTITION BY record_key ORDER BY df, token) AS rank FROM words)
  WHERE rank <= 2
),
keys AS (
  SELECT record_key, 'domain' AS rule, domain_n AS k FROM c WHERE domain_n IS NOT NULL
  -- local 7-digit numbers and full ones meet on the last seven digits
  UNION ALL SELECT record_key, 'phone', right(phone_n, 7) FROM c WHERE phone_n IS NOT NULL
  UNION ALL SELECT record_key, 'name', name_n FROM c WHERE name_n IS NOT NULL
  UNION ALL SELECT record_key, 'rare_word', token FROM rare_words
  UNION ALL SELECT record_key, 'street', street_n FROM c WHERE street_n IS NOT NULL
  UNION ALL SELECT record_key, 'house_street', house_n || ' ' || street_core_n FROM c WHERE house_n IS NOT NULL AND street_core_n IS NOT NULL
  UNION ALL SELECT record_key, 'first_word_city', split_part(name_n, ' ', 1) || ' ' || coalesce(city_n, postal_n) FROM c
    WHERE name_n IS NOT NULL AND coalesce(city_n, postal_n) IS NOT NULL
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
crossed AS (
  SELECT least(h.record_key, s.record_key) AS left_key, greatest(h.record_key, s.record_key) AS right_key, 'cross_id' AS rule
  FROM c h JOIN c s ON h.system = 'hubspot' AND s.system = 'salesforce'
   AND (h.cross_id_n = s.record_id OR s.cross_id_n = h.record_id)
)
SELECT left_key, right_key, list(DISTINCT rule ORDER BY rule) AS rules
FROM (SELECT * FROM blocked UNION ALL SELECT * FROM crossed)
GROUP BY left_key, right_key
