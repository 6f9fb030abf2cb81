-- depends: match_pairs, xref, conflicts, cfg_systems, prev_review_queue
-- reads the input review_pair_decisions (cycle/review_inputs.go)
-- test: not_null(reason, suggested_action, item_id, fingerprint, group_key)
-- test: unique(item_id)
-- Published: what needs a person (crmhub review, docs/review.md):
--   uncertain_match      pairs scored between the review and match thresholds;
--                        the suggestion leans on which threshold is nearer
--   field_conflict       an open conflict (conflicts) whose rule says
--                        on_conflict: review; the field is held, and the item
--                        listed run after run, until someone picks a value,
--                        a system edits the field again or the systems agree
--   duplicate_in_system  two live records of one golden record in one
--                        system where merge_duplicates does not name it
-- A pair someone already decided (review_pair_decisions) is not listed.
-- For review:
--   item_id          stable across runs (reason, entity, both record keys,
--                    field; a conflict's two change times too)
--   fingerprint      changes when what a reviewer saw changes (score and
--                    explanation, values and change times, golden ids): a
--                    decision taken on an older fingerprint is refused
--   left_key, right_key  record keys system:object:record_id
--   group_key        items one decision can settle: the pairs between the
--                    same two golden records, the duplicates or conflicts of
--                    one golden record; group_size items in the group
--   impact_records   live records the decision affects (both clusters of a pair)
--   impact_fields    fields it affects (a pair: compared fields that disagree)
--   group_impact_records, group_impact_fields  the same for the whole group;
--                    the queue is ordered by them (largest first)
--   first_seen_at    when the item first appeared (prev_review_queue; for a
--                    conflict, else when it was raised), on the run's clock
--                    (review_as_of)
WITH sizes AS (
  SELECT entity, golden_id, count(*) FILTER (WHERE NOT deleted) AS records FROM xref GROUP BY ALL
),
-- the pairs to review (decision is an ENUM in match_pairs: the filter reaches
-- person_pairs' scan, a byte per pair), with the list of {field, level,
-- weight} the review shows and the fingerprint hashes (match_pairs' struct
-- as a list, built once)
review_pairs AS (
  SELECT * REPLACE (explanation_list(explanation) AS explanation) FROM match_pairs WHERE decision = 'review'
),
-- the xref rows of their records: the two lookups below build on these (a
-- few per pair) instead of all of xref (3 M rows at a million people, keyed
-- on three strings, built twice)
review_records AS (
  SELECT system, object, record_id, golden_id
  FROM xref
  SEMI JOIN (SELECT left_system AS system, left_object AS object, left_record_id AS record_id FROM review_pairs
             UNION ALL SELECT right_system, right_object, right_record_id FROM review_pairs) k USING (system, object, record_id)
),
pairs AS (
  SELECT p.entity, 'uncertain_match' AS reason,
         p.left_system, p.left_object, p.left_record_id, lx.golden_id AS left_golden_id,
         p.right_system, p.right_object, p.right_record_id, rx.golden_id AS right_golden_id,
         p.score, p.probability, p.explanation,
         CASE WHEN lx.golden_id = rx.golden_id THEN 'already_linked_confirm'
              WHEN p.probability >= 0.5 THEN 'link' ELSE 'keep_apart' END AS suggested_action,
         CASE WHEN lx.golden_id = rx.golden_id THEN coalesce(ls.records, 0)
              ELSE coalesce(ls.records, 0) + coalesce(rs.records, 0) END AS impact_records,
         coalesce(len(list_filter(p.explanation, lambda e: e.weight < 0)), 0) AS impact_fields
  FROM review_pairs p
  JOIN review_records lx ON lx.system = p.left_system AND lx.object = p.left_object AND lx.record_id = p.left_record_id
  JOIN review_records rx ON rx.system = p.right_system AND rx.object = p.right_object AND rx.record_id = p.right_record_id
  LEFT JOIN sizes ls ON ls.entity = p.entity AND ls.golden_id = lx.golden_id
  LEFT JOIN sizes rs ON rs.entity = p.entity AND rs.golden_id = rx.golden_id
),
field_conflicts AS (
  SELECT c.entity, 'field_conflict' AS reason,
         'hubspot' AS left_system, c.hubspot_object AS left_object, c.hubspot_record_id AS left_record_id, c.golden_id AS left_golden_id,
         'salesforce' AS right_system, c.salesforce_object AS right_object, c.salesforce_record_id AS right_record_id, c.golden_id AS right_golden_id,
         c.field, c.hubspot_value AS left_value, c.salesforce_value AS right_value,
         c.hubspot_changed_at AS left_changed_at, c.salesforce_changed_at AS right_changed_at,
         'pick_value' AS suggested_action,
         coalesce(s.records, 0) AS impact_records, 1 AS impact_fields,
         c.first_seen_at AS conflict_first_seen_at
  FROM conflicts c
  LEFT JOIN sizes s ON s.entity = c.entity AND s.golden_id = c.golden_id
  WHERE c.resolution = 'review'
),
-- the live records sharing a golden id with another live record of their
-- system and object (a seventh of xref's rows at 100k people): the
-- self-join below holds only them, not all of xref twice
dup_groups AS (
  SELECT entity, golden_id, system, object
  FROM xref
  WHERE NOT deleted AND system NOT IN (SELECT system FROM cfg_systems WHERE setting = 'merge_duplicates')
  GROUP BY ALL HAVING count(*) > 1
),
dup_records AS (
  SELECT entity, golden_id, system, object, record_id
  FROM xref SEMI JOIN dup_groups USING (entity, golden_id, system, object)
  WHERE NOT deleted
),
duplicates AS (
  SELECT a.entity, 'duplicate_in_system' AS reason,
         a.system AS left_system, a.object AS left_object, a.record_id AS left_record_id, a.golden_id AS left_golden_id,
         b.system AS right_system, b.object AS right_object, b.record_id AS right_record_id, b.golden_id AS right_golden_id,
         'merge' AS suggested_action,
         coalesce(s.records, 0) AS impact_records, 0 AS impact_fields
  FROM dup_records a
  JOIN dup_records b ON b.entity = a.entity AND b.golden_id = a.golden_id AND b.system = a.system
             AND b.object = a.object AND b.record_id > a.record_id
  LEFT JOIN sizes s ON s.entity = a.entity AND s.golden_id = a.golden_id
),
items AS (
  SELECT *,
         left_system || ':' || left_object || ':' || left_record_id AS left_key,
         right_system || ':' || right_object || ':' || right_record_id AS right_key
  FROM (
    SELECT * FROM pairs
    UNION ALL BY NAME SELECT * FROM field_conflicts
    UNION ALL BY NAME SELECT * FROM duplicates
  )
),
keyed AS (
  SELECT i.*,
         -- a conflict is also named by its two change times: a new edit
         -- supersedes it with a new item (concat_ws skips the NULLs of others)
         'R' || left(md5(concat_ws('|', reason, entity, least(left_key, right_key), greatest(left_key, right_key),
                                   coalesce(field, ''),
                                   CASE WHEN reason = 'field_conflict' THEN CAST(left_changed_at AS VARCHAR) END,
                                   CASE WHEN reason = 'field_conflict' THEN CAST(right_changed_at AS VARCHAR) END)), 12) AS item_id,
         left(md5(concat_ws('|', reason, coalesce(CAST(round(score, 3) AS VARCHAR), ''),
                            coalesce(CAST(explanation AS VARCHAR), ''), coalesce(left_value, ''), coalesce(right_value, ''),
                            coalesce(CAST(left_changed_at AS VARCHAR), ''), coalesce(CAST(right_changed_at AS VARCHAR), ''),
                            coalesce(left_golden_id, ''), coalesce(right_golden_id, ''))), 16) AS fingerprint,
         CASE reason
           WHEN 'uncertain_match' THEN 'pair:' || entity || ':' || least(left_golden_id, right_golden_id)
                                        || '+' || greatest(left_golden_id, right_golden_id)
           WHEN 'duplicate_in_system' THEN 'duplicate:' || entity || ':' || left_golden_id
           ELSE 'conflict:' || entity || ':' || left_golden_id
         END AS group_key
  FROM items i
  WHERE reason = 'field_conflict'
     OR NOT EXISTS (SELECT 1 FROM review_pair_decisions d WHERE d.entity = i.entity
                    AND d.left_key = least(i.left_key, i.right_key) AND d.right_key = greatest(i.left_key, i.right_key))
),
ranked AS (
  SELECT k.*,
         count(*) OVER (PARTITION BY k.group_key) AS group_size,
         max(k.impact_records) OVER (PARTITION BY k.group_key) AS group_impact_records,
         sum(k.impact_fields) OVER (PARTITION BY k.group_key) AS group_impact_fields,
         -- a conflict reopened by an undo was not in the last queue: it is
         -- as old as the conflict
         coalesce(pq.first_seen_at, k.conflict_first_seen_at, getvariable('review_as_of')) AS first_seen_at
  FROM keyed k
  LEFT JOIN prev_review_queue pq ON pq.item_id = k.item_id
)
SELECT * EXCLUDE (conflict_first_seen_at) FROM ranked
ORDER BY group_impact_records DESC, group_impact_fields DESC, group_key, impact_records DESC, item_id
