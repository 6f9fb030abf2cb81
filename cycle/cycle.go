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
	// Approve lets the load past the mass-update guard; the reason is recorded.
	Approve string
	// DryRun computes the outbox and publishes nothing to the CRMs.
	DryRun bool
	// Truth, when set, is scored against the run's clusters.
	Truth   []seed.TruthRow
	WorkDir string
	Engine  transform.EngineConfig
	Logger  *slog.Logger
	// Now is the run's clock (default time.Now); the demo moves it a day
	// per run to simulate nightly runs.
	Now func() time.Time
	// Progress reports steps and counts; nil is silent.
	Progress Progress
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
	Conflicts     int64
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
	rep := &Report{StartedAt: cfg.Now().UTC()}
	rep.RunID = NewRunID(rep.StartedAt)
	work, err := os.MkdirTemp(cfg.WorkDir, "crmhub-run-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(work)
	step := func(name string, fn func() error) error {
		if cfg.Progress != nil {
			cfg.Progress.Step(name)
		}
		start := time.Now()
		err := fn()
		rep.Steps = append(rep.Steps, StepTime{Name: name, Duration: time.Since(start)})
		if err != nil {
			log.Error("step failed", "step", name, "run_id", rep.RunID, "err", err)
		}
		return err
	}
	prev, err := ReadLatest(ctx, cfg.Store)
	if err != nil {
		return rep, err
	}

	err = step("extract", func() error {
		var progress func(string, string, int64)
		if cfg.Progress != nil {
			progress = func(sys, obj string, n int64) { cfg.Progress.Count(sys+" "+obj, n, 0) }
		}
		res, err := extract.Run(ctx, extract.Options{Store: cfg.Store, RunID: rep.RunID, Sources: cfg.Sources,
			Full: cfg.FullExtract, Overlap: cfg.Pipeline.Extract.Overlap.Duration, TempDir: work, Logger: log, Progress: progress})
		rep.Extract = res
		return err
	})
	if err != nil {
		return rep, err
	}

	engine := cfg.Engine
	if engine.TempDir == "" {
		engine.TempDir = filepath.Join(work, "duckdb-tmp")
	}
	db, err := transform.Open(ctx, engine)
	if err != nil {
		return rep, err
	}
	defer db.Close()

	files := map[string]string{}
	err = step("transform", func() error {
		prevXref, lastRunAt := "", time.Time{}
		if prev != nil {
			if prevXref, err = cfg.Store.LocalPath(ctx, prev.Tables["xref"]); err != nil {
				return err
			}
			lastRunAt = prev.FinishedAt
		}
		in, err := transformInputs(ctx, cfg.Store, cfg.Models, cfg.Pipeline, prevXref, lastRunAt, work)
		if err != nil {
			return err
		}
		if err := transform.Prepare(ctx, db, in); err != nil {
			return err
		}
		if err := loadFieldRules(ctx, db, cfg.Pipeline); err != nil {
			return err
		}
		models, err := transform.LoadModels(cfg.Models)
		if err != nil {
			return err
		}
		runner := &transform.Runner{DB: db, Logger: log}
		if cfg.Progress != nil {
			runner.Progress = func(i, n int, m string) { cfg.Progress.Count("model "+m, int64(i+1), int64(n)) }
		}
		if rep.Models, err = runner.Run(ctx, models); err != nil {
			return err
		}
		if rep.Counts, err = countTransform(ctx, db); err != nil {
			return err
		}
		for _, t := range []string{"xref", "golden_persons", "golden_companies", "golden_deals", "match_pairs", "review_queue", "conflicts", "outbox"} {
			if files[t], err = exportTable(ctx, db, t, work); err != nil {
				return err
			}
		}
		if len(cfg.Truth) > 0 {
			if err := quality.LoadTruth(ctx, db, cfg.Truth); err != nil {
				return err
			}
			if rep.Quality, err = quality.Evaluate(ctx, db); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}

	err = step("load", func() error {
		if cfg.DryRun || !cfg.Pipeline.Load.Enabled || len(cfg.Targets) == 0 {
			return nil
		}
		changes, err := load.ReadOutbox(ctx, files["outbox"])
		if err != nil {
			return err
		}
		totals, err := systemTotals(ctx, db)
		if err != nil {
			return err
		}
		opts := load.Options{Targets: cfg.Targets, Totals: totals, Logger: log,
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

	err = step("publish", func() error {
		if err := writeHistory(ctx, db, cfg, rep, prev); err != nil {
			return err
		}
		for _, t := range []string{"sync_runs", "sync_errors"} {
			if files[t], err = exportTable(ctx, db, t, work); err != nil {
				return err
			}
		}
		rep.Published, err = publish(ctx, cfg.Store, rep.RunID, files, cfg.Now())
		return err
	})
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
	err = q(`SELECT (SELECT count(*) FROM match_pairs WHERE decision = 'match'), (SELECT count(*) FROM review_queue),
		(SELECT count(*) FROM conflicts), (SELECT count(*) FROM outbox)`, func(r *sql.Rows) error {
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
