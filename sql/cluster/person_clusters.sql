-- kind: script
-- depends: cluster_macros, stg_persons, person_pairs, prev_xref
-- test: unique(record_key)
-- test: not_null(golden_id)
-- Person clusters: connected components over matched pairs, re-clustered
-- without chaining where a component holds a compared non-match (see
-- cluster_macros), then golden ids carried over from the previous run.
CREATE OR REPLACE TEMP TABLE person_match_edges AS
  SELECT left_key AS a, right_key AS b,
         CASE WHEN decided_by = 'cross_id' THEN 1e9 ELSE score END AS strength
  FROM person_pairs WHERE decision = 'match';
CREATE OR REPLACE TEMP TABLE person_cannot_link AS
  SELECT left_key AS a, right_key AS b FROM person_pairs WHERE decision = 'non-match' AND (score < 0 OR decided_by <> 'score');
CREATE OR REPLACE TEMP TABLE person_first_components AS
  SELECT * FROM connected_components('stg_persons', 'person_match_edges');
CREATE OR REPLACE TEMP TABLE person_labels AS
  SELECT * FROM cluster_labels('person_first_components', 'person_cannot_link');
-- @repeat
UPDATE person_labels SET label = m.new_label
  FROM merge_step('person_labels', 'person_match_edges', 'person_cannot_link') m
  WHERE person_labels.label = m.old_label;
CREATE OR REPLACE TEMP TABLE person_components AS
  SELECT record_key, label AS component FROM person_labels;
CREATE OR REPLACE TABLE person_clusters AS
  SELECT * FROM stable_golden_ids('person_components', 'person', 'P');
