-- depends: stg_persons, stg_companies, stg_deals, person_clusters, company_clusters, deal_clusters, person_pairs, company_pairs, deal_pairs
-- test: unique(system, object, record_id)
-- test: not_null(entity, golden_id, system, object, record_id, matched_by)
-- test: accepted_values(entity, 'person', 'company', 'deal')
-- Published: one row per source record with its golden id and how it was
-- matched (its strongest link: cross_id, or score; unmatched when alone).
WITH members AS (
  SELECT 'person' AS entity, s.record_key, s.system, s.object, s.record_id, s.deleted, s.updated_at, c.golden_id, c.cluster_size
  FROM stg_persons s JOIN person_clusters c USING (record_key)
  UNION ALL
  SELECT 'company', s.record_key, s.system, s.object, s.record_id, s.deleted, s.updated_at, c.golden_id, c.cluster_size
  FROM stg_companies s JOIN company_clusters c USING (record_key)
  UNION ALL
  SELECT 'deal', s.record_key, s.system, s.object, s.record_id, s.deleted, s.updated_at, c.golden_id, c.cluster_size
  FROM stg_deals s JOIN deal_clusters c USING (record_key)
),
links AS (
  -- person_pairs is on rids: the keys of the matched pairs only
  SELECT l.record_key AS left_key, r.record_key AS right_key, p.decided_by, p.score
  FROM person_pairs p JOIN stg_persons l ON l.rid = p.left_rid JOIN stg_persons r ON r.rid = p.right_rid
  WHERE p.decision = 'match'
  UNION ALL SELECT left_key, right_key, decided_by, score FROM company_pairs WHERE decision = 'match'
  UNION ALL SELECT left_key, right_key, decided_by, score FROM deal_pairs WHERE decision = 'match'
),
ends AS (
  SELECT left_key AS record_key, decided_by, score FROM links
  UNION ALL SELECT right_key, decided_by, score FROM links
),
best AS (
  SELECT record_key,
         CASE WHEN bool_or(decided_by = 'cross_id') THEN 'cross_id' ELSE 'score' END AS matched_by,
         max(score) AS best_score
  FROM ends GROUP BY record_key
)
SELECT m.entity, m.golden_id, m.system, m.object, m.record_id,
       coalesce(b.matched_by, 'unmatched') AS matched_by, b.best_score AS match_score,
       m.cluster_size, m.deleted, m.updated_at
FROM members m LEFT JOIN best b USING (record_key)
