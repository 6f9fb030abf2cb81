-- depends: stg_deals
-- test: unique(left_key, right_key)
-- Deals are compared within one golden company, and across companies only
-- when their names agree exactly.
WITH d AS (
  SELECT * FROM stg_deals WHERE NOT deleted
),
keys AS (
  SELECT record_key, 'company' AS rule, company_golden_id AS k FROM d WHERE company_golden_id IS NOT NULL
  UNION ALL SELECT record_key, 'name_close_date', name_n || ' ' || close_date_d FROM d WHERE name_n IS NOT NULL AND close_date_d IS NOT NULL
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
  FROM d h JOIN d s ON h.system = 'hubspot' AND s.system = 'salesforce'
   AND (h.cross_id_n = s.record_id OR s.cross_id_n = h.record_id)
)
SELECT left_key, right_key, list(DISTINCT rule ORDER BY rule) AS rules
FROM (SELECT * FROM blocked UNION ALL SELECT * FROM crossed)
GROUP BY left_key, right_key
