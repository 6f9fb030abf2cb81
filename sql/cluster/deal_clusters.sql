-- kind: script
-- depends: cluster_macros, stg_deals, deal_pairs, prev_xref
-- reads the input review_pair_decisions (cycle/review_inputs.go)
-- test: unique(record_key)
-- test: not_null(golden_id)
-- Deal clusters: connected components over matched pairs, re-clustered
-- without chaining where a component holds a compared non-match (see
-- cluster_macros), then golden ids carried over from the previous run.
-- Review decisions (review_pair_decisions) win over scores: must_link is a
-- match edge stronger than any score, cannot_link a compared non-match.
-- Deals are few per company, so the work runs on the record keys.
CREATE OR REPLACE TEMP TABLE deal_decided AS
  SELECT least(left_key, right_key) AS a, greatest(left_key, right_key) AS b, decision
  FROM review_pair_decisions WHERE entity = 'deal' AND left_key <> right_key;
CREATE OR REPLACE TEMP TABLE deal_match_edges AS
  SELECT left_key AS a, right_key AS b,
         CASE WHEN decided_by = 'cross_id' THEN 1e9 ELSE score END AS strength
  FROM deal_pairs p WHERE decision = 'match'
    AND NOT EXISTS (SELECT 1 FROM deal_decided d WHERE d.a = least(p.left_key, p.right_key) AND d.b = greatest(p.left_key, p.right_key) AND d.decision = 'cannot_link')
  UNION ALL
  SELECT a, b, 2e9 FROM deal_decided WHERE decision = 'must_link'
  UNION ALL
  -- a deleted record stays with the live records it shared a golden id with
  -- in the previous run: deletions can then propagate (outbox archive_rows),
  -- and a deleted record is never created again in the other CRM
  -- (testdata/scenarios/deletion_propagated)
  SELECT least(d.record_key, l.record_key), greatest(d.record_key, l.record_key), 1e9
  FROM stg_deals d
  JOIN prev_xref pd ON pd.entity = 'deal' AND pd.system = d.system AND pd.object = d.object AND pd.record_id = d.record_id
  JOIN prev_xref pl ON pl.entity = 'deal' AND pl.golden_id = pd.golden_id
  JOIN stg_deals l ON l.system = pl.system AND l.object = pl.object AND l.record_id = pl.record_id AND NOT l.deleted
  WHERE d.deleted AND d.record_key <> l.record_key;
CREATE OR REPLACE TEMP TABLE deal_cannot_link AS
  SELECT left_key AS a, right_key AS b FROM deal_pairs p
  WHERE decision = 'non-match' AND (score < 0 OR decided_by <> 'score')
    AND NOT EXISTS (SELECT 1 FROM deal_decided d WHERE d.a = least(p.left_key, p.right_key) AND d.b = greatest(p.left_key, p.right_key) AND d.decision = 'must_link')
  UNION ALL
  SELECT a, b FROM deal_decided WHERE decision = 'cannot_link';
CREATE OR REPLACE TEMP TABLE deal_cc AS
  SELECT * FROM cc_start('deal_match_edges');
-- @repeat
UPDATE deal_cc SET comp = s.comp, round = s.round
  FROM cc_step('deal_cc', 'deal_match_edges') s
  WHERE deal_cc.node = s.node;
CREATE OR REPLACE TEMP TABLE deal_first_components AS
  SELECT n.record_key, coalesce(c.comp, n.record_key) AS component
  FROM stg_deals n LEFT JOIN deal_cc c ON c.node = n.record_key;
CREATE OR REPLACE TEMP TABLE deal_conflicted AS
  SELECT * FROM conflicted_labels('deal_first_components', 'deal_cannot_link');
CREATE OR REPLACE TEMP TABLE deal_conflict_edges AS
  SELECT * FROM edges_within('deal_match_edges', 'deal_conflicted');
CREATE OR REPLACE TEMP TABLE deal_conflict_cannot AS
  SELECT * FROM edges_within('deal_cannot_link', 'deal_conflicted');
-- @repeat
UPDATE deal_conflicted SET label = m.new_label
  FROM merge_step('deal_conflicted', 'deal_conflict_edges', 'deal_conflict_cannot') m
  WHERE deal_conflicted.label = m.old_label;
CREATE OR REPLACE TEMP TABLE deal_components AS
  SELECT f.record_key, coalesce(x.label, f.component) AS component
  FROM deal_first_components f
  LEFT JOIN deal_conflicted x ON x.record_key = f.record_key;
CREATE OR REPLACE TABLE deal_clusters AS
  SELECT * FROM stable_golden_ids('deal_components', 'deal', 'D');

-- the working tables go now: no later model reads them, and at a million
-- people they would hold memory (or DuckDB's temp files) to the end
DROP TABLE deal_decided;
DROP TABLE deal_match_edges;
DROP TABLE deal_cannot_link;
DROP TABLE deal_cc;
DROP TABLE deal_first_components;
DROP TABLE deal_conflicted;
DROP TABLE deal_conflict_edges;
DROP TABLE deal_conflict_cannot;
DROP TABLE deal_components;
