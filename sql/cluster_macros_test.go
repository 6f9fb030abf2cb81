package sql_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// TestConnectedComponents runs cc_start and cc_step as the cluster models do
// (the step repeated until no label changes) on a long chain, whose smallest
// label needs a round per hop, and on random graphs, against union-find.
// Each node must end with the smallest node of its component.
func TestConnectedComponents(t *testing.T) {
	ctx := context.Background()
	db := testDB(ctx, t)
	// the golden id macros read the last run's xref; the components do not
	if _, err := db.ExecContext(ctx, `CREATE TABLE prev_xref (entity VARCHAR, golden_id VARCHAR, system VARCHAR, object VARCHAR, record_id VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	if _, err := (&transform.Runner{DB: db}).Run(ctx, embeddedModels(t, "macros/cluster_macros.sql")); err != nil {
		t.Fatal(err)
	}
	chain := [][2]int64{}
	for i := int64(40); i > 1; i-- { // 40-39, 39-38, ... 2-1, listed from the far end
		chain = append(chain, [2]int64{i - 1, i})
	}
	chain = append(chain, [2]int64{100, 101}, [2]int64{101, 102}, [2]int64{100, 102}) // a cycle
	graphs := map[string][][2]int64{"chain": chain}
	rng := rand.New(rand.NewPCG(7, 9))
	for _, name := range []string{"sparse", "dense"} {
		n, m := 2000, 1200
		if name == "dense" {
			m = 2500
		}
		var edges [][2]int64
		for range m {
			a, b := rng.Int64N(int64(n))+1, rng.Int64N(int64(n))+1
			if a == b {
				continue
			}
			edges = append(edges, [2]int64{min(a, b), max(a, b)})
		}
		graphs[name] = edges
	}
	for name, edges := range graphs {
		t.Run(name, func(t *testing.T) {
			want := unionFindMin(edges)
			for _, q := range []string{"DROP TABLE IF EXISTS e", "DROP TABLE IF EXISTS cc", "CREATE TABLE e (a BIGINT, b BIGINT)"} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			for _, e := range edges {
				if _, err := db.ExecContext(ctx, "INSERT INTO e VALUES (?, ?)", e[0], e[1]); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecContext(ctx, "CREATE TABLE cc AS SELECT * FROM cc_start('e')"); err != nil {
				t.Fatal(err)
			}
			rounds := 0
			for ; rounds < 1000; rounds++ {
				res, err := db.ExecContext(ctx, "UPDATE cc SET comp = s.comp, round = s.round FROM cc_step('cc', 'e') s WHERE cc.node = s.node")
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					break
				}
			}
			if name == "chain" && rounds < 39 {
				t.Errorf("chain settled in %d rounds: the label of node 1 needs 39 hops", rounds)
			}
			rows, err := db.QueryContext(ctx, "SELECT node, comp FROM cc")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := map[int64]int64{}
			for rows.Next() {
				var node, comp int64
				if err := rows.Scan(&node, &comp); err != nil {
					t.Fatal(err)
				}
				got[node] = comp
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%d labelled nodes, want %d", len(got), len(want))
			}
			for node, comp := range want {
				if got[node] != comp {
					t.Errorf("node %d: component %d, want %d", node, got[node], comp)
				}
			}
		})
	}
}

// unionFindMin labels every node of the edges with the smallest node of its
// component.
func unionFindMin(edges [][2]int64) map[int64]int64 {
	parent := map[int64]int64{}
	var find func(x int64) int64
	find = func(x int64) int64 {
		if parent[x] != x {
			parent[x] = find(parent[x])
		}
		return parent[x]
	}
	for _, e := range edges {
		for _, x := range e {
			if _, ok := parent[x]; !ok {
				parent[x] = x
			}
		}
		a, b := find(e[0]), find(e[1])
		if a != b {
			parent[max(a, b)] = min(a, b)
		}
	}
	out := map[int64]int64{}
	for x := range parent {
		out[x] = find(x)
	}
	return out
}
