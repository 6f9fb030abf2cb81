-- depends: stg_persons, stg_companies, stg_deals, person_clusters, company_clusters, deal_clusters, person_pairs, company_pairs, deal_pairs
-- test: unique(system, object, record_id)
-- test: not_null(entity, golden_id, system, object, record_id, matched_by)
-- test: accepted_values(entity, 'person', 'company', 'deal')
-- Published: one row per source record with its golden id and how it was
-- matched (its strongest link: cross_id, or score; unmatched when alone).
WITH person_best AS (
  -- person_pairs is on rids: a person's strongest link is grouped by rid
  -- (the matched pairs are most of the links; grouping them by text key
  -- took two joins to stg_persons and an aggregate on strings); so are
  -- person_clusters' rows (joined to stg_persons on rid, not record_key)
  SELECT rid,
         CASE WHEN bool_or(decided_by = 'cross_id') THEN 'cross_id' ELSE 'score' END AS matched_by,
         max(score) AS best_score
  FROM (SELECT left_rid AS rid, decided_by, score FROM person_pairs WHERE decision = 'match'
        UNION ALL SELECT right_rid, decided_by, score FROM person_pairs WHERE decision = 'match')
  GROUP BY rid
),
links AS (
  SELECT left_key, right_key, decided_by, score FROM company_pairs WHERE decision = 'match'
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
),
members AS (
  SELECT 'person' AS entity, s.system, s.object, s.record_id, s.deleted, s.updated_at, c.golden_id, c.cluster_size,
         b.matched_by, b.best_score
  FROM stg_persons s JOIN person_clusters c USING (rid)
  LEFT JOIN person_best b USING (rid)
  UNION ALL
  SELECT 'company', s.system, s.object, s.record_id, s.deleted, s.updated_at, c.golden_id, c.cluster_size,
         b.matched_by, b.best_score
  FROM stg_companies s JOIN company_clusters c USING (record_key)
  LEFT JOIN best b USING (record_key)
  UNION ALL
  SELECT 'deal', s.system, s.object, s.record_id, s.deleted, s.updated_at, c.golden_id, c.cluster_size,
         b.matched_by, b.best_score
  FROM stg_deals s JOIN deal_clusters c USING (record_key)
  LEFT JOIN best b USING (record_key)
)
SELECT entity, golden_id, system, object, record_id,
       coalesce(matched_by, 'unmatched') AS matched_by, best_score AS match_score,
       cluster_size, deleted, updated_at
FROM members
