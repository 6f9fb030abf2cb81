package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/ops"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/ui"
)

// Exit codes of crmhub run (docs/operations.md), for schedulers.
const (
	ExitOK         = 0 // the run completed
	ExitFailed     = 1 // a step failed; the next run resumes it
	ExitConfig     = 2 // bad flags, pipeline file or credentials; fix before retrying
	ExitRefused    = 3 // the load was refused by a safeguard; approve with --approve
	ExitLocked     = 4 // another run holds the lake's lock; nothing was done
	ExitAudit      = 5 // the run completed; parity audit below its threshold
	ExitMonitoring = 6 // the run completed; metrics or alerts could not be delivered
)

// RunCmd is `crmhub run`: the nightly run against real endpoints. Secrets
// come from the environment variables or files the pipeline names.
type RunCmd struct {
	Pipeline      string `help:"Pipeline file." required:"" type:"existingfile" placeholder:"FILE"`
	Lake          string `help:"Lake location: a folder or s3://bucket/prefix." default:"./lake"`
	DryRun        bool   `help:"Plan only: compute and publish the outbox, write nothing to the CRMs."`
	Approve       string `help:"Approve this run past the mass-update safeguard; the reason is recorded in sync_runs." placeholder:"REASON"`
	Full          bool   `help:"Extract everything again instead of incrementally."`
	FullTransform bool   `help:"Rebuild every golden record, even where run.incremental would rebuild only what changed."`
	Fresh         bool   `help:"Start a new run even when the previous one failed (default: resume it from the failed step)."`
	Models        string `help:"Project folder laid over the built-in sql/ models: the same path replaces a model, a new file adds one." type:"existingdir" placeholder:"DIR"`
}

// crmClients are the two API clients of a run.
type crmClients struct {
	hs *hubspot.Client
	sf *salesforce.Client
}

func newClients(p *pipelines.Pipeline, log *slog.Logger) (*crmClients, error) {
	token, err := pipelines.Secret(p.HubSpot.TokenEnv, p.HubSpot.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("hubspot token: %w", err)
	}
	clientID := os.Getenv(p.Salesforce.ClientIDEnv)
	secret, err := pipelines.Secret(p.Salesforce.ClientSecretEnv, p.Salesforce.ClientSecretFile)
	if err != nil || clientID == "" {
		return nil, fmt.Errorf("salesforce credentials: set %s and %s", p.Salesforce.ClientIDEnv, p.Salesforce.ClientSecretEnv)
	}
	hs, err := hubspot.New(hubspot.Config{BaseURL: p.HubSpot.BaseURL, Token: token, RequestsPer10s: p.HubSpot.RequestsPer10s, Logger: log})
	if err != nil {
		return nil, err
	}
	sf, err := salesforce.New(salesforce.Config{LoginURL: p.Salesforce.LoginURL, ClientID: clientID, ClientSecret: secret,
		APIVersion: p.Salesforce.APIVersion, Logger: log})
	if err != nil {
		return nil, err
	}
	return &crmClients{hs: hs, sf: sf}, nil
}

// apiStats sums each client's per-endpoint counters.
func (c *crmClients) apiStats() map[string]cycle.APIStats {
	var h, s cycle.APIStats
	for _, e := range c.hs.Calls() {
		h.Calls, h.Errors, h.Retries, h.Latency = h.Calls+int64(e.Calls), h.Errors+int64(e.Errors), h.Retries+int64(e.Retries), h.Latency+e.Latency
	}
	for _, e := range c.sf.Calls() {
		s.Calls, s.Errors, s.Retries, s.Latency = s.Calls+int64(e.Count), s.Errors+int64(e.Errors), s.Retries+int64(e.Retries), s.Latency+e.Latency
	}
	return map[string]cycle.APIStats{"hubspot": h, "salesforce": s}
}

// sources are the pipeline's objects, parents first.
func (c *crmClients) sources(p *pipelines.Pipeline) []extract.Source {
	var out []extract.Source
	for _, s := range demo.Sources(c.hs, c.sf) {
		objs := p.Objects.HubSpot
		if s.System() == "salesforce" {
			objs = p.Objects.Salesforce
		}
		if slices.Contains(objs, s.Object()) {
			out = append(out, s)
		}
	}
	return out
}

