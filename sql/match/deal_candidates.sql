-- depends: stg_deals
-- test: unique(left_key, right_key)
-- Deals are compared within one golden company, and across companies only
-- when their names agree exactly.
WITH d AS (
  SELECT * FROM stg_deals WHERE NOT deleted
),
keys AS (
  SELECT record_key, 'company' AS rule, company_golden_id AS k, coalesce(close_date_d::VARCHAR, '') || ' ' || coalesce(name_n, '') AS s
    FROM d WHERE company_golden_id IS NOT NULL
  UNION ALL SELECT record_key, 'name_close_date', name_n || ' ' || close_date_d, coalesce(company_golden_id, '') FROM d WHERE name_n IS NOT NULL AND close_date_d IS NOT NULL
),
-- sorted neighbourhood within each key (see person_candidates): a company's
-- deals meet their neighbours by close date
windowed AS (
  SELECT record_key, rule,
         count(*) OVER (PARTITION BY rule, k) AS block_size,
         list(record_key) OVER (PARTITION BY rule, k ORDER BY s, record_key
                                ROWS BETWEEN 1 FOLLOWING AND getvariable('block_window') FOLLOWING) AS next_keys
  FROM keys
),
blocked AS (
  SELECT least(record_key, other) AS left_key, greatest(record_key, other) AS right_key, rule
  FROM (SELECT record_key, rule, unnest(next_keys) AS other FROM windowed
        WHERE block_size BETWEEN 2 AND getvariable('max_block_size'))
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
SELECT left_key, right_key, list(DISTINCT rule ORDER BY rule) AS rules
FROM (SELECT * FROM blocked UNION ALL SELECT * FROM crossed)
GROUP BY left_key, right_key
