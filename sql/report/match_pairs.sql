-- depends: person_pairs, company_pairs, deal_pairs
-- test: not_null(entity, left_record_id, right_record_id, decision)
-- Published: every scored candidate pair with its decision and the level and
-- weight of each compared field. Persons are read from person_pairs_wide, the
-- view person_pairs makes to give its pairs this shape (keys, rule names,
-- explanation) only here.
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
FROM pairs
