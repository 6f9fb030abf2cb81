package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/seed"
)

// GenCmd is `crmhub gen`: generated data with ground truth, written as a
// seed directory (hubspot/, salesforce/, truth.csv) for other tools to read,
// e.g. the Splink comparison in peers/splink.
type GenCmd struct {
	People    int    `help:"Distinct people per system (each system also holds duplicates)." default:"10000"`
	Companies int    `help:"Distinct companies per system (0: people/5; negative: none)." default:"0"`
	Deals     int    `help:"Distinct deals per system (0: people/3; negative: none)." default:"0"`
	Seed      uint64 `help:"Random seed: the same seed gives the same files." default:"1"`
	Out       string `help:"Seed directory to write (created; existing files are replaced)." required:"" placeholder:"DIR"`
}

func (c *GenCmd) Run(_ context.Context, g *Globals) error {
	if c.People < 1 {
		return codedError{errors.New("--people must be at least 1"), 2}
	}
	d := gen.Generate(gen.Options{People: c.People, Companies: c.Companies, Deals: c.Deals, Seed: c.Seed})
	if err := seed.Write(d, c.Out); err != nil {
		return fmt.Errorf("write seed %s: %w", c.Out, err)
	}
	fmt.Fprintf(g.stdout, "%d records and %d truth rows written to %s\n", d.Count(), len(d.Truth), c.Out)
	return nil
}
