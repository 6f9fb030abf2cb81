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
	for _, name := range []string{"febrl1", "febrl2", "febrl3", "febrl4", "fake_1000", "chicago_orgs", "restaurants"} {
		t.Run(name, func(t *testing.T) {
			rep := runSeed(t, filepath.Join(root, name))
			for _, q := range rep.Quality {
				t.Logf("%s %s: P=%.4f R=%.4f F1=%.4f (pairs true %d predicted %d)", name, q.Entity, q.Precision, q.Recall, q.F1, q.TruePairs, q.PredictedPairs)
			}
			for _, m := range rep.Models {
				t.Logf("model %s rows=%d %v", m.Model, m.Rows, m.Duration)
			}
		})
	}
}
