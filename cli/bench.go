package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/crmhub/crmhub/bench"
	"github.com/crmhub/crmhub/pipelines"
)

// BenchCmd is `crmhub bench`.
type BenchCmd struct {
	Match  BenchMatchCmd  `cmd:"" help:"Generate N people per system, run normalise/block/score/cluster and report time, candidate pairs, peak memory and quality."`
	Cycle  BenchCycleCmd  `cmd:"" help:"Generate N people per system, run the whole cycle (extract, transform, load, publish) against the simulators, then a nightly run after a day of edits (1% of each object edited by default); report times, API calls, peak memory, lake size."`
	Replay BenchReplayCmd `cmd:"" help:"Run the nightly transform of a bench cycle checkpoint again (bench cycle --checkpoint) and report its times: a models change timed at scale in minutes."`
	Load   BenchLoadCmd   `cmd:"" help:"Push N changed records to each simulator with its rate limits on; report calls, the bound the limits set, wall time and their ratio."`
}

// BenchLoadCmd is `crmhub bench load`.
type BenchLoadCmd struct {
	Records       int           `help:"Changed records pushed to each system." default:"100000"`
	Systems       []string      `help:"Systems to push to." default:"hubspot,salesforce" enum:"hubspot,salesforce"`
	HubSpotPer10s int           `name:"hubspot-requests-per-10s" help:"HubSpot client-side limit per 10 s (0: the client's default, 180; the documented limit is 190)." default:"0"`
	BulkThreshold int           `help:"Salesforce: more records per object than this go through one Bulk API 2.0 job (0: sObject Collections only)." default:"2000"`
	BulkPoll      time.Duration `help:"Bulk API 2.0 job poll interval." default:"2s"`
	JSON          string        `help:"Write the report as JSON to this file." default:"bench-load.json" placeholder:"FILE"`
}

func (b *BenchLoadCmd) Run(ctx context.Context, g *Globals) error {
	if b.Records < 1 {
		return codedError{errors.New("--records must be at least 1"), 2}
	}
	rep, err := bench.RunLoad(ctx, bench.LoadOptions{Records: b.Records, Systems: b.Systems, HubSpotPer10s: b.HubSpotPer10s,
		BulkThreshold: b.BulkThreshold, BulkPoll: b.BulkPoll, Logger: g.logger})
	if rep != nil {
		if werr := printBenchReport(g, rep, b.JSON); werr != nil {
			return werr
		}
	}
	return err
}

// BenchMatchCmd is `crmhub bench match`.
type BenchMatchCmd struct {
	People       int    `help:"People per system (companies N/5, deals N/3, plus duplicates)." default:"10000"`
	Seed         uint64 `help:"Random seed of the generated data." default:"1"`
	MemoryLimit  string `help:"DuckDB memory_limit." default:"5GB"`
	Threads      int    `help:"DuckDB threads (0 = every core)." default:"0"`
	WorkDir      string `help:"Folder for the temporary lake and DuckDB spill files (default: system temp)." placeholder:"DIR"`
	Pipeline     string `help:"Pipeline file for the matching settings (default: built-in)." type:"existingfile" placeholder:"FILE"`
	KeepDB       string `help:"Keep the DuckDB database in this file for inspection." placeholder:"FILE"`
	JSON         string `help:"Write the report as JSON to this file." default:"bench-match.json" placeholder:"FILE"`
	OnlyMatching bool   `help:"Run only the normalise/block/score/cluster models (stand-ins for golden, outbox and reports)."`
}

func (b *BenchMatchCmd) Run(ctx context.Context, g *Globals) error {
	if b.People < 1 {
		return codedError{errors.New("--people must be at least 1"), 2}
	}
	p := pipelines.Default()
	if b.Pipeline != "" {
		var err error
		if p, err = pipelines.LoadFile(b.Pipeline); err != nil {
			return err
		}
	}
	rep, err := bench.Run(ctx, bench.Options{People: b.People, Seed: b.Seed, MemoryLimit: b.MemoryLimit,
		Threads: b.Threads, WorkDir: b.WorkDir, DBPath: b.KeepDB, Pipeline: p, Logger: g.logger, MatchingOnly: b.OnlyMatching})
	if rep != nil {
		if werr := printBenchReport(g, rep, b.JSON); werr != nil {
			return werr
		}
	}
	return err
}

