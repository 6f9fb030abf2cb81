package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/crmhub/crmhub/sim/fault"
	simhs "github.com/crmhub/crmhub/sim/hubspot"
	simsf "github.com/crmhub/crmhub/sim/salesforce"

	"github.com/crmhub/crmhub/seed"
)

// Sims are both simulators serving on loopback.
type Sims struct {
	HubSpot       *simhs.Server
	Salesforce    *simsf.Server
	HubSpotURL    string
	SalesforceURL string
	servers       []*http.Server
}

// Schema is what the simulators were given beyond their standard
// definitions (crmhub's own properties and fields, unique and External ID
// flags included). A snapshot of records alone loses it.
type Schema struct {
	HubSpot    map[string][]simhs.Property    `json:"hubspot,omitempty"`
	Salesforce map[string][]simsf.CustomField `json:"salesforce,omitempty"`
}

// SimConfig sets the credentials the simulators accept.
type SimConfig struct {
	HubSpotToken           string
	SalesforceClientID     string
	SalesforceClientSecret string
	// HubSpotAddr and SalesforceAddr default to 127.0.0.1:0 (any free port).
	HubSpotAddr    string
	SalesforceAddr string
	Logger         *slog.Logger
	// Schema, when set, is defined before the records are loaded.
	Schema *Schema
	// Now is the simulators' clock (default time.Now).
	Now func() time.Time
	// HubSpotFaults and SalesforceFaults inject failures (sim/fault);
	// SalesforceExpireEvery expires every Salesforce session at each Nth
	// API request (0: never).
	HubSpotFaults         fault.Config
	SalesforceFaults      fault.Config
	SalesforceExpireEvery int
}

// StartSims loads d into fresh simulators and serves them over HTTP.
func StartSims(d *seed.Dataset, cfg SimConfig) (*Sims, error) {
	s := &Sims{
		HubSpot: simhs.New(simhs.Options{Token: cfg.HubSpotToken, Logger: cfg.Logger, Now: cfg.Now, Faults: cfg.HubSpotFaults}),
		Salesforce: simsf.New(simsf.Options{ClientID: cfg.SalesforceClientID, ClientSecret: cfg.SalesforceClientSecret, Logger: cfg.Logger, Now: cfg.Now,
			Faults: cfg.SalesforceFaults, ExpireSessionsEvery: cfg.SalesforceExpireEvery}),
	}
	if cfg.Schema != nil {
		for obj, props := range cfg.Schema.HubSpot {
			if err := s.HubSpot.DefineProperties(obj, props); err != nil {
				return nil, fmt.Errorf("define hubspot %s properties: %w", obj, err)
			}
		}
		for obj, fields := range cfg.Schema.Salesforce {
			if err := s.Salesforce.DefineFields(obj, fields); err != nil {
				return nil, fmt.Errorf("define salesforce %s fields: %w", obj, err)
			}
		}
	}
	for _, obj := range seed.HubSpotObjects {
		if recs := d.Records(seed.HubSpot, obj); len(recs) > 0 {
			if err := s.HubSpot.Load(obj, recs); err != nil {
				return nil, fmt.Errorf("load hubspot %s: %w", obj, err)
			}
		}
	}
	for _, obj := range seed.SalesforceObjects {
		if recs := d.Records(seed.Salesforce, obj); len(recs) > 0 {
			if err := s.Salesforce.Load(obj, recs); err != nil {
				return nil, fmt.Errorf("load salesforce %s: %w", obj, err)
			}
		}
	}
	var err error
	if s.HubSpotURL, err = s.serve(cfg.HubSpotAddr, s.HubSpot); err != nil {
		return nil, err
	}
	if s.SalesforceURL, err = s.serve(cfg.SalesforceAddr, s.Salesforce); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Sims) serve(addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("simulator listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("simulator stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Snapshot returns both simulators' current records as a dataset.
func (s *Sims) Snapshot() *seed.Dataset {
	d := seed.NewDataset()
	for obj, recs := range s.HubSpot.Snapshot() {
		d.Objects[seed.HubSpot][obj] = recs
	}
	for obj, recs := range s.Salesforce.Snapshot() {
		d.Objects[seed.Salesforce][obj] = recs
	}
	return d
}

// Schema returns both simulators' definitions beyond the standard ones.
func (s *Sims) Schema() *Schema {
	return &Schema{HubSpot: s.HubSpot.CustomProperties(), Salesforce: s.Salesforce.CustomFields()}
}

// Close stops serving.
func (s *Sims) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
}
