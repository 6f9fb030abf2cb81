// Package demo runs the whole nightly cycle against in-process HubSpot and
// Salesforce simulators, loaded with generated data or a seed directory.
// The simulators' state is kept in the lake, so a second demo on the same
// lake continues where the first stopped: a day of edits, then an
// incremental run.
package demo

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/seed"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// stateKey holds the simulators' state between demo runs.
const stateKey = "demo/state.json.gz"

// Options configure a demo run.
type Options struct {
	Store lake.Store
	// SeedDir loads a seed directory instead of generated data.
	SeedDir string
	// People per system for generated data.
	People int
	// SeedNumber fixes the generated data.
	SeedNumber uint64
	// DryRun computes everything and writes nothing to the simulators.
	DryRun bool
	// Models is the sql/ tree to run (default: the embedded models).
	Models   fs.FS
	Pipeline *pipelines.Pipeline
	WorkDir  string
	Logger   *slog.Logger
	Progress cycle.Progress
	// Now is the wall clock the simulators and the run keep time by
	// (default time.Now); each night runs Day days ahead of it. Only
	// record times follow it: the generated data's own dates do not (gen),
	// so the figures are the same whatever it says.
	Now func() time.Time
}

// state is what the demo keeps between runs.
type state struct {
	Source  string          `json:"source"`
	Day     int             `json:"day"`
	Dataset *seed.Dataset   `json:"dataset"`
	Truth   []seed.TruthRow `json:"truth"`
	// Schema keeps the properties and fields the runs created (unique and
	// External ID flags with them) for the next run's simulators.
	Schema *Schema `json:"schema,omitempty"`
}

// Result is a demo run's report plus what the demo itself did.
type Result struct {
	*cycle.Report
	Source    string
	Day       int
	Mutations gen.Stats
	Prepare   time.Duration
}

// Run prepares the data, starts the simulators, runs the cycle and keeps
// the simulators' final state in the lake.
func Run(ctx context.Context, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	clock := opts.Now
	if clock == nil {
		clock = time.Now
	}
	start := time.Now()
	source := fmt.Sprintf("generated people=%d seed=%d", opts.People, opts.SeedNumber)
	if opts.SeedDir != "" {
		abs, err := filepath.Abs(opts.SeedDir)
		if err != nil {
			return nil, err
		}
		source = "seed " + abs
	}
	st, err := readState(ctx, opts.Store)
	if err != nil {
		return nil, err
	}
	res := &Result{Source: source}
	if st != nil && st.Source != source {
		return nil, fmt.Errorf("the lake %s holds a demo of %q, not %q: use another --lake or remove it", opts.Store, st.Source, source)
	}
	switch {
	case st != nil:
		st.Day++
		if opts.SeedDir == "" {
			// a day of user activity in both CRMs
			res.Mutations = gen.Mutate(st.Dataset, gen.MutateOptions{Day: st.Day, Seed: opts.SeedNumber,
				Now: clock().Add(time.Duration(st.Day) * 24 * time.Hour)})
			st.Truth = st.Dataset.Truth
		}
	case opts.SeedDir != "":
		d, err := seed.Load(opts.SeedDir)
		if err != nil {
			return nil, err
		}
		st = &state{Source: source, Dataset: d, Truth: d.Truth}
	default:
		d := gen.Generate(gen.Options{People: opts.People, Seed: opts.SeedNumber, Now: clock()})
		st = &state{Source: source, Dataset: d, Truth: d.Truth}
	}
	res.Day = st.Day
	// Each demo run is the next night: the simulators, the day's edits and
	// the run share a clock moved Day days ahead, so edits land after the
	// previous run's cursor as they would in real life.
	offset := time.Duration(st.Day) * 24 * time.Hour
	now := func() time.Time { return clock().Add(offset) }

	creds := SimConfig{HubSpotToken: "demo-" + randomHex(), SalesforceClientID: "demo-client", SalesforceClientSecret: "demo-" + randomHex(), Logger: log}
	creds.Now = now
	creds.Schema = st.Schema
	sims, err := StartSims(st.Dataset, creds)
	if err != nil {
		return nil, err
	}
	defer sims.Close()
	res.Prepare = time.Since(start)

	hs, err := hubspot.New(hubspot.Config{BaseURL: sims.HubSpotURL, Token: creds.HubSpotToken, RequestsPer10s: 100_000, SearchPerSecond: 1000, Logger: log})
	if err != nil {
		return nil, err
	}
	// The simulator finishes Bulk API jobs at once; poll it briskly.
	sf, err := salesforce.New(salesforce.Config{LoginURL: sims.SalesforceURL, ClientID: creds.SalesforceClientID, ClientSecret: creds.SalesforceClientSecret,
		BulkPollInterval: 50 * time.Millisecond, Logger: log})
	if err != nil {
		return nil, err
	}
	p := opts.Pipeline
	if p == nil {
		p = pipelines.Default()
	}
	models := opts.Models
	if models == nil {
		models = sqlmodels.Models
	}
	cfg := cycle.Config{
		Store: opts.Store, Pipeline: p, Models: models,
		Sources: Sources(hs, sf),
		Targets: []load.Target{&load.HubSpotTarget{Client: hs, Batch: p.Load.HubSpotBatchSize, Workers: p.Load.HubSpotWorkers}, &load.SalesforceTarget{Client: sf, Batch: p.Load.SalesforceBatchSize, Workers: p.Load.SalesforceWorkers}},
		// The demo approves its own mass updates: the first sync of
		// simulated data writes cross-system ids to most records.
		Approve: "crmhub demo: simulated data",
		DryRun:  opts.DryRun,
		Truth:   st.Truth, WorkDir: opts.WorkDir, Logger: log, Progress: opts.Progress, Now: now,
	}
	rep, err := cycle.Run(ctx, cfg)
	res.Report = rep
	if err != nil {
		return res, err
	}
	st.Dataset = sims.Snapshot()
	st.Dataset.Truth = st.Truth
	st.Schema = sims.Schema()
	if err := writeState(ctx, opts.Store, st); err != nil {
		return res, fmt.Errorf("save demo state: %w", err)
	}
	return res, nil
}

// Sources lists every object of both CRMs, parents first.
func Sources(hs *hubspot.Client, sf *salesforce.Client) []extract.Source {
	var out []extract.Source
	for _, obj := range seed.HubSpotObjects {
		out = append(out, extract.HubSpotSource{Client: hs, Obj: obj})
	}
	for _, obj := range seed.SalesforceObjects {
		out = append(out, extract.SalesforceSource{Client: sf, Obj: obj})
	}
	return out
}

func readState(ctx context.Context, store lake.Store) (*state, error) {
	b, err := lake.ReadAll(ctx, store, stateKey)
	if errors.Is(err, lake.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stateKey, err)
	}
	var st state
	if err := json.NewDecoder(zr).Decode(&st); err != nil {
		return nil, fmt.Errorf("%s: %w", stateKey, err)
	}
	return &st, nil
}

func writeState(ctx context.Context, store lake.Store, st *state) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(st); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return store.Put(ctx, stateKey, &buf)
}
