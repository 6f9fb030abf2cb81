// Command crmhubscore scores crmhub's matching on one seed directory and
// prints the figures as JSON, for the side-by-side comparison with Splink
// (peers/splink/run.sh). It runs what cli.ScoreSeed runs (extract straight
// from the seed files, then every SQL model, dry run) and adds the timings:
// matching_seconds per entity is the sum of the models that normalise,
// block, score and cluster that entity (stg_*, *_candidates, *_pairs,
// *_clusters).
//
//	go run ./peers/crmhubscore SEED_DIR
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

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

type result struct {
	Seed         string         `json:"seed"`
	Records      int            `json:"records"`
	LoadSeconds  float64        `json:"load_seconds"`
	RunSeconds   float64        `json:"run_seconds"`
	Entities     []entityResult `json:"entities"`
	ModelSeconds map[string]any `json:"model_seconds"`
}

var matchingModels = map[string][]string{
	"person":  {"stg_persons", "person_candidates", "person_pairs", "person_clusters"},
	"company": {"stg_companies", "company_candidates", "company_pairs", "company_clusters"},
	"deal":    {"stg_deals", "deal_candidates", "deal_pairs", "deal_clusters"},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crmhubscore SEED_DIR")
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := run(context.Background(), os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crmhubscore:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string) error {
	start := time.Now()
	d, err := seed.Load(dir)
	if err != nil {
		return err
	}
	loaded := time.Now()
	tmp, err := os.MkdirTemp("", "crmhub-peers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	store, err := lake.OpenLocal(filepath.Join(tmp, "lake"))
	if err != nil {
		return err
	}
	rep, err := cycle.Run(ctx, cycle.Config{Store: store, Pipeline: pipelines.Default(), Models: sqlmodels.Models,
		Sources: cycle.SeedSources(d), Truth: d.Truth, DryRun: true, WorkDir: tmp})
	if err != nil {
		return err
	}
	out := result{Seed: filepath.Base(filepath.Clean(dir)), Records: d.Count(),
		LoadSeconds: loaded.Sub(start).Seconds(), RunSeconds: time.Since(loaded).Seconds(), ModelSeconds: map[string]any{}}
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
