package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/report"
)

// ReportCmd is `crmhub report`: (re)writes the HTML report of the last run
// and the history dashboard. Runs write them themselves; this is for a run
// whose report failed, or after an upgrade.
type ReportCmd struct {
	Lake string `help:"Lake location: a folder or s3://bucket/prefix." default:"./lake"`
}

func (r *ReportCmd) Run(ctx context.Context, g *Globals) error {
	store, err := openLake(ctx, r.Lake)
	if err != nil {
		return err
	}
	latest, err := cycle.ReadLatest(ctx, store)
	if err != nil {
		return err
	}
	if latest == nil {
		return errors.New("nothing published in " + store.String() + " yet: run `crmhub demo` or `crmhub run` first")
	}
	if err := report.Publish(ctx, store, latest.RunID, latest.Tables, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "wrote %s/%s and %s/%s\n", store, report.RunKey(latest.RunID), store, report.DashboardKey)
	return nil
}
