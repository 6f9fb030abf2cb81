package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmhub/crmhub/bench"
	"github.com/crmhub/crmhub/pipelines"
)

// BenchCmd is `crmhub bench`.
type BenchCmd struct {
	Match BenchMatchCmd `cmd:"" help:"Generate N people per system, run normalise/block/score/cluster and report time, candidate pairs, peak memory and quality."`
}

// BenchMatchCmd is `crmhub bench match`.
type BenchMatchCmd struct {
	People      int    `help:"People per system (companies N/5, deals N/3, plus duplicates)." default:"10000"`
	Seed        uint64 `help:"Random seed of the generated data." default:"1"`
	MemoryLimit string `help:"DuckDB memory_limit." default:"6GB"`
	Threads     int    `help:"DuckDB threads (0 = every core)." default:"0"`
	WorkDir     string `help:"Folder for the temporary lake and DuckDB spill files (default: system temp)." placeholder:"DIR"`
	Pipeline    string `help:"Pipeline file for the matching settings (default: built-in)." type:"existingfile" placeholder:"FILE"`
	KeepDB      string `help:"Keep the DuckDB database in this file for inspection." placeholder:"FILE"`
	JSON        string `help:"Write the report as JSON to this file." default:"bench-match.json" placeholder:"FILE"`
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
		Threads: b.Threads, WorkDir: b.WorkDir, DBPath: b.KeepDB, Pipeline: p, Logger: g.logger})
	if rep != nil {
		rep.Print(g.stdout)
		if b.JSON != "" {
			if werr := rep.WriteJSON(b.JSON); werr != nil {
				return werr
			}
			fmt.Fprintf(g.stdout, "\nreport written to %s\n", b.JSON)
		}
	}
	return err
}
