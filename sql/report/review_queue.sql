-- depends: match_pairs, xref
-- test: not_null(reason, suggested_action)
-- Published: pairs a person should look at: scores between the review and
-- match thresholds. The suggestion leans on which threshold is nearer.
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
ORDER BY p.probability DESC
