-- kind: script
-- depends: cluster_macros, stg_persons, person_pairs, prev_xref
-- reads the input review_pair_decisions (cycle/review_inputs.go)
-- test: unique(record_key)
-- test: not_null(golden_id)
-- Person clusters: connected components over matched pairs, re-clustered
-- without chaining where a component holds a compared non-match (see
-- cluster_macros), then golden ids carried over from the previous run.
-- Review decisions (review_pair_decisions) win over scores: a must_link
-- pair is a match edge stronger than any score, a cannot_link pair a
-- compared non-match, so anti-chaining keeps its records apart.
-- The work runs on the integer rid of stg_persons; only the records of
-- conflicted components take part in the repeated merge rounds. The edges
-- are read from person_pairs where they are used (its decision is an ENUM:
-- the filters are cheap), not copied into a links table first (20 M of its
-- 23 M pairs at a million people, 3.7 s).
CREATE OR REPLACE TEMP TABLE person_nodes AS
  SELECT rid AS record_key FROM stg_persons;
CREATE OR REPLACE TEMP TABLE person_decided AS
  SELECT least(l.rid, r.rid) AS a, greatest(l.rid, r.rid) AS b, d.decision
  FROM review_pair_decisions d
  JOIN stg_persons l ON l.record_key = d.left_key
  JOIN stg_persons r ON r.record_key = d.right_key
  WHERE d.entity = 'person' AND l.rid <> r.rid;
