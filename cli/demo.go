package cli

import (
	"context"
	"errors"

	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/ui"
)

// DemoCmd is `crmhub demo`.
type DemoCmd struct {
	Seed       string `help:"Seed directory to load instead of generated data (format in DESIGN.md)." type:"existingdir" placeholder:"DIR"`
	Records    int    `help:"People per system in generated data (plus companies, deals and duplicates)." default:"10000"`
	Lake       string `help:"Lake location: a folder or s3://bucket/prefix." default:"./lake"`
	SeedNumber uint64 `help:"Random seed of the generated data." default:"1"`
	DryRun     bool   `help:"Compute and publish everything but write nothing back to the simulators."`
	Models     string `help:"Project folder laid over the built-in sql/ models: the same path replaces a model, a new file adds one." type:"existingdir" placeholder:"DIR"`
}

func (d *DemoCmd) Run(ctx context.Context, g *Globals) error {
	if d.Records < 1 {
		return codedError{errors.New("--records must be at least 1"), 2}
	}
	models, err := modelsFS(d.Models)
	if err != nil {
		return codedError{err, 2}
	}
	store, err := openLake(ctx, d.Lake)
	if err != nil {
		return err
	}
	progress := ui.New(g.stderr)
	res, err := demo.Run(ctx, demo.Options{Store: store, SeedDir: d.Seed, People: d.Records, SeedNumber: d.SeedNumber,
		DryRun: d.DryRun, Models: models, Logger: g.logger, Progress: progress})
	progress.Done()
	if res != nil && res.Report != nil {
		printSummary(g.stdout, store.String(), res)
	}
	if err != nil && errors.Is(err, load.ErrGuard) {
		return codedError{err, 3}
	}
	return err
}
