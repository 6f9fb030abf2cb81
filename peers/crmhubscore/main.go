// Command crmhubscore scores crmhub's matching on one seed directory and
// prints the figures as JSON, for the side-by-side comparison with Splink
// (peers/splink/run.sh). It runs what cli.ScoreSeed runs (extract straight
// from the seed files, then every SQL model, dry run) with the product's
// defaults: the default pipeline, and so its engine section (DuckDB
// memory_limit 5GB, every core, spill in the run's work directory). The
// seed's records leave the Go heap once extracted (bench.ReleaseAfterRead),
// as the product's streaming extract never holds a whole system in memory.
//
// matching_seconds per entity is the sum of the models that normalise,
// block, score and cluster that entity (stg_*, *_candidates, *_pairs,
// *_clusters). Progress goes to stderr: the cycle's steps and one line per
// model with its duration.
//
// -matching-only runs only those models, with the stand-ins for the
// published tables that `crmhub bench match --only-matching` uses (no golden
// records, outbox or reports): the process's wall time and peak memory are
// then those of matching alone.
//
//	go run ./peers/crmhubscore [-work-dir DIR] [-matching-only] SEED_DIR
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/crmhub/crmhub/bench"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/quality"
	"github.com/crmhub/crmhub/seed"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

type entityResult struct {
	quality.Scores
	MatchingSeconds float64 `json:"matching_seconds"`
}

type engine struct {
	MemoryLimit string `json:"memory_limit"`
	Threads     int    `json:"threads"`
}

type result struct {
	Seed         string             `json:"seed"`
	Mode         string             `json:"mode"`
	Records      int                `json:"records"`
	Engine       engine             `json:"engine"`
	LoadSeconds  float64            `json:"load_seconds"`
	RunSeconds   float64            `json:"run_seconds"`
	StepSeconds  map[string]float64 `json:"step_seconds"`
	CPUSeconds   float64            `json:"cpu_seconds"`
	Entities     []entityResult     `json:"entities"`
	ModelSeconds map[string]any     `json:"model_seconds"`
}

var matchingModels = map[string][]string{
	"person":  {"stg_persons", "person_candidates", "person_pairs", "person_clusters"},
	"company": {"stg_companies", "company_candidates", "company_pairs", "company_clusters"},
	"deal":    {"stg_deals", "deal_candidates", "deal_pairs", "deal_clusters"},
}

func main() {
	workDir := flag.String("work-dir", "", "where the lake and DuckDB's spill go (default: the system temp directory)")
	matchingOnly := flag.Bool("matching-only", false, "run only the normalise/block/score/cluster models (stand-ins for golden, outbox and reports)")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, "usage: crmhubscore [-work-dir DIR] [-matching-only] SEED_DIR") }
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := run(context.Background(), flag.Arg(0), *workDir, *matchingOnly); err != nil {
		fmt.Fprintln(os.Stderr, "crmhubscore:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, workDir string, matchingOnly bool) error {
	var models fs.FS = sqlmodels.Models
	mode := "full cycle (dry run)"
	if matchingOnly {
		var err error
		if models, err = bench.MatchingOnly(models); err != nil {
			return err
		}
		mode = "matching only"
	}
	start := time.Now()
	d, err := seed.Load(dir)
	if err != nil {
		return err
	}
	records, truth := d.Count(), d.Truth
	sources := bench.ReleaseAfterRead(cycle.SeedSources(d))
	d = nil
	runtime.GC()
	debug.FreeOSMemory()
	loaded := time.Now()
	fmt.Fprintf(os.Stderr, "%s loaded %d records in %.1fs\n", loaded.UTC().Format(time.TimeOnly), records, loaded.Sub(start).Seconds())
	tmp, err := os.MkdirTemp(workDir, "crmhub-peers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	store, err := lake.OpenLocal(filepath.Join(tmp, "lake"))
	if err != nil {
		return err
	}
	pl := pipelines.Default()
	cpu0 := bench.CPUSeconds()
	rep, err := cycle.Run(ctx, cycle.Config{Store: store, Pipeline: pl, Models: models,
		Sources: sources, Truth: truth, DryRun: true, WorkDir: tmp, Logger: progressLogger()})
	if err != nil {
		return err
	}
	out := result{Seed: filepath.Base(filepath.Clean(dir)), Mode: mode, Records: records,
		Engine:      engine{MemoryLimit: pl.Engine.MemoryLimit, Threads: pl.Engine.Threads},
		LoadSeconds: loaded.Sub(start).Seconds(), RunSeconds: time.Since(loaded).Seconds(),
		StepSeconds: map[string]float64{}, CPUSeconds: bench.CPUSeconds() - cpu0, ModelSeconds: map[string]any{}}
	for _, s := range rep.Steps {
		out.StepSeconds[s.Name] += s.Duration.Seconds()
	}
	secs := map[string]float64{}
	for _, m := range rep.Models {
		secs[m.Model] += m.Duration.Seconds()
		out.ModelSeconds[m.Model] = m.Duration.Seconds()
	}
	for _, s := range rep.Quality {
		e := entityResult{Scores: s}
		for _, m := range matchingModels[s.Entity] {
			e.MatchingSeconds += secs[m]
		}
		out.Entities = append(out.Entities, e)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// progressLogger writes the cycle's steps and the transform's per-model
// lines (debug level) to stderr, so that a long run's log shows where it is.
func progressLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
