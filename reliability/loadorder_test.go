package reliability

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadOrderDoesNotMatter runs two nights on two copies of the same data
// with several write calls in flight per CRM (load.hubspot_workers,
// load.salesforce_workers), so each CRM stamps the records crmhub updated
// in an order of its own. The second night reads those records back: what
// it publishes and writes must not depend on that order. A golden field
// whose tie between duplicates was broken by the records' modification
// times credited one duplicate on one side and another on the other.
func TestLoadOrderDoesNotMatter(t *testing.T) {
	t.Parallel()
	const people, dataSeed, nights = 300, 11, 2
	extra := "load: {hubspot_batch_size: 10, salesforce_batch_size: 10, hubspot_workers: 4, salesforce_workers: 4}\n"
	env := secretEnv()
	ctx := context.Background()
	type side struct {
		state crmState
		lake  string
	}
	var sides [2]side
	for i := range sides {
		base := startSims(t, simOpts{people: people, seed: dataSeed})
		seeded := seededIDs(base.Snapshot())
		dir := t.TempDir()
		pipe := writePipeline(t, dir, base, extra)
		lake := filepath.Join(dir, "lake")
		for n := range nights {
			r := runCrmhub(ctx, t, env, "--log-format", "json", "run", "--pipeline", pipe, "--lake", lake, "--approve", "load order test")
			if r.code != 0 {
				t.Fatalf("side %d, night %d: %s", i+1, n+1, r)
			}
		}
		st, dups := snapshotState(t, base.Snapshot(), seeded)
		if len(dups) > 0 {
			t.Errorf("side %d created duplicates: %v", i+1, dups)
		}
		sides[i] = side{state: st, lake: lake}
	}
	if d := diffStates(sides[0].state, sides[1].state, 30); len(d) > 0 {
		t.Errorf("CRMs differ between the two sides (reference: side 1, crashed: side 2) (%d):\n%s", len(d), strings.Join(d, "\n"))
	}
	db := openDuck(t)
	if d := diffTables(publishedTables(ctx, t, db, sides[0].lake), publishedTables(ctx, t, db, sides[1].lake)); len(d) > 0 {
		t.Errorf("published tables differ between the two sides (reference: side 1, crashed: side 2):\n%s", strings.Join(d, "\n"))
	}
}
