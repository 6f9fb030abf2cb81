package cycle

import (
	"context"
	"database/sql"
	"io/fs"
	"log/slog"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/transform"
)

// PrepareTransform creates on db every table, variable and macro the SQL
// models read, as a run's transform step does: the lake's current raw
// files, the reference tables of models, the last published run's tables
// and the pipeline's settings. `crmhub models` uses it to run and test the
// models outside a run; on an empty lake the raw tables are empty.
func PrepareTransform(ctx context.Context, db *sql.DB, store lake.Store, models fs.FS, p *pipelines.Pipeline, workDir string) error {
	prev, err := ReadLatest(ctx, store)
	if err != nil {
		return err
	}
	return prepareModels(ctx, db, store, models, p, prev, workDir, prepareOptions{})
}

// prepareOptions say what kind of run prepareModels prepares for.
type prepareOptions struct {
	// Incremental sets what the models rebuild (person_scope).
	Incremental bool
	// DeferPersons leaves the person records' versions for
	// loadPersonVersions, which the runner must call before
	// person_field_changes (personVersionsHook).
	DeferPersons bool
	// Compact writes raw snapshots of the views worth compacting
	// (cycle/rawsnap.go): a run does, `crmhub models` only reads the lake.
	Compact bool
	// RawFiles reads every view from its raw files, past any snapshot: a
	// check recomputing from the truth (RecomputeFull).
	RawFiles bool
	Log      *slog.Logger
}

// prepareModels creates every input of the models for a run after the
// published run prev (nil: the first run).
func prepareModels(ctx context.Context, db *sql.DB, store lake.Store, models fs.FS, p *pipelines.Pipeline, prev *Latest, workDir string, o prepareOptions) error {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	prevXref, lastRunAt := "", time.Time{}
	if prev != nil {
		var err error
		if prevXref, err = store.LocalPath(ctx, prev.Tables["xref"]); err != nil {
			return err
		}
		lastRunAt = prev.FinishedAt
	}
	in, writes, err := transformInputs(ctx, store, models, p, prevXref, lastRunAt, workDir, o)
	if err != nil {
		return err
	}
	if err := transform.Prepare(ctx, db, in); err != nil {
		return err
	}
	saveSnapshots(ctx, db, store, in, writes, o.Log)
	if err := goldenInputs(ctx, db, store, p, prev, o); err != nil {
		return err
	}
	return incrementalInputs(ctx, db, store, prev, o.Incremental)
}

// transformExports are the tables the transform step exports for the
// publish, in the order it writes them.
func transformExports() []string {
	return []string{"xref", "golden_persons", "golden_companies", "golden_deals", "match_pairs", "review_queue", "conflicts", "outbox"}
}

// transformRetained are the tables the runner keeps past their last model
// (transform.Runner.Release): read after the models by the exports, the
// match state, the counts and the quality figures, and prev_writes, which
// the load and the history read after the transform. Every other table
// goes once no later model reads it. At a million people the inputs, the
// candidates, the clustering's and golden models' tables were otherwise
// kept to the end of the transform: 6.6 GB at the exports, of which 2.6 GB
// in DuckDB's temp files under its 5GB memory limit, written and read back
// by the models after (docs/scaling.md, 2026-12-07 20:30).
func transformRetained() []string {
	return append(transformExports(), stateStagedPersons, statePersonPairs, stateStagedCompanies, stateStagedDeals,
		"person_scope", "company_scope", "deal_scope", "prev_writes")
}

// personVersionsHook loads the person record versions person_field_changes
// reads, once person_scope exists (see prepareModels' deferPersons).
func personVersionsHook(db *sql.DB, store lake.Store) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"person_field_changes": func(ctx context.Context) error { return loadPersonVersions(ctx, db, store) },
	}
}
