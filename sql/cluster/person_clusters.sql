-- kind: script
-- depends: cluster_macros, stg_persons, person_pairs, prev_xref
-- test: unique(record_key)
-- test: not_null(golden_id)
-- Person clusters: connected components over matched pairs, then golden ids
-- carried over from the previous run.
CREATE OR REPLACE TEMP TABLE person_match_edges AS
  SELECT left_key AS a, right_key AS b FROM person_pairs WHERE decision = 'match';
CREATE OR REPLACE TEMP TABLE person_components AS
  SELECT * FROM connected_components('stg_persons', 'person_match_edges');
CREATE OR REPLACE TABLE person_clusters AS
  SELECT * FROM stable_golden_ids('person_components', 'person', 'P');
