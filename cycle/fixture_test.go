package cycle_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// simFixture is a run's world for the cycle tests: generated people in both
// simulators over real sockets (on the clock now, nil for the wall clock),
// the API clients that drive them, and a fresh local lake.
type simFixture struct {
	hs    *hubspot.Client
	sf    *salesforce.Client
	store lake.Store
}

func newSimFixture(t *testing.T, people int, now func() time.Time) *simFixture {
	t.Helper()
	const token, clientID, secret = "test-token", "test-client", "test-secret"
	d := gen.Generate(gen.Options{People: people, Seed: 7, Now: time.Now()})
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: token, SalesforceClientID: clientID, SalesforceClientSecret: secret,
		Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sims.Close)
	f := &simFixture{}
	if f.hs, err = hubspot.New(hubspot.Config{BaseURL: sims.HubSpotURL, Token: token, RequestsPer10s: 100_000, SearchPerSecond: 1000}); err != nil {
		t.Fatal(err)
	}
	if f.sf, err = salesforce.New(salesforce.Config{LoginURL: sims.SalesforceURL, ClientID: clientID, ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	if f.store, err = lake.OpenLocal(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return f
}

// config is a run of p over the fixture: both simulators as sources and
// targets (HubSpot batches of hsBatch, Salesforce collections of 200).
func (f *simFixture) config(t *testing.T, p *pipelines.Pipeline, hsBatch int) cycle.Config {
	t.Helper()
	return cycle.Config{Store: f.store, Pipeline: p, Models: sqlmodels.Models, Sources: demo.Sources(f.hs, f.sf),
		Targets: []load.Target{&load.HubSpotTarget{Client: f.hs, Batch: hsBatch}, &load.SalesforceTarget{Client: f.sf, Batch: 200}},
		WorkDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
}
