package demo_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/internal/lake"
)

// TestNightsContinue runs the demo three times on one lake, as a user
// running `crmhub demo` night after night: each run restores the
// simulators from the lake, a day of edits follows, and the run must
// succeed with the CRMs' schema as the runs left it. Before the schema was
// kept, the second night failed: HubSpot refused the upsert on
// crmhub_golden_id, no longer a unique property.
func TestNightsContinue(t *testing.T) {
	ctx := context.Background()
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for night := range 3 {
		res, err := demo.Run(ctx, demo.Options{Store: store, People: 600, SeedNumber: 5, WorkDir: t.TempDir(), Logger: log})
		if err != nil {
			t.Fatalf("night %d: %v", night, err)
		}
		if res.Day != night {
			t.Fatalf("night %d: demo says day %d", night, res.Day)
		}
		writes, errs := 0, 0
		for _, l := range res.Load {
			writes += l.Records
			errs += len(l.Errors)
		}
		mut := res.Mutations.Total()
		t.Logf("night %d: edits %d (conflicting %d), conflicts raised %d, records written %d, errors %d",
			night, mut.Updated, mut.Conflicts, res.Counts.Conflicts, writes, errs)
		if errs > 0 {
			t.Errorf("night %d: %d record errors", night, errs)
		}
		if writes == 0 {
			t.Errorf("night %d: nothing written back", night)
		}
		if night > 0 && mut.Conflicts > 0 && res.Counts.Conflicts == 0 {
			t.Errorf("night %d: the day's edits collided %d times, the run raised no conflict", night, mut.Conflicts)
		}
	}
}
