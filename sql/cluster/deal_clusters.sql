-- kind: script
-- depends: cluster_macros, stg_deals, deal_pairs, prev_xref
-- test: unique(record_key)
-- test: not_null(golden_id)
CREATE OR REPLACE TEMP TABLE deal_match_edges AS
  SELECT left_key AS a, right_key AS b FROM deal_pairs WHERE decision = 'match';
CREATE OR REPLACE TEMP TABLE deal_components AS
  SELECT * FROM connected_components('stg_deals', 'deal_match_edges');
CREATE OR REPLACE TABLE deal_clusters AS
  SELECT * FROM stable_golden_ids('deal_components', 'deal', 'D');
