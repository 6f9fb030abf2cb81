-- kind: script
-- depends: cluster_macros, stg_companies, company_pairs, prev_xref
-- test: unique(record_key)
-- test: not_null(golden_id)
-- Company clusters: connected components over matched pairs, re-clustered
-- without chaining where a component holds a compared non-match (see
-- cluster_macros), then golden ids carried over from the previous run.
CREATE OR REPLACE TEMP TABLE company_match_edges AS
  SELECT left_key AS a, right_key AS b,
         CASE WHEN decided_by = 'cross_id' THEN 1e9 ELSE score END AS strength
  FROM company_pairs WHERE decision = 'match';
CREATE OR REPLACE TEMP TABLE company_cannot_link AS
  SELECT left_key AS a, right_key AS b FROM company_pairs WHERE decision = 'non-match' AND (score < 0 OR decided_by <> 'score');
CREATE OR REPLACE TEMP TABLE company_first_components AS
  SELECT * FROM connected_components('stg_companies', 'company_match_edges');
CREATE OR REPLACE TEMP TABLE company_labels AS
  SELECT * FROM cluster_labels('company_first_components', 'company_cannot_link');
-- @repeat
UPDATE company_labels SET label = m.new_label
  FROM merge_step('company_labels', 'company_match_edges', 'company_cannot_link') m
  WHERE company_labels.label = m.old_label;
CREATE OR REPLACE TEMP TABLE company_components AS
  SELECT record_key, label AS component FROM company_labels;
CREATE OR REPLACE TABLE company_clusters AS
  SELECT * FROM stable_golden_ids('company_components', 'company', 'C');
