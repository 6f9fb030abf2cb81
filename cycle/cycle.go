// Package cycle runs crmhub's nightly cycle: extract both CRMs into the
// lake, run the SQL models, load the outbox back, and publish the run's
// tables atomically with its history.
package cycle

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/quality"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/transform"
)

// Config is one run's wiring.
type Config struct {
	Store    lake.Store
	Pipeline *pipelines.Pipeline
	// Models is the sql/ tree (models and ref/).
	Models  fs.FS
	Sources []extract.Source
	Targets []load.Target
	// FullExtract ignores cursors.
	FullExtract bool
	// FullTransform rebuilds every golden record even where the pipeline
	// allows an incremental transform (run.incremental).
	FullTransform bool
	// Approve lets the load past the mass-update guard; the reason is recorded.
	Approve string
	// DryRun computes the outbox and publishes nothing to the CRMs.
	DryRun bool
	// Truth, when set, is scored against the run's clusters.
	Truth   []seed.TruthRow
	WorkDir string
	// Engine overrides the pipeline's engine section field by field
	// (benchmarks set the memory limit and threads).
	Engine transform.EngineConfig
	// ProfileDir, when set, receives DuckDB's JSON profile of each model's
	// build (transform.Runner.ProfileDir): `crmhub bench replay --profile`.
	ProfileDir string
	Logger     *slog.Logger
	// Now is the run's clock (default time.Now); the demo moves it a day
	// per run to simulate nightly runs.
	Now func() time.Time
	// Progress reports steps and counts; nil is silent.
	Progress Progress
	// Session is the run holding the lake's lock (Start); nil takes the
	// lock for this call and starts a new run.
	Session *Session
	// APIStats returns the CRM clients' cumulative counters per system,
	// for the per-step API figures in sync_run_steps; nil leaves them out.
	APIStats func() map[string]APIStats
}

// Progress receives what a terminal shows.
type Progress interface {
	Step(name string)
	Count(label string, done, total int64)
}

// Report is what a run did.
type Report struct {
	RunID      string
	StartedAt  time.Time
	Steps      []StepTime
	Extract    []extract.Result
	Models     []transform.Result
	Counts     Counts
	Load       []load.Result
	Quality    []quality.Scores
	Published  *Latest
	GuardError error
	// Attempt is the attempt of the run (above 1 when resumed).
	Attempt int
	// Resumed lists the steps done by an earlier attempt and skipped.
	Resumed []string
	// LoadSkipped counts changes an earlier attempt had already sent.
	LoadSkipped int64
	// StepRecords are the run's steps over all attempts.
	StepRecords []StepRecord
	// Transform is the transform's mode and the state it publishes.
	Transform *TransformState
	// TransformPhases split the transform step: preparing inputs, the SQL
	// models, counting, exporting the published tables, scoring quality.
	TransformPhases []StepTime
	// Exports split the transform's export phase by table.
	Exports []StepTime
	// Outside times the work between and after the steps: starting the
	// run, opening the engine, releasing the transform's tables, giving
	// the memory back, finishing, the run report and analyst database.
	Outside []StepTime
}

// StepTime is one step's duration.
type StepTime struct {
	Name     string
	Duration time.Duration
}

// Counts summarise the transform.
type Counts struct {
	Records       map[string]int64 // entity -> source records
	Golden        map[string]int64 // entity -> golden records
	MatchedPairs  int64
	ReviewItems   int64
	Conflicts     int64            // raised by this run (conflicts still open from earlier runs are not counted)
	OutboxRecords map[string]int64 // system -> records to update
	OutboxFields  int64
	// Plan is the outbox per system, object and field, with one sample.
	Plan []PlanRow
}

// PlanRow is what a load changes in one field of one object.
type PlanRow struct {
	System, Object, Field string
	Records               int64
	SampleRecord          string
	SampleOld, SampleNew  string
}

