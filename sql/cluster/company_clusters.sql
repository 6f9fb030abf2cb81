-- kind: script
-- depends: cluster_macros, stg_companies, company_pairs, prev_xref
-- reads the input review_pair_decisions (cycle/review_inputs.go)
-- test: unique(record_key)
-- test: not_null(golden_id)
-- Company clusters: connected components over matched pairs, re-clustered
-- without chaining where a component holds a compared non-match (see
-- cluster_macros), then golden ids carried over from the previous run.
-- Review decisions (review_pair_decisions) win over scores: a must_link
-- pair is a match edge stronger than any score, a cannot_link pair a
-- compared non-match, so anti-chaining keeps its records apart.
-- The work runs on the integer rid of stg_companies; only the records of
-- conflicted components take part in the repeated merge rounds.
CREATE OR REPLACE TEMP TABLE company_nodes AS
  SELECT rid AS record_key FROM stg_companies;
CREATE OR REPLACE TEMP TABLE company_decided AS
  SELECT least(l.rid, r.rid) AS a, greatest(l.rid, r.rid) AS b, d.decision
  FROM review_pair_decisions d
  JOIN stg_companies l ON l.record_key = d.left_key
  JOIN stg_companies r ON r.record_key = d.right_key
  WHERE d.entity = 'company' AND l.rid <> r.rid;
CREATE OR REPLACE TEMP TABLE company_match_edges AS
  SELECT a, b,
         CASE WHEN decided_by = 'cross_id' THEN 1e9 ELSE score END AS strength
  FROM company_links WHERE decision = 'match'
    AND NOT EXISTS (SELECT 1 FROM company_decided d WHERE d.a = least(company_links.a, company_links.b) AND d.b = greatest(company_links.a, company_links.b) AND d.decision = 'cannot_link')
  UNION ALL
  SELECT a, b, 2e9 FROM company_decided WHERE decision = 'must_link'
  UNION ALL
  -- a deleted record stays with the live records it shared a golden id with
  -- in the previous run: deletions can then propagate (outbox archive_rows),
  -- and a deleted record is never created again in the other CRM
  -- (testdata/scenarios/deletion_propagated)
  SELECT least(d.rid, l.rid), greatest(d.rid, l.rid), 1e9
  FROM stg_companies d
  JOIN prev_xref pd ON pd.entity = 'company' AND pd.system = d.system AND pd.object = d.object AND pd.record_id = d.record_id
  JOIN prev_xref pl ON pl.entity = 'company' AND pl.golden_id = pd.golden_id
  JOIN stg_companies l ON l.system = pl.system AND l.object = pl.object AND l.record_id = pl.record_id AND NOT l.deleted
  WHERE d.deleted AND d.rid <> l.rid;
CREATE OR REPLACE TEMP TABLE company_cannot_link AS
  SELECT a, b FROM company_links WHERE decision = 'non-match'
    AND NOT EXISTS (SELECT 1 FROM company_decided d WHERE d.a = least(company_links.a, company_links.b) AND d.b = greatest(company_links.a, company_links.b) AND d.decision = 'must_link')
  UNION ALL
  SELECT a, b FROM company_decided WHERE decision = 'cannot_link';
CREATE OR REPLACE TEMP TABLE company_cc AS
  SELECT * FROM cc_start('company_match_edges');
-- @repeat
UPDATE company_cc SET comp = s.comp, round = s.round
  FROM cc_step('company_cc', 'company_match_edges') s
  WHERE company_cc.node = s.node;
CREATE OR REPLACE TEMP TABLE company_first_components AS
  SELECT n.record_key, coalesce(c.comp, n.record_key) AS component
  FROM company_nodes n LEFT JOIN company_cc c ON c.node = n.record_key;
CREATE OR REPLACE TEMP TABLE company_conflicted AS
  SELECT * FROM conflicted_labels('company_first_components', 'company_cannot_link');
CREATE OR REPLACE TEMP TABLE company_conflict_edges AS
  SELECT * FROM edges_within('company_match_edges', 'company_conflicted');
CREATE OR REPLACE TEMP TABLE company_conflict_cannot AS
  SELECT * FROM edges_within('company_cannot_link', 'company_conflicted');
-- @repeat
UPDATE company_conflicted SET label = m.new_label
  FROM merge_step('company_conflicted', 'company_conflict_edges', 'company_conflict_cannot') m
  WHERE company_conflicted.label = m.old_label;
CREATE OR REPLACE TEMP TABLE company_components AS
  SELECT s.record_key, ck.record_key AS component
  FROM company_first_components f
  LEFT JOIN company_conflicted x ON x.record_key = f.record_key
  JOIN stg_companies s ON s.rid = f.record_key
  JOIN stg_companies ck ON ck.rid = coalesce(x.label, f.component);
CREATE OR REPLACE TABLE company_clusters AS
  SELECT * FROM stable_golden_ids('company_components', 'company', 'C');

-- the working tables go now: no later model reads them, and at a million
-- people they would hold memory (or DuckDB's temp files) to the end
-- (company_links is company_pairs' table, read here only)
DROP TABLE company_nodes;
DROP TABLE company_decided;
DROP TABLE company_match_edges;
DROP TABLE company_cannot_link;
DROP TABLE company_cc;
DROP TABLE company_first_components;
DROP TABLE company_conflicted;
DROP TABLE company_conflict_edges;
DROP TABLE company_conflict_cannot;
DROP TABLE company_components;
DROP TABLE company_links;
