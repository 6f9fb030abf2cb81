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

// releaseHooks drop, once the named model is built, the tables that no
// later model, export or match state reads. At a million people the person
// candidates (23 M pairs, read only by person_pairs) were otherwise kept
// to the end of the transform, and what does not fit under DuckDB's memory
// limit is written to its temp files and read back by the models after.
//
// The record versions (raw_versions: one row per record and field on a
// first run, 30 M of them for persons at a million people per system) are
// read by field_changes and person_field_changes alone, and the person
// field changes by person_values alone: on a first run they were written
// to DuckDB's temp files while the golden models after them ran.
func releaseHooks(db *sql.DB) map[string]func(context.Context) error {
	drop := func(table string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS `+transform.QuoteIdent(table))
			return err
		}
	}
	// raw_versions goes once both its readers ran, in whichever order
	versionReaders := 2
	versionsRead := func(ctx context.Context) error {
		if versionReaders--; versionReaders > 0 {
			return nil
		}
		return drop("raw_versions")(ctx)
	}
	return map[string]func(context.Context) error{
		"person_pairs":         drop("person_candidates"),
		"field_changes":        versionsRead,
		"person_field_changes": versionsRead,
		"person_values":        drop("person_field_changes"),
	}
}

// personVersionsHook loads the person record versions person_field_changes
// reads, once person_scope exists (see prepareModels' deferPersons).
func personVersionsHook(db *sql.DB, store lake.Store) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"person_field_changes": func(ctx context.Context) error { return loadPersonVersions(ctx, db, store) },
	}
}
