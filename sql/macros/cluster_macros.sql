-- kind: macros
-- depends: prev_xref
-- Clustering shared by persons, companies and deals.

-- Connected components, each labelled with the smallest record key it
-- holds, by label propagation in repeated UPDATEs (a script's "-- @repeat";
-- a keyed recursive CTE took 15 times longer at 200k people):
-- cc_start(edges): node, comp, round for the nodes with an edge, each its
-- own label in round 0; cc_step(labels, edges): node, comp, round for the
-- nodes whose smallest neighbouring label (edges a, b, both directions) is
-- below their own. Run cc_step until nothing changes; nodes without an
-- edge are their own component.
-- Only the nodes whose label fell in the last round (the frontier) pass it
-- on: a node that kept its label has already offered it to its neighbours,
-- whose labels have only fallen since. The first round reads every node,
-- the later ones the few that changed (clusters of duplicates are small),
-- where every round joined every node's label to its edges.
CREATE OR REPLACE MACRO cc_start(edges) AS TABLE
SELECT node, node AS comp, 0 AS round FROM (SELECT a AS node FROM query_table(edges) UNION SELECT b FROM query_table(edges));
CREATE OR REPLACE MACRO cc_step(labels, edges) AS TABLE
WITH last AS (
  SELECT max(round) AS round FROM query_table(labels)
),
frontier AS (
  SELECT c.node, c.comp FROM query_table(labels) c, last WHERE c.round = last.round
),
undirected AS (
  SELECT a AS src, b AS dst FROM query_table(edges)
  UNION ALL
  SELECT b, a FROM query_table(edges)
),
lowest AS (
  SELECT e.dst AS node, min(f.comp) AS comp
  FROM frontier f JOIN undirected e ON e.src = f.node
  GROUP BY e.dst
)
SELECT x.node, x.comp, last.round + 1 AS round
FROM lowest x JOIN query_table(labels) c ON c.node = x.node, last
WHERE x.comp < c.comp;

-- stable_golden_ids(components, ent, prefix): golden ids that survive runs.
-- A previous golden id stays with the component that holds most of its
-- records (ties to the smaller component key); a component with no previous
-- id gets one derived from its smallest record key.
CREATE OR REPLACE MACRO stable_golden_ids(components, ent, prefix) AS TABLE
WITH prev AS (
  SELECT system || ':' || object || ':' || record_id AS record_key, golden_id
  FROM prev_xref WHERE entity = ent
),
votes AS (
  SELECT c.component, p.golden_id, count(*) AS n
  FROM query_table(components) c JOIN prev p ON p.record_key = c.record_key
  GROUP BY c.component, p.golden_id
),
per_id AS (
  SELECT *, row_number() OVER (PARTITION BY golden_id ORDER BY n DESC, component) AS rank_for_id
  FROM votes
),
kept AS (
  SELECT component, golden_id FROM (
    SELECT component, golden_id, row_number() OVER (PARTITION BY component ORDER BY n DESC, golden_id) AS rank_for_component
    FROM per_id WHERE rank_for_id = 1)
  WHERE rank_for_component = 1
)
SELECT c.record_key, c.component,
       coalesce(k.golden_id, prefix || substr(md5(c.component), 1, 15)) AS golden_id,
       count(*) OVER (PARTITION BY c.component) AS cluster_size
FROM query_table(components) c
LEFT JOIN kept k ON k.component = c.component;

-- stable_golden_ids_by_rid(components, prev_ids, keys, prefix): the same on
-- integer keys, for persons: components (rid, component rid), prev_ids
-- (rid, golden_id of the previous run), keys (rid, record_key). A rid
-- orders records as their record key does (stg_persons numbers them by
-- system, object, record_id, and no system or object name is a prefix of
-- another), so ties and new ids come out as stable_golden_ids'. Returns
-- record_key, component (its record key), golden_id, cluster_size and rid.
CREATE OR REPLACE MACRO stable_golden_ids_by_rid(components, prev_ids, keys, prefix) AS TABLE
WITH votes AS (
  SELECT c.component, p.golden_id, count(*) AS n
  FROM query_table(components) c JOIN query_table(prev_ids) p ON p.rid = c.rid
  GROUP BY c.component, p.golden_id
),
per_id AS (
  SELECT *, row_number() OVER (PARTITION BY golden_id ORDER BY n DESC, component) AS rank_for_id
  FROM votes
),
kept AS (
  SELECT component, golden_id FROM (
    SELECT component, golden_id, row_number() OVER (PARTITION BY component ORDER BY n DESC, golden_id) AS rank_for_component
    FROM per_id WHERE rank_for_id = 1)
  WHERE rank_for_component = 1
),
sized AS (
  SELECT component, count(*) AS cluster_size FROM query_table(components) GROUP BY component
),
ids AS (
  SELECT z.component, ck.record_key AS component_key,
         coalesce(k.golden_id, prefix || substr(md5(ck.record_key), 1, 15)) AS golden_id, z.cluster_size
  FROM sized z
  JOIN query_table(keys) ck ON ck.rid = z.component
  LEFT JOIN kept k ON k.component = z.component
)
SELECT s.record_key, i.component_key AS component, i.golden_id, i.cluster_size, c.rid
FROM query_table(components) c
JOIN ids i ON i.component = c.component
JOIN query_table(keys) s ON s.rid = c.rid;

