-- depends: match_pairs, xref, conflicts, cfg_systems
-- test: not_null(reason, suggested_action)
-- Published: what needs a person:
--   uncertain_match      pairs scored between the review and match thresholds;
--                        the suggestion leans on which threshold is nearer
--   field_conflict       a conflict whose rule says on_conflict: review; the
--                        field is held until someone picks a value
--   duplicate_in_system  two live records of one golden record in one
--                        system where merge_duplicates does not name it
WITH pairs AS (
  SELECT p.entity, 'uncertain_match' AS reason,
         p.left_system, p.left_object, p.left_record_id, lx.golden_id AS left_golden_id,
         p.right_system, p.right_object, p.right_record_id, rx.golden_id AS right_golden_id,
         p.score, p.probability, p.explanation,
         CASE WHEN lx.golden_id = rx.golden_id THEN 'already_linked_confirm'
              WHEN p.probability >= 0.5 THEN 'link' ELSE 'keep_apart' END AS suggested_action
  FROM match_pairs p
  JOIN xref lx ON lx.system = p.left_system AND lx.object = p.left_object AND lx.record_id = p.left_record_id
  JOIN xref rx ON rx.system = p.right_system AND rx.object = p.right_object AND rx.record_id = p.right_record_id
  WHERE p.decision = 'review'
),
field_conflicts AS (
  SELECT entity, 'field_conflict' AS reason,
         'hubspot' AS left_system, hubspot_object AS left_object, hubspot_record_id AS left_record_id, golden_id AS left_golden_id,
         'salesforce' AS right_system, salesforce_object AS right_object, salesforce_record_id AS right_record_id, golden_id AS right_golden_id,
         field, hubspot_value AS left_value, salesforce_value AS right_value,
         'pick_value' AS suggested_action
  FROM conflicts WHERE resolution = 'review'
),
duplicates AS (
  SELECT a.entity, 'duplicate_in_system' AS reason,
         a.system AS left_system, a.object AS left_object, a.record_id AS left_record_id, a.golden_id AS left_golden_id,
         b.system AS right_system, b.object AS right_object, b.record_id AS right_record_id, b.golden_id AS right_golden_id,
         'merge' AS suggested_action
  FROM xref a
  JOIN xref b ON b.entity = a.entity AND b.golden_id = a.golden_id AND b.system = a.system
             AND b.object = a.object AND b.record_id > a.record_id
  WHERE NOT a.deleted AND NOT b.deleted
    AND a.system NOT IN (SELECT system FROM cfg_systems WHERE setting = 'merge_duplicates')
)
SELECT * FROM (
  SELECT * FROM pairs
  UNION ALL BY NAME SELECT * FROM field_conflicts
  UNION ALL BY NAME SELECT * FROM duplicates
)
ORDER BY reason DESC, probability DESC NULLS LAST, left_record_id