-- the deleted records with their golden id in the previous run: the few
-- rows the deletion edges below start from (joined in one statement, the
-- previous run's golden ids were joined with themselves first, every
-- person's with every other of the same golden id)
CREATE OR REPLACE TEMP TABLE person_deleted_prev AS
  SELECT d.rid, pd.golden_id
  FROM stg_persons d
  JOIN prev_xref pd ON pd.entity = 'person' AND pd.system = d.system AND pd.object = d.object AND pd.record_id = d.record_id
  WHERE d.deleted;
CREATE OR REPLACE TEMP TABLE person_match_edges AS
  SELECT l.left_rid AS a, l.right_rid AS b,
         CASE WHEN l.decided_by = 'cross_id' THEN 1e9 ELSE l.score END AS strength
  FROM person_pairs l
  ANTI JOIN (SELECT a, b FROM person_decided WHERE decision = 'cannot_link') d ON d.a = least(l.left_rid, l.right_rid) AND d.b = greatest(l.left_rid, l.right_rid)
  WHERE l.decision = 'match'
  UNION ALL
  SELECT a, b, 2e9 FROM person_decided WHERE decision = 'must_link'
  UNION ALL
  -- a deleted record stays with the live records it shared a golden id with
  -- in the previous run: deletions can then propagate (outbox archive_rows),
  -- and a deleted record is never created again in the other CRM
  -- (testdata/scenarios/deletion_propagated)
  SELECT least(d.rid, l.rid), greatest(d.rid, l.rid), 1e9
  FROM person_deleted_prev d
  JOIN prev_xref pl ON pl.entity = 'person' AND pl.golden_id = d.golden_id
  JOIN stg_persons l ON l.system = pl.system AND l.object = pl.object AND l.record_id = pl.record_id AND NOT l.deleted
  WHERE d.rid <> l.rid;
CREATE OR REPLACE TEMP TABLE person_cc AS
  SELECT * FROM cc_start('person_match_edges');
-- @repeat
UPDATE person_cc SET comp = s.comp, round = s.round
  FROM cc_step('person_cc', 'person_match_edges') s
  WHERE person_cc.node = s.node;
CREATE OR REPLACE TEMP TABLE person_first_components AS
  SELECT n.record_key, coalesce(c.comp, n.record_key) AS component
  FROM person_nodes n LEFT JOIN person_cc c ON c.node = n.record_key;
-- the cannot-link pairs (compared non-matches: scored below zero or decided
-- by conflicting cross ids; cannot_link decisions) whose
-- two records share a first component: only they make a component
-- conflicted, and the merge rounds only weigh pairs inside a component
-- (clusters join along match edges, which never cross components). At 100k
-- people 1.35M non-match links hold a few thousand such pairs; keeping all
-- of them in a table, then filtering them twice, was a third of the model.
-- Decisions are taken out by an anti join on the ordered pair (a NOT EXISTS
-- correlated on least/greatest cost six times as much at 100k). The two
-- records are looked up among the nodes with a match edge (person_cc) rather
-- than among all records: a record without one is alone in its component,
-- labelled by its own rid, which no other record's component carries, so
-- such a pair never shares a component. The lookup tables are smaller and
-- the second lookup sees only the pairs whose first record has a match
-- edge.
-- A scored non-match pair is looked up only among the records of
-- components of three or more: a component of two holds one pair, the
-- match edge that joined it (a pair is scored once, and deleted records,
-- joined by the deletion edges, are in no pair). The 19 M non-match pairs
-- at a million people were each looked up among 2.2 M records and 18 M of
-- them again for the second record (4.4 s); most records are in
-- components of two, so the lookup table is a fraction of that and few
-- pairs pass the first lookup.
-- cannot_link decisions are looked up among all of them.
CREATE OR REPLACE TEMP TABLE person_conflict_cannot AS
  WITH shared AS (
    SELECT node, comp FROM person_cc SEMI JOIN (SELECT comp FROM person_cc GROUP BY comp HAVING count(*) >= 3) USING (comp)
  )
  SELECT n.a, n.b
  FROM (SELECT l.left_rid AS a, l.right_rid AS b FROM person_pairs l
        ANTI JOIN (SELECT a, b FROM person_decided WHERE decision = 'must_link') d ON d.a = least(l.left_rid, l.right_rid) AND d.b = greatest(l.left_rid, l.right_rid)
        WHERE l.decision = 'non-match' AND (l.score < 0 OR l.decided_by <> 'score')) n
  JOIN shared ca ON ca.node = n.a
  JOIN shared cb ON cb.node = n.b
  WHERE ca.comp = cb.comp
  UNION ALL
  SELECT d.a, d.b
  FROM person_decided d
  JOIN person_cc ca ON ca.node = d.a
  JOIN person_cc cb ON cb.node = d.b
  WHERE d.decision = 'cannot_link' AND ca.comp = cb.comp;
CREATE OR REPLACE TEMP TABLE person_conflicted AS
  SELECT * FROM conflicted_labels('person_first_components', 'person_conflict_cannot');
CREATE OR REPLACE TEMP TABLE person_conflict_edges AS
  SELECT * FROM edges_within('person_match_edges', 'person_conflicted');
-- @repeat
UPDATE person_conflicted SET label = m.new_label
  FROM merge_step('person_conflicted', 'person_conflict_edges', 'person_conflict_cannot') m
  WHERE person_conflicted.label = m.old_label;
-- the golden ids are kept on rids too: each record's component (its merged
-- label, else its first component: the smallest rid either way) and its
-- golden id in the previous run; record keys are joined once per component
-- and once per record at the end (string keys, their windows and joins were
-- most of the model)
CREATE OR REPLACE TEMP TABLE person_components AS
  SELECT f.record_key AS rid, coalesce(x.label, f.component) AS component
  FROM person_first_components f
  LEFT JOIN person_conflicted x ON x.record_key = f.record_key;
CREATE OR REPLACE TEMP TABLE person_prev_ids AS
  SELECT s.rid, p.golden_id
  FROM prev_xref p
  JOIN stg_persons s ON s.system = p.system AND s.object = p.object AND s.record_id = p.record_id
  WHERE p.entity = 'person';
CREATE OR REPLACE TABLE person_clusters AS
  SELECT * FROM stable_golden_ids_by_rid('person_components', 'person_prev_ids', 'stg_persons', 'P');

-- the working tables go now: no later model reads them, and at a million
-- people they would hold memory (or DuckDB's temp files) to the end
DROP TABLE person_nodes;
DROP TABLE person_decided;
DROP TABLE person_deleted_prev;
DROP TABLE person_match_edges;
DROP TABLE person_cc;
DROP TABLE person_first_components;
DROP TABLE person_conflict_cannot;
DROP TABLE person_conflicted;
DROP TABLE person_conflict_edges;
DROP TABLE person_components;
DROP TABLE person_prev_ids;