// BenchCycleCmd is `crmhub bench cycle`.
type BenchCycleCmd struct {
	People      []int   `help:"People per system; several sizes (comma-separated) give a growth table." default:"10000"`
	Companies   int     `help:"Companies per system (default people/10)." default:"0"`
	Deals       int     `help:"Deals per system (default people/5)." default:"0"`
	Seed        uint64  `help:"Random seed of the generated data." default:"1"`
	ChangeRate  float64 `help:"Share of each object's records edited before the nightly run; a fifth of it is created and a tenth archived on top, and conflicting edits touch the other system's twin (the report gives the share of records changed)." default:"0.01"`
	Nights      int     `help:"Nights to run: 1 the first run only, 2 adds the settle night, 3 adds the nightly run after the change rate." default:"3" enum:"1,2,3"`
	MemoryLimit string  `help:"DuckDB memory_limit." default:"5GB"`
	Threads     int     `help:"DuckDB threads (0 = every core)." default:"0"`
	WorkDir     string  `help:"Folder for the lake and DuckDB spill files (default: system temp)." placeholder:"DIR"`
	KeepLake    bool    `help:"Keep the lake in the work folder after the run."`
	InProcess   bool    `help:"Run the simulators in this process (their memory then counts in the peak)."`
	Out         string  `help:"Folder for bench-cycle.json and bench-cycle.md." default:"." placeholder:"DIR"`
	Checkpoint  string  `help:"Copy the lake into this empty folder as the last night's transform starts, for bench replay (several sizes: a subfolder per size)." placeholder:"DIR"`
	CPUProfile  string  `help:"Write a Go CPU profile of the benchmark to this file (go tool pprof): crmhub's Go code, DuckDB as cgo calls, and with --in-process the simulators." placeholder:"FILE"`
	SimHost     bool    `hidden:"" help:"Internal: serve generated simulators for a parent benchmark."`
}

func (b *BenchCycleCmd) Run(ctx context.Context, g *Globals) error {
	if len(b.People) == 0 || slices.Min(b.People) < 1 {
		return codedError{errors.New("--people must be at least 1"), 2}
	}
	if b.SimHost {
		return bench.ServeSimHost(ctx, bench.SimHostOptions{People: b.People[0], Companies: b.Companies, Deals: b.Deals, Seed: b.Seed}, g.stdout, g.logger)
	}
	if err := os.MkdirAll(b.Out, 0o755); err != nil {
		return err
	}
	if b.CPUProfile != "" {
		stop, err := startCPUProfile(b.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	sizes := slices.Clone(b.People)
	slices.Sort(sizes)
	var reps bench.CycleReports
	write := func() error {
		j, m := filepath.Join(b.Out, "bench-cycle.json"), filepath.Join(b.Out, "bench-cycle.md")
		if err := reps.WriteJSON(j); err != nil {
			return err
		}
		if err := reps.WriteMarkdownFile(m); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "report written to %s and %s\n", j, m)
		return nil
	}
	for _, n := range sizes {
		checkpoint := b.Checkpoint
		if checkpoint != "" && len(sizes) > 1 {
			checkpoint = filepath.Join(checkpoint, fmt.Sprint(n))
		}
		rep, err := bench.RunCycle(ctx, bench.CycleOptions{People: n, Companies: b.Companies, Deals: b.Deals, Seed: b.Seed,
			ChangeRate: b.ChangeRate, Nights: b.Nights, MemoryLimit: b.MemoryLimit, Threads: b.Threads, WorkDir: b.WorkDir, KeepLake: b.KeepLake,
			SimProcess: !b.InProcess, Logger: g.logger, Progress: g.stderr, Checkpoint: checkpoint})
		if rep != nil {
			reps = append(reps, rep)
			if werr := write(); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
	}
	reps.Markdown(g.stdout)
	return nil
}

// BenchReplayCmd is `crmhub bench replay`.
type BenchReplayCmd struct {
	Checkpoint  string `help:"Folder bench cycle --checkpoint wrote." required:"" type:"existingdir" placeholder:"DIR"`
	MemoryLimit string `help:"DuckDB memory_limit (default: the benchmark's)." placeholder:"SIZE"`
	Threads     int    `help:"DuckDB threads (0 = every core)." default:"0"`
	WorkDir     string `help:"Folder for the copy of the checkpoint's lake and DuckDB spill files (default: system temp)." placeholder:"DIR"`
	KeepLake    bool   `help:"Keep the copy of the lake in the work folder after the replay."`
	Profile     string `help:"Write DuckDB's JSON profile of each model (each statement of a script model: MODEL.LINE.json) to this folder." placeholder:"DIR"`
	Out         string `help:"Folder for bench-replay.json and bench-replay.md." default:"." placeholder:"DIR"`
}

func (b *BenchReplayCmd) Run(ctx context.Context, g *Globals) error {
	for _, dir := range []string{b.Out, b.Profile} {
		if dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
	}
	fig, err := bench.Replay(ctx, bench.ReplayOptions{Checkpoint: b.Checkpoint, WorkDir: b.WorkDir, KeepLake: b.KeepLake,
		MemoryLimit: b.MemoryLimit, Threads: b.Threads, ProfileDir: b.Profile, Logger: g.logger})
	if fig == nil {
		return err
	}
	j, m := filepath.Join(b.Out, "bench-replay.json"), filepath.Join(b.Out, "bench-replay.md")
	if werr := fig.WriteFiles(j, m); werr != nil {
		return werr
	}
	bench.ReplayMarkdown(g.stdout, fig)
	fmt.Fprintf(g.stdout, "report written to %s and %s\n", j, m)
	return err
}

// benchReport is a benchmark's report: printed, and kept as JSON.
type benchReport interface {
	Print(w io.Writer)
	WriteJSON(path string) error
}

// printBenchReport prints rep and writes it as JSON to path, when path is set.
func printBenchReport(g *Globals, rep benchReport, path string) error {
	rep.Print(g.stdout)
	if path == "" {
		return nil
	}
	if err := rep.WriteJSON(path); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\nreport written to %s\n", path)
	return nil
}

// startCPUProfile profiles this process's CPU until the returned stop is
// called, which writes the profile out.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