// NewRunID returns a run id that sorts by time.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// Run executes the cycle.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Approve = reviewApproval(ctx, cfg.Store, cfg.Approve, log) // approvals recorded with crmhub review
	rep := &Report{StartedAt: cfg.Now().UTC()}
	outsideStart := time.Now()
	// outside records the time since the last step or outside part ended.
	outside := func(name string) {
		rep.Outside = append(rep.Outside, StepTime{Name: name, Duration: time.Since(outsideStart)})
		outsideStart = time.Now()
	}
	if cfg.Pipeline != nil {
		m, err := withMappings(cfg.Models, cfg.Pipeline.Mappings)
		if err != nil {
			return rep, err
		}
		cfg.Models = m
	}
	sess := cfg.Session
	if sess == nil {
		name := ""
		if cfg.Pipeline != nil {
			name = cfg.Pipeline.Name
		}
		s, err := Start(ctx, cfg.Store, SessionOptions{Pipeline: name, Now: cfg.Now, Logger: log})
		if err != nil {
			return rep, err
		}
		defer s.Close(ctx)
		sess = s
	}
	rep.RunID, rep.Attempt = sess.RunID, sess.State.Attempt
	if sess.Resumed {
		rep.StartedAt = sess.State.StartedAt
	}
	log = log.With("run_id", rep.RunID)
	work, err := os.MkdirTemp(cfg.WorkDir, "crmhub-run-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(work)
	// step runs one step and records it in runs/RUN/state.json; a step an
	// earlier attempt finished is skipped when skippable.
	step := func(name string, skippable bool, fn func(r *StepRecord) error) error {
		if done, ok := sess.State.Done(name); ok && skippable {
			log.Info("step done by an earlier attempt, skipped", "step", name, "attempt", done.Attempt)
			rep.Resumed = append(rep.Resumed, name)
			rep.Extract = append(rep.Extract, done.Extract...)
			return nil
		}
		if cfg.Progress != nil {
			cfg.Progress.Step(name)
		}
		start := time.Now()
		rec := StepRecord{Name: name, Status: StepRunning, StartedAt: start.UTC()}
		if err := sess.Record(ctx, rec); err != nil {
			return err
		}
		var before map[string]APIStats
		if cfg.APIStats != nil {
			before = cfg.APIStats()
		}
		log.Info("step started", "step", name, "attempt", sess.State.Attempt)
		err := fn(&rec)
		if err == nil {
			err = sess.Lost()
		}
		rep.Steps = append(rep.Steps, StepTime{Name: name, Duration: time.Since(start)})
		rec.FinishedAt, rec.Status = time.Now().UTC(), StepSucceeded
		defer func() { outsideStart = time.Now() }()
		if cfg.APIStats != nil {
			rec.API = apiDelta(before, cfg.APIStats())
		}
		if err != nil {
			rec.Status, rec.Error = StepFailed, err.Error()
			log.Error("step failed", "step", name, "err", err)
		} else {
			log.Info("step finished", "step", name, "records", rec.Records, "errors", rec.Errors, "seconds", time.Since(start).Seconds())
		}
		if rerr := sess.Record(context.WithoutCancel(ctx), rec); rerr != nil && err == nil {
			err = rerr
		}
		return err
	}
	defer func() {
		rep.StepRecords = sess.Steps()
		if rep.Published == nil {
			_ = sess.Finish(context.WithoutCancel(ctx), StepFailed)
		}
	}()
	prev, err := ReadLatest(ctx, cfg.Store)
	if err != nil {
		return rep, err
	}

	outside("start")
	err = step("extract", true, func(rec *StepRecord) error {
		var progress func(string, string, int64, int64)
		if cfg.Progress != nil {
			progress = func(sys, obj string, n, total int64) { cfg.Progress.Count(sys+" "+obj, n, total) }
		}
		sources, committed, err := pendingSources(ctx, cfg.Store, rep.RunID, cfg.Sources)
		if err != nil {
			return err
		}
		res, err := extract.Run(ctx, extract.Options{Store: cfg.Store, RunID: rep.RunID, Sources: sources,
			Full: cfg.FullExtract, Overlap: cfg.Pipeline.Extract.Overlap.Duration, TempDir: work, Logger: log,
			ProgressTotal: progress, Now: cfg.Now})
		rep.Extract = append(committed, res...)
		rec.Extract = rep.Extract
		for _, r := range rep.Extract {
			rec.Records += r.Records
		}
		return err
	})
	if err != nil {
		return rep, err
	}

	// The extract's pages and row buffers are garbage now; hand them back
	// to the OS before DuckDB's buffer pool grows, or the process peak is
	// DuckDB's memory_limit plus a heap Go would return only slowly.
	debug.FreeOSMemory()
	engine := engineConfig(cfg.Engine, cfg.Pipeline, work)
	db, err := transform.Open(ctx, engine)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	outside("engine")

	files, stateFiles := map[string]string{}, map[string]string{}
	err = step("transform", false, func(rec *StepRecord) error {
		plan, err := planTransform(ctx, cfg, prev, cfg.Now())
		if err != nil {
			return err
		}
		phaseStart := time.Now()
		phase := func(name string) {
			rep.TransformPhases = append(rep.TransformPhases, StepTime{Name: name, Duration: time.Since(phaseStart)})
			phaseStart = time.Now()
		}
		if err := prepareModels(ctx, db, cfg.Store, cfg.Models, cfg.Pipeline, prev, work,
			prepareOptions{Incremental: plan.Incremental, DeferPersons: true, Compact: true, Log: log}); err != nil {
			return err
		}
		phase("prepare inputs")
		models, err := transform.LoadModels(cfg.Models)
		if err != nil {
			return err
		}
		runner := &transform.Runner{DB: db, Logger: log, Before: personVersionsHook(db, cfg.Store),
			Release: true, Retain: transformRetained(), UncountedViews: true, ProfileDir: cfg.ProfileDir}
		if cfg.Progress != nil {
			runner.Progress = func(i, n int, m string) { cfg.Progress.Count("model "+m, int64(i+1), int64(n)) }
		}
		if rep.Models, err = runner.Run(ctx, models); err != nil {
			return err
		}
		phase("models")
		if rep.Counts, err = countTransform(ctx, db); err != nil {
			return err
		}
		// (a models tree without the golden models, as `crmhub bench match
		// --only-matching` runs, has no person_scope)
		var scoped bool
		if err := db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'person_scope'`).Scan(&scoped); err != nil {
			return fmt.Errorf("counts: %w", err)
		}
		if scoped {
			if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM person_scope), (SELECT count(*) FROM company_scope),
				(SELECT count(*) FROM deal_scope)`).Scan(&plan.State.Rebuilt, &plan.State.RebuiltCompanies, &plan.State.RebuiltDeals); err != nil {
				return fmt.Errorf("counts: %w", err)
			}
		}
		if plan.State.ComparedPairs, plan.State.CandidatePairs, err = matchWork(ctx, db); err != nil {
			return err
		}
		if plan.Incremental {
			plan.State.Reason = fmt.Sprintf("rebuilt %d of %d golden persons, %d of %d companies, %d of %d deals, compared %d of %d person pairs",
				plan.State.Rebuilt, rep.Counts.Golden["person"], plan.State.RebuiltCompanies, rep.Counts.Golden["company"],
				plan.State.RebuiltDeals, rep.Counts.Golden["deal"], plan.State.ComparedPairs, plan.State.CandidatePairs)
		}
		rep.Transform = &plan.State
		log.Info("transform", "mode", plan.State.Mode, "reason", plan.State.Reason)
		for _, n := range rep.Counts.Records {
			rec.Records += n
		}
		phase("counts")
		for _, t := range transformExports() {
			start := time.Now()
			var rows int64
			err := profiled(ctx, db, cfg.ProfileDir, "export_"+t, func() (err error) {
				files[t], rows, err = exportTable(ctx, db, t, work)
				return err
			})
			if err != nil {
				return err
			}
			// the runner leaves views uncounted: their export counts them
			for i := range rep.Models {
				if rep.Models[i].Model == t && rep.Models[i].Rows < 0 {
					rep.Models[i].Rows = rows
				}
			}
			rep.Exports = append(rep.Exports, StepTime{Name: t, Duration: time.Since(start)})
		}
		phase("export")
		if stateFiles, err = exportMatchState(ctx, db, work); err != nil {
			return err
		}
		phase("export state")
		if len(cfg.Truth) > 0 {
			if err := quality.LoadTruth(ctx, db, cfg.Truth); err != nil {
				return err
			}
			if rep.Quality, err = quality.Evaluate(ctx, db); err != nil {
				return err
			}
			phase("quality")
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	// the published tables and the match state are files now: the tables
	// that made them go before the limit is lowered, or DuckDB writes them
	// to temp_dir only to delete them at the end
	if err := releaseTransform(ctx, db, files); err != nil {
		return rep, err
	}
	if err := shrinkAfterTransform(ctx, db, engine.MemoryLimit); err != nil {
		return rep, err
	}
	outside("release")

	err = step("load", false, func(rec *StepRecord) error {
		if cfg.DryRun || !cfg.Pipeline.Load.Enabled || len(cfg.Targets) == 0 {
			return nil
		}
		// a source that archived a mass of records stops here unless approved
		if err := checkArchives(ctx, db, cfg.Store, prev, load.Guard{MaxShare: cfg.Pipeline.Load.MaxUpdateShare,
			MaxCount: cfg.Pipeline.Load.MaxUpdates, Approved: cfg.Approve != ""}); err != nil {
			if isGuard(err) {
				rep.GuardError = err
				return nil
			}
			return err
		}
		changes, err := load.ReadOutbox(ctx, files["outbox"])
		if err != nil {
			return err
		}
		totals, err := systemTotals(ctx, db)
		if err != nil {
			return err
		}
		ledger, err := openLedger(ctx, cfg.Store, rep.RunID, sess.State.Attempt)
		if err != nil {
			return err
		}
		if ledger.Len() > 0 {
			log.Info("resuming load", "changes_already_sent", ledger.Len())
		}
		defer func() {
			rep.LoadSkipped = ledger.skipped.Load()
			for _, l := range rep.Load {
				rec.Records += int64(l.Records)
				rec.Errors += int64(len(l.Errors))
			}
		}()
		opts := load.Options{Targets: wrapTargets(cfg.Targets, ledger), Totals: totals, Logger: log, BulkThreshold: cfg.Pipeline.Load.BulkThreshold,
			Guard: load.Guard{MaxShare: cfg.Pipeline.Load.MaxUpdateShare, MaxCount: cfg.Pipeline.Load.MaxUpdates,
				Approved: cfg.Approve != "", Reason: cfg.Approve}}
		if cfg.Progress != nil {
			opts.Progress = func(sys string, done, total int) { cfg.Progress.Count("push "+sys, int64(done), int64(total)) }
		}
		rep.Load, err = load.Run(ctx, changes, opts)
		if err != nil && isGuard(err) {
			// A refused load is a result, not a crash: the run publishes
			// what it computed and records the refusal.
			rep.GuardError = err
			return nil
		}
		return err
	})
	if err != nil {
		return rep, err
	}

	// the outbox is garbage now: return it to the OS before DuckDB gets its
	// memory back for the publish
	debug.FreeOSMemory()
	if err := restoreLimit(ctx, db, engine.MemoryLimit); err != nil {
		return rep, err
	}
	outside("restore")
	err = step("publish", false, func(rec *StepRecord) error {
		if err := writeHistory(ctx, db, cfg, rep, prev); err != nil {
			return err
		}
		// this step's row says succeeded: the rows become visible only when
		// the publish below succeeds
		done := *rec
		done.Status, done.FinishedAt = StepSucceeded, time.Now().UTC()
		if err := sess.Record(ctx, done); err != nil {
			return err
		}
		if err := writeSteps(ctx, db, cfg, sess, prev); err != nil {
			return err
		}
		for _, t := range []string{"sync_runs", "sync_errors", StepsTable, "write_log"} {
			if files[t], _, err = exportTable(ctx, db, t, work); err != nil {
				return err
			}
		}
		if rep.Transform != nil {
			if rep.Transform.State, err = publishMatchState(ctx, cfg.Store, rep.RunID, stateFiles); err != nil {
				return err
			}
		}
		rep.Published, err = publish(ctx, cfg.Store, rep.RunID, files, cfg.Now(), rep.Transform)
		return err
	})
	if err == nil {
		err = sess.Finish(ctx, StepSucceeded)
		pruneMatchState(ctx, cfg.Store, prev, rep.Published, log)
	}
	outside("finish")
	afterPublish(ctx, cfg, rep, log)
	outside("report")
	return rep, err
}

func countTransform(ctx context.Context, db *sql.DB) (Counts, error) {
	c := Counts{Records: map[string]int64{}, Golden: map[string]int64{}, OutboxRecords: map[string]int64{}}
	q := func(query string, fn func(*sql.Rows) error) error {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			return fmt.Errorf("counts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err := q(`SELECT entity, count(*), count(DISTINCT golden_id) FILTER (WHERE NOT deleted) FROM xref GROUP BY entity`, func(r *sql.Rows) error {
		var e string
		var n, g int64
		if err := r.Scan(&e, &n, &g); err != nil {
			return err
		}
		c.Records[e], c.Golden[e] = n, g
		return nil
	})
	if err != nil {
		return c, err
	}
	// conflicts raised by this run; those still open from earlier runs are
	// in the review queue
	err = q(`SELECT (SELECT count(*) FROM match_pairs WHERE decision = 'match'), (SELECT count(*) FROM review_queue),
		(SELECT count(*) FROM conflicts WHERE first_seen_at >= getvariable('review_as_of')), (SELECT count(*) FROM outbox)`, func(r *sql.Rows) error {
		return r.Scan(&c.MatchedPairs, &c.ReviewItems, &c.Conflicts, &c.OutboxFields)
	})
	if err != nil {
		return c, err
	}
	err = q(`SELECT system, object, crm_field, count(*), min(record_id),
		coalesce(arg_min(old_value, record_id), ''), coalesce(arg_min(new_value, record_id), '')
		FROM outbox GROUP BY ALL ORDER BY system, object, count(*) DESC, crm_field`, func(r *sql.Rows) error {
		var p PlanRow
		if err := r.Scan(&p.System, &p.Object, &p.Field, &p.Records, &p.SampleRecord, &p.SampleOld, &p.SampleNew); err != nil {
			return err
		}
		c.Plan = append(c.Plan, p)
		return nil
	})
	if err != nil {
		return c, err
	}
	err = q(`SELECT system, count(DISTINCT (object, record_id)) FROM outbox GROUP BY system`, func(r *sql.Rows) error {
		var s string
		var n int64
		if err := r.Scan(&s, &n); err != nil {
			return err
		}
		c.OutboxRecords[s] = n
		return nil
	})
	return c, err
}

func systemTotals(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, `SELECT system, count(*) FROM xref WHERE NOT deleted GROUP BY system`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// engineConfig is DuckDB's configuration: the fields set in override, the
// pipeline's engine section for the rest, and a spill directory in the
// run's work directory when neither names one.
func engineConfig(override transform.EngineConfig, pl *pipelines.Pipeline, work string) transform.EngineConfig {
	e := override
	var p pipelines.Engine
	if pl != nil {
		p = pl.Engine
	}
	if e.MemoryLimit == "" {
		e.MemoryLimit = p.MemoryLimit
	}
	if e.Threads == 0 {
		e.Threads = p.Threads
	}
	if e.TempDir == "" {
		e.TempDir = p.TempDir
	}
	if e.TempDir == "" {
		e.TempDir = filepath.Join(work, "duckdb-tmp")
	}
	return e
}
