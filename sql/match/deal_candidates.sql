-- depends: macros, stg_deals
-- test: unique(left_key, right_key)
-- Deals are compared within one golden company (neighbours by close date,
-- and every deal of the company with the same name words, however many
-- deals the company has), and across companies only when their names and
-- close dates agree exactly.
-- d is read seven times: NOT MATERIALIZED, so each read scans only the
-- columns it needs, not a copy of every staged deal column
WITH d AS NOT MATERIALIZED (
  SELECT * FROM stg_deals WHERE NOT deleted
),
keys AS (
  SELECT record_key, 'company' AS rule, company_golden_id AS k, coalesce(close_date_d::VARCHAR, '') || ' ' || coalesce(name_n, '') AS s
    FROM d WHERE company_golden_id IS NOT NULL
  UNION ALL SELECT record_key, 'company_name', company_golden_id || ' ' || name_n, coalesce(close_date_d::VARCHAR, '')
    FROM d WHERE company_golden_id IS NOT NULL AND name_n IS NOT NULL
  -- across companies on the whole name (name_n lacks the company's words)
  UNION ALL SELECT record_key, 'name_close_date', name_full_n || ' ' || close_date_d, coalesce(company_golden_id, '') FROM d WHERE name_full_n IS NOT NULL AND close_date_d IS NOT NULL
),
-- sorted neighbourhood within each key (see person_candidates): a company's
-- deals meet their neighbours by close date
-- keys of 2 to max_block_size records, by a hash count before any sort
-- (keys are their 64-bit hash: a collision would only add candidates)
hashed AS (
  SELECT record_key, rule, hash(k) AS hk, s FROM keys
),
blocks AS (
  SELECT rule, hk FROM hashed GROUP BY rule, hk
  HAVING count(*) BETWEEN 2 AND getvariable('max_block_size')
),
-- the next block_window neighbours (at most 10) by lead() at fixed offsets
windowed AS (
  SELECT record_key, rule,
         [lead(record_key, 1) OVER nb, lead(record_key, 2) OVER nb, lead(record_key, 3) OVER nb, lead(record_key, 4) OVER nb,
          lead(record_key, 5) OVER nb, lead(record_key, 6) OVER nb, lead(record_key, 7) OVER nb, lead(record_key, 8) OVER nb,
          lead(record_key, 9) OVER nb, lead(record_key, 10) OVER nb][1:getvariable('block_window')] AS next_keys
  FROM hashed SEMI JOIN blocks USING (rule, hk)
  WINDOW nb AS (PARTITION BY rule, hk ORDER BY s, record_key)
),
blocked AS (
  SELECT least(record_key, other) AS left_key, greatest(record_key, other) AS right_key, rule
  FROM (SELECT record_key, rule, unnest(next_keys) AS other FROM windowed)
  WHERE other IS NOT NULL
),
-- (two equi-joins: an OR in the join condition is a nested loop, N x N;
-- a pair found by both is one row after the GROUP BY below)
crossed AS (
  SELECT least(h.record_key, s.record_key) AS left_key, greatest(h.record_key, s.record_key) AS right_key, 'cross_id' AS rule
  FROM d h JOIN d s ON h.cross_id_n = s.record_id
  WHERE h.system = 'hubspot' AND s.system = 'salesforce'
  UNION ALL
  SELECT least(h.record_key, s.record_key), greatest(h.record_key, s.record_key), 'cross_id'
  FROM d h JOIN d s ON s.cross_id_n = h.record_id
  WHERE h.system = 'hubspot' AND s.system = 'salesforce'
)
-- each pair's rules: one list per pair, deduplicated and sorted after
-- (list(DISTINCT rule ORDER BY rule) ran as a distinct aggregation joined
-- back to the groups: company_candidates at a million people took 2.08 s
-- with it and 1.88 s without, means of three runs, same rows)
SELECT left_key, right_key, list_sort(list_distinct(list(rule))) AS rules
FROM (SELECT * FROM blocked UNION ALL SELECT * FROM crossed)
GROUP BY left_key, right_key