func (r *RunCmd) Run(ctx context.Context, g *Globals) error {
	p, err := pipelines.LoadFile(r.Pipeline)
	if err != nil {
		return codedError{err, ExitConfig}
	}
	models, err := modelsFS(r.Models)
	if err != nil {
		return codedError{err, ExitConfig}
	}
	// fail on credentials before taking the lock
	if _, err := newClients(p, g.logger); err != nil {
		return codedError{err, ExitConfig}
	}
	store, err := openLake(ctx, r.Lake)
	if err != nil {
		return codedError{err, ExitConfig}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sess, err := cycle.Start(ctx, store, cycle.SessionOptions{Pipeline: p.Name, LockTTL: p.Run.LockTTL.Duration,
		Resume: p.Run.Resume && !r.Fresh, Logger: g.logger,
		OnLost: func(err error) { cancel(fmt.Errorf("run stopped: %w", err)) }})
	if errors.Is(err, lake.ErrLocked) {
		return codedError{fmt.Errorf("another run holds the lake: %w", err), ExitLocked}
	}
	if err != nil {
		return err
	}
	defer sess.Close(context.WithoutCancel(ctx))
	log := g.logger.With("run_id", sess.RunID, "pipeline", p.Name)
	c, err := newClients(p, log)
	if err != nil {
		return codedError{err, ExitConfig}
	}
	var targets []load.Target
	if len(p.Objects.HubSpot) > 0 {
		targets = append(targets, &load.HubSpotTarget{Client: c.hs, Batch: p.Load.HubSpotBatchSize, Workers: p.Load.HubSpotWorkers})
	}
	if len(p.Objects.Salesforce) > 0 {
		targets = append(targets, &load.SalesforceTarget{Client: c.sf, Batch: p.Load.SalesforceBatchSize, Workers: p.Load.SalesforceWorkers})
	}
	progress := ui.New(g.stderr)
	rep, runErr := cycle.Run(ctx, cycle.Config{
		Store: store, Pipeline: p, Models: models, Sources: c.sources(p), Targets: targets,
		FullExtract: r.Full, FullTransform: r.FullTransform, Approve: r.Approve, DryRun: r.DryRun, Logger: log, Progress: progress,
		Session: sess, APIStats: c.apiStats,
	})
	progress.Done()
	if cause := context.Cause(ctx); runErr != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		runErr = cause
	}
	if rep != nil {
		fmt.Fprintf(g.stdout, "\ncrmhub run %s attempt %d (pipeline %s, lake %s)\n", rep.RunID, rep.Attempt, p.Name, store)
		if len(rep.Resumed) > 0 || rep.LoadSkipped > 0 {
			fmt.Fprintf(g.stdout, "resumed: steps %v done earlier; %d changes already sent were not sent again\n", rep.Resumed, rep.LoadSkipped)
		}
		printReport(g.stdout, rep, 0)
	}
	code := ExitOK
	if runErr == nil && rep.GuardError != nil {
		code = ExitRefused
	}
	// the closing steps: audit, metrics, alerts
	var audit *ops.AuditReport
	if runErr == nil && p.Run.Audit && !r.DryRun {
		start := time.Now()
		rec := cycle.StepRecord{Name: "audit", Status: cycle.StepSucceeded, StartedAt: start.UTC()}
		before := c.apiStats()
		audit, err = ops.Audit(ctx, ops.AuditConfig{Store: store, Pipeline: p, Models: models, HubSpot: c.hs, Salesforce: c.sf, Seed: rep.RunID})
		rec.FinishedAt = time.Now().UTC()
		rec.API = map[string]cycle.APIStats{}
		for sys, a := range c.apiStats() {
			b := before[sys]
			rec.API[sys] = cycle.APIStats{Calls: a.Calls - b.Calls, Errors: a.Errors - b.Errors, Retries: a.Retries - b.Retries, Latency: a.Latency - b.Latency}
		}
		if err != nil {
			rec.Status, rec.Error = cycle.StepFailed, err.Error()
			log.Error("audit failed", "err", err)
		} else {
			rec.Records = int64(audit.Sampled)
			rec.Errors = int64(len(audit.Mismatches))
			printAudit(g, audit)
			if audit.Below() && code == ExitOK {
				code = ExitAudit
			}
		}
		_ = sess.Record(context.WithoutCancel(ctx), rec)
		rep.StepRecords = sess.Steps()
	}
	if rep != nil {
		if err := monitor(context.WithoutCancel(ctx), store, p, rep, r.DryRun, audit, log); err != nil {
			log.Error("monitoring", "err", err)
			fmt.Fprintln(g.stderr, "crmhub: monitoring:", err)
			if runErr == nil && code == ExitOK {
				code = ExitMonitoring
			}
		}
	}
	if runErr != nil {
		return runErr // exit 1: the next run resumes from the failed step
	}
	switch code {
	case ExitRefused:
		return codedError{rep.GuardError, code}
	case ExitAudit:
		return codedError{fmt.Errorf("parity audit: %.1f%% of critical fields agree, below %.1f%%", 100*audit.Parity, 100*audit.Threshold), code}
	case ExitMonitoring:
		return codedError{errors.New("the run completed but metrics or alerts were not delivered"), code}
	}
	return nil
}

// monitor exports the run's metrics and sends alert changes.
func monitor(ctx context.Context, store lake.Store, p *pipelines.Pipeline, rep *cycle.Report, dryRun bool, audit *ops.AuditReport, log *slog.Logger) error {
	m, err := ops.Collect(ctx, store, p.Name, rep, dryRun)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if audit != nil {
		m.Parity = &audit.Parity
	}
	var errs []error
	if err := m.Export(ctx, store, p.Metrics.File, p.Metrics.PushgatewayURL, p.Metrics.Job); err != nil {
		errs = append(errs, err)
	}
	history, err := ops.ReadHistory(ctx, store)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	findings := ops.Evaluate(p.Alerts, p.Audit.Threshold, history, m)
	url := p.Alerts.WebhookURL
	if v := os.Getenv(p.Alerts.WebhookURLEnv); p.Alerts.WebhookURLEnv != "" && v != "" {
		url = v
	}
	n := &ops.Notifier{Store: store, WebhookURL: url, Pipeline: p.Name}
	sent, err := n.Notify(ctx, rep.RunID, time.Now(), findings)
	for _, s := range sent {
		log.Warn("alert", "alert", s.Alert, "status", s.Status, "summary", s.Summary)
	}
	if err != nil {
		errs = append(errs, err)
	}
	if err := ops.AppendHistory(ctx, store, m); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ValidateCmd is `crmhub validate`.
type ValidateCmd struct {
	File string `arg:"" help:"Pipeline file to check." type:"existingfile"`
}

func (v *ValidateCmd) Run(ctx context.Context, g *Globals) error {
	if _, err := pipelines.LoadFile(v.File); err != nil {
		return codedError{err, ExitConfig}
	}
	fmt.Fprintf(g.stdout, "%s: valid\n", v.File)
	return nil
}
