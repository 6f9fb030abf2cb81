-- kind: macros
-- depends: prev_xref
-- Clustering shared by persons, companies and deals.

-- connected_components(nodes, edges): every node of table `nodes` (column
-- record_key) with the smallest record_key reachable through table `edges`
-- (columns a, b). Label propagation with a keyed recursive CTE: each round
-- only rows whose label dropped propagate further.
CREATE OR REPLACE MACRO connected_components(nodes, edges) AS TABLE
WITH RECURSIVE undirected AS (
  SELECT a AS src, b AS dst FROM query_table(edges)
  UNION ALL
  SELECT b, a FROM query_table(edges)
),
cc(node, comp) USING KEY (node) AS (
  SELECT record_key, record_key FROM query_table(nodes)
  UNION
  SELECT x.node, x.comp
  FROM (SELECT e.dst AS node, min(c.comp) AS comp
        FROM cc c JOIN undirected e ON e.src = c.node
        GROUP BY e.dst) x
  JOIN recurring.cc r ON r.node = x.node
  WHERE x.comp < r.comp
)
SELECT node AS record_key, comp AS component FROM cc;

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
