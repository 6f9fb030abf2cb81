-- kind: script
-- depends: person_pairs, company_pairs, deal_pairs
-- test: not_null(entity, decision)
-- Published: every scored candidate pair with its decision and the level and
-- weight of each compared field. Persons are read from person_pairs_wide, the
-- view person_pairs makes to give its pairs this shape (keys, rule names,
-- explanation) only here.
-- A view, not a table: the pairs are published, and only their review
-- pairs and match count are read in the run (review_queue, the counts), so
-- the export builds each row once, straight into the Parquet file. As a
-- table they were materialised first (25.6 M rows with 10-field
-- explanations at a million people, spilled to disk), then read again to
-- be exported, then scanned whole for review_queue's few review pairs.
-- The record ids are not tested here: testing the view builds every key
-- again (1.1 s of 2 M pairs at 100k); they are the staged records' keys
-- through inner joins, and stg_* test those keys not null.
CREATE OR REPLACE VIEW match_pairs AS
WITH pairs AS (
  SELECT 'person' AS entity, * FROM person_pairs_wide
  UNION ALL SELECT 'company', * FROM company_pairs
  UNION ALL SELECT 'deal', * FROM deal_pairs
)
SELECT entity,
       split_part(left_key, ':', 1) AS left_system, split_part(left_key, ':', 2) AS left_object,
       left_key[length(split_part(left_key, ':', 1)) + length(split_part(left_key, ':', 2)) + 3:] AS left_record_id,
       split_part(right_key, ':', 1) AS right_system, split_part(right_key, ':', 2) AS right_object,
       right_key[length(split_part(right_key, ':', 1)) + length(split_part(right_key, ':', 2)) + 3:] AS right_record_id,
       score, probability, decision, decided_by, rules AS blocking_rules, explanation
FROM pairs;
