package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/ui"
)

// RunCmd is `crmhub run`: the nightly run against real endpoints. Secrets
// come from the environment variables or files the pipeline names.
type RunCmd struct {
	Pipeline string `help:"Pipeline file." required:"" type:"existingfile" placeholder:"FILE"`
	Lake     string `help:"Lake location: a folder or s3://bucket/prefix." default:"./lake"`
	DryRun   bool   `help:"Plan only: compute and publish the outbox, write nothing to the CRMs."`
	Approve  string `help:"Approve this run past the mass-update safeguard; the reason is recorded in sync_runs." placeholder:"REASON"`
	Full     bool   `help:"Extract everything again instead of incrementally."`
}

func (r *RunCmd) Run(ctx context.Context, g *Globals) error {
	p, err := pipelines.LoadFile(r.Pipeline)
	if err != nil {
		return codedError{err, 2}
	}
	token, err := pipelines.Secret(p.HubSpot.TokenEnv, p.HubSpot.TokenFile)
	if err != nil {
		return codedError{fmt.Errorf("hubspot token: %w", err), 2}
	}
	clientID := os.Getenv(p.Salesforce.ClientIDEnv)
	secret, err := pipelines.Secret(p.Salesforce.ClientSecretEnv, p.Salesforce.ClientSecretFile)
	if err != nil || clientID == "" {
		return codedError{fmt.Errorf("salesforce credentials: set %s and %s", p.Salesforce.ClientIDEnv, p.Salesforce.ClientSecretEnv), 2}
	}
	hs, err := hubspot.New(hubspot.Config{BaseURL: p.HubSpot.BaseURL, Token: token, RequestsPer10s: p.HubSpot.RequestsPer10s, Logger: g.logger})
	if err != nil {
		return codedError{err, 2}
	}
	sf, err := salesforce.New(salesforce.Config{LoginURL: p.Salesforce.LoginURL, ClientID: clientID, ClientSecret: secret,
		APIVersion: p.Salesforce.APIVersion, Logger: g.logger})
	if err != nil {
		return codedError{err, 2}
	}
	store, err := openLake(ctx, r.Lake)
	if err != nil {
		return err
	}
	progress := ui.New(g.stderr)
	rep, err := cycle.Run(ctx, cycle.Config{
		Store: store, Pipeline: p, Models: sqlmodels.Models, Sources: demo.Sources(hs, sf),
		Targets: []load.Target{&load.HubSpotTarget{Client: hs, Batch: p.Load.HubSpotBatchSize},
			&load.SalesforceTarget{Client: sf, Batch: p.Load.SalesforceBatchSize}},
		FullExtract: r.Full, Approve: r.Approve, DryRun: r.DryRun, Logger: g.logger, Progress: progress,
	})
	progress.Done()
	if rep != nil {
		fmt.Fprintf(g.stdout, "\ncrmhub run %s (pipeline %s, lake %s)\n", rep.RunID, p.Name, store)
		printReport(g.stdout, rep, 0)
	}
	if err != nil {
		return err
	}
	if rep.GuardError != nil {
		return codedError{rep.GuardError, 3}
	}
	return nil
}

// ValidateCmd is `crmhub validate`.
type ValidateCmd struct {
	File string `arg:"" help:"Pipeline file to check." type:"existingfile"`
}

func (v *ValidateCmd) Run(ctx context.Context, g *Globals) error {
	if _, err := pipelines.LoadFile(v.File); err != nil {
		return codedError{err, 2}
	}
	fmt.Fprintf(g.stdout, "%s: valid\n", v.File)
	return nil
}
