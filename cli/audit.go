package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/crmhub/crmhub/internal/lake"

	"github.com/crmhub/crmhub/ops"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// AuditCmd is `crmhub audit`: the parity audit on its own.
type AuditCmd struct {
	Pipeline string `help:"Pipeline file." required:"" type:"existingfile" placeholder:"FILE"`
	Lake     string `help:"Lake location: a folder or s3://bucket/prefix." default:"./lake"`
	Sample   int    `help:"Golden records to sample (default: the pipeline's audit.sample, 20)."`
	Seed     string `help:"Sample seed; the same seed picks the same records (default: a new sample each time)."`
	JSON     bool   `name:"json" help:"Print the report as JSON."`
}

func (a *AuditCmd) Run(ctx context.Context, g *Globals) error {
	p, err := pipelines.LoadFile(a.Pipeline)
	if err != nil {
		return codedError{err, ExitConfig}
	}
	c, err := newClients(p, g.logger)
	if err != nil {
		return codedError{err, ExitConfig}
	}
	store, err := openLake(ctx, a.Lake)
	if err != nil {
		return codedError{err, ExitConfig}
	}
	seed := a.Seed
	if seed == "" {
		seed = randomSeed()
	}
	rep, err := ops.Audit(ctx, ops.AuditConfig{Store: store, Pipeline: p, Models: sqlmodels.Models, HubSpot: c.hs, Salesforce: c.sf, Sample: a.Sample, Seed: seed})
	if err != nil {
		return err
	}
	if a.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printAudit(g, rep)
	}
	if rep.Below() {
		if err := alertParity(ctx, store, p, rep); err != nil {
			fmt.Fprintln(g.stderr, "crmhub: alert:", err)
		}
		return codedError{fmt.Errorf("parity %.1f%% is below the threshold %.1f%%", 100*rep.Parity, 100*rep.Threshold), ExitAudit}
	}
	return alertParity(ctx, store, p, rep)
}

func printAudit(g *Globals, r *ops.AuditReport) {
	fmt.Fprintf(g.stdout, "\nParity audit of run %s: %d golden records, %d of %d critical fields agree (%.1f%%, threshold %.1f%%)\n",
		r.RunID, r.Sampled, r.Agree, r.Compared, 100*r.Parity, 100*r.Threshold)
	for _, f := range r.Fields {
		fmt.Fprintf(g.stdout, "  %-8s %-14s %4d/%-4d\n", f.Entity, f.Field, f.Agree, f.Compared)
	}
	for i, m := range r.Mismatches {
		if i == 10 {
			fmt.Fprintf(g.stdout, "  ... %d more mismatches (--json lists all)\n", len(r.Mismatches)-10)
			break
		}
		fmt.Fprintf(g.stdout, "  differs: %s %s %s: hubspot %s/%s %q, salesforce %s/%s %q\n", m.Entity, m.GoldenID, m.Field,
			m.HubSpotObject, m.HubSpotID, m.HubSpotValue, m.SalesforceObject, m.SalesforceID, m.SalesforceValue)
	}
}

func randomSeed() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// alertParity sends the parity alert's change of state, if any.
func alertParity(ctx context.Context, store lake.Store, p *pipelines.Pipeline, r *ops.AuditReport) error {
	url := p.Alerts.WebhookURL
	if v := os.Getenv(p.Alerts.WebhookURLEnv); p.Alerts.WebhookURLEnv != "" && v != "" {
		url = v
	}
	n := &ops.Notifier{Store: store, WebhookURL: url, Pipeline: p.Name}
	_, err := n.Notify(ctx, r.RunID, time.Now(), []ops.Finding{ops.ParityFinding(r.Parity, r.Threshold)})
	return err
}
