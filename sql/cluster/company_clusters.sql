-- kind: script
-- depends: cluster_macros, stg_companies, company_pairs, prev_xref
-- test: unique(record_key)
-- test: not_null(golden_id)
CREATE OR REPLACE TEMP TABLE company_match_edges AS
  SELECT left_key AS a, right_key AS b FROM company_pairs WHERE decision = 'match';
CREATE OR REPLACE TEMP TABLE company_components AS
  SELECT * FROM connected_components('stg_companies', 'company_match_edges');
CREATE OR REPLACE TABLE company_clusters AS
  SELECT * FROM stable_golden_ids('company_components', 'company', 'C');
