package cycle

import (
	"context"
	"log/slog"

	"github.com/crmhub/crmhub/docsgen"
	"github.com/crmhub/crmhub/report"
)

// afterPublish writes what people read after a run: the run's HTML report,
// the history dashboard and, on a local lake, the analyst database. The run
// is already published when it runs, so a failure here is logged and does
// not fail the run; `crmhub report` writes them again.
func afterPublish(ctx context.Context, cfg Config, rep *Report, log *slog.Logger) {
	if rep == nil || rep.Published == nil {
		return
	}
	if err := report.Publish(ctx, cfg.Store, rep.RunID, rep.Published.Tables, cfg.Now()); err != nil {
		log.Error("run report", "run_id", rep.RunID, "err", err)
	}
	if _, err := docsgen.PublishAnalystDB(ctx, cfg.Store, rep.RunID, rep.Published.Tables, cfg.Models); err != nil {
		log.Error("analyst database", "run_id", rep.RunID, "err", err)
	}
}
