package bench

import (
	"context"
	"path/filepath"
	"testing"
)

func TestRunSmall(t *testing.T) {
	dir := t.TempDir()
	rep, err := Run(context.Background(), Options{People: 300, Seed: 1, MemoryLimit: "1GB", Threads: 2, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Entities) != 3 || len(rep.Models) == 0 || rep.PeakRSSRun <= 0 {
		t.Fatalf("incomplete report: %+v", rep)
	}
	for _, e := range rep.Entities {
		if e.Records == 0 || e.CandidatePairs == 0 {
			t.Errorf("%s: records %d candidate pairs %d", e.Entity, e.Records, e.CandidatePairs)
		}
		if e.Entity == "person" && e.F1 < 0.9 {
			t.Errorf("person F1 %.3f on 300 people", e.F1)
		}
	}
	if err := rep.WriteJSON(filepath.Join(dir, "r.json")); err != nil {
		t.Fatal(err)
	}
}

// The matching-only stand-ins must satisfy what cycle.Run reads from the
// published tables (conflicts.first_seen_at broke them once).
func TestRunMatchingOnlySmall(t *testing.T) {
	rep, err := Run(context.Background(), Options{People: 300, Seed: 1, MemoryLimit: "1GB", Threads: 2,
		WorkDir: t.TempDir(), MatchingOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Entities) != 3 {
		t.Fatalf("entities: %+v", rep.Entities)
	}
	for _, e := range rep.Entities {
		if e.Entity == "person" && e.F1 < 0.9 {
			t.Errorf("person F1 %.3f on 300 people", e.F1)
		}
	}
}