-- Anti-chaining. Connected components chain weak links: A-B and B-C match,
-- so A and C end up together even when A-C was compared and scored a clear
-- non-match (two sites of one organisation sharing a phone, say). Records of
-- a component that holds such a "cannot link" pair are re-clustered
-- greedily: clusters join along their strongest match edge, strongest first,
-- and never when any compared pair across the two is a non-match. Each round
-- merges every pair of clusters that are each other's best allowed partner
-- (so one round's merges are disjoint); a script repeats it until nothing
-- merges. Components without a conflict, nearly all, are left as they are.

-- conflicted_labels(components, cannot): record_key, label for the records
-- of components that hold a cannot-link pair; each starts alone. Labels are
-- record keys of the component, so the smallest stays the component's key
-- when everything merges back.
CREATE OR REPLACE MACRO conflicted_labels(components, cannot) AS TABLE
WITH conflicted AS (
  SELECT DISTINCT ca.component
  FROM query_table(cannot) n
  JOIN query_table(components) ca ON ca.record_key = n.a
  JOIN query_table(components) cb ON cb.record_key = n.b
  WHERE ca.component = cb.component
)
SELECT c.record_key, c.component, true AS conflicted, c.record_key AS label
FROM query_table(components) c SEMI JOIN conflicted USING (component);

-- edges_within(edges, labels): the rows of edges (a, b, ...) with both ends
-- in labels
CREATE OR REPLACE MACRO edges_within(edges, labels) AS TABLE
SELECT e.* FROM query_table(edges) e
SEMI JOIN query_table(labels) la ON la.record_key = e.a
SEMI JOIN query_table(labels) lb ON lb.record_key = e.b;

-- cluster_labels(components, cannot): record_key, label; records of a
-- conflicted component start alone, the others keep their component
CREATE OR REPLACE MACRO cluster_labels(components, cannot) AS TABLE
WITH conflicted AS (
  SELECT DISTINCT ca.component
  FROM query_table(cannot) n
  JOIN query_table(components) ca ON ca.record_key = n.a
  JOIN query_table(components) cb ON cb.record_key = n.b
  WHERE ca.component = cb.component
)
SELECT c.record_key, c.component, c.component IN (SELECT component FROM conflicted) AS conflicted,
       CASE WHEN c.component IN (SELECT component FROM conflicted) THEN c.record_key ELSE c.component END AS label
FROM query_table(components) c;

-- merge_step(labels, edges, cannot): old_label -> new_label for one round
-- of merges; edges carry (a, b, strength), cannot carries (a, b)
CREATE OR REPLACE MACRO merge_step(labels, edges, cannot) AS TABLE
WITH lab AS (
  SELECT record_key, label FROM query_table(labels) WHERE conflicted
),
links AS (
  SELECT least(la.label, lb.label) AS x, greatest(la.label, lb.label) AS y, max(e.strength) AS strength
  FROM query_table(edges) e
  JOIN lab la ON la.record_key = e.a
  JOIN lab lb ON lb.record_key = e.b
  WHERE la.label <> lb.label
  GROUP BY ALL
),
blocked AS (
  SELECT DISTINCT least(la.label, lb.label) AS x, greatest(la.label, lb.label) AS y
  FROM query_table(cannot) n
  JOIN lab la ON la.record_key = n.a
  JOIN lab lb ON lb.record_key = n.b
  WHERE la.label <> lb.label
),
allowed AS (
  SELECT * FROM links ANTI JOIN blocked USING (x, y)
),
-- each cluster's best partner; ties go to the smaller label so both sides agree
best AS (
  SELECT c, other FROM (
    SELECT c, other, row_number() OVER (PARTITION BY c ORDER BY strength DESC, least(c, other), greatest(c, other)) AS rank
    FROM (SELECT x AS c, y AS other, strength FROM allowed UNION ALL SELECT y, x, strength FROM allowed))
  WHERE rank = 1
)
SELECT b1.other AS old_label, b1.c AS new_label
FROM best b1 JOIN best b2 ON b2.c = b1.other AND b2.other = b1.c
WHERE b1.c < b1.other;
