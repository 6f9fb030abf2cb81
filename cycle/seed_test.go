package cycle

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/seed"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

func runSeed(t *testing.T, dir string) *Report {
	t.Helper()
	d, err := seed.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Config{Store: store, Pipeline: pipelines.Default(), Models: sqlmodels.Models,
		Sources: SeedSources(d), Truth: d.Truth, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestBenchmarkSeedsQuality(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "datasets")
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("benchmark seeds not found at %s (CI checks out ../shared beside the repo): %v", root, err)
	}
	// Floors guard against regressions: a little under the figures in
	// docs/quality.md, all from one default pipeline. febrl4 above 0.9 is
	// the foundation's bar; issue #5 sets the higher targets.
	floors := []struct {
		seed string
		f1   float64
	}{
		{"febrl1", 0.99}, {"febrl2", 0.99}, {"febrl3", 0.99}, {"febrl4", 0.995},
		{"fake_1000", 0.93}, {"chicago_orgs", 0.93}, {"restaurants", 0.97},
	}
	for _, fl := range floors {
		name := fl.seed
		t.Run(name, func(t *testing.T) {
			rep := runSeed(t, filepath.Join(root, name))
			if len(rep.Quality) == 0 {
				t.Fatal("no quality scores: truth.csv not matched to any record")
			}
			for _, q := range rep.Quality {
				t.Logf("%s %s: P=%.4f R=%.4f F1=%.4f (pairs true %d predicted %d)", name, q.Entity, q.Precision, q.Recall, q.F1, q.TruePairs, q.PredictedPairs)
				if q.F1 < fl.f1 {
					t.Errorf("%s %s: F1 %.4f below the floor %.3f", name, q.Entity, q.F1, fl.f1)
				}
			}
			for _, m := range rep.Models {
				t.Logf("model %s rows=%d %v", m.Model, m.Rows, m.Duration)
			}
		})
	}
}
