package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/seed"
)

// SimCmd groups simulator commands.
type SimCmd struct {
	Serve SimServeCmd `cmd:"" help:"Serve both simulators until interrupted."`
}

// SimServeCmd is `crmhub sim serve`.
type SimServeCmd struct {
	Seed                   string `help:"Seed directory to load (default: generated data)." type:"existingdir" placeholder:"DIR"`
	Records                int    `help:"People per system when generating." default:"10000"`
	SeedNumber             uint64 `help:"Random seed of generated data." default:"1"`
	HubSpot                string `name:"hubspot" help:"Address for the HubSpot simulator." default:"127.0.0.1:8081"`
	Salesforce             string `help:"Address for the Salesforce simulator." default:"127.0.0.1:8082"`
	HubSpotToken           string `name:"hubspot-token" help:"Private-app token the HubSpot simulator accepts." default:"test-token"`
	SalesforceClientID     string `help:"Connected-app client id the Salesforce simulator accepts." default:"test-client"`
	SalesforceClientSecret string `help:"Connected-app client secret the Salesforce simulator accepts." default:"test-secret"`
}

func (s *SimServeCmd) Run(ctx context.Context, g *Globals) error {
	var d *seed.Dataset
	if s.Seed != "" {
		var err error
		if d, err = seed.Load(s.Seed); err != nil {
			return codedError{err, 2}
		}
	} else {
		d = gen.Generate(gen.Options{People: s.Records, Seed: s.SeedNumber, Now: time.Now()})
	}
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: s.HubSpotToken, SalesforceClientID: s.SalesforceClientID,
		SalesforceClientSecret: s.SalesforceClientSecret, HubSpotAddr: s.HubSpot, SalesforceAddr: s.Salesforce, Logger: g.logger})
	if err != nil {
		return err
	}
	defer sims.Close()
	fmt.Fprintf(g.stdout, "HubSpot simulator:    %s (Bearer token as set by --hubspot-token)\n", sims.HubSpotURL)
	fmt.Fprintf(g.stdout, "Salesforce simulator: %s (POST /services/oauth2/token, grant_type=client_credentials)\n", sims.SalesforceURL)
	fmt.Fprintf(g.stdout, "%d records loaded; serving until interrupted\n", d.Count())
	<-ctx.Done()
	return nil
}
