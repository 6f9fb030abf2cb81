package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/sim/fault"
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

	// Fault injection (sim/fault), the same for both simulators.
	Faults429             float64       `name:"faults-429" help:"Share of requests answered 429 (0..1)." placeholder:"SHARE"`
	Faults5xx             float64       `name:"faults-5xx" help:"Share of requests answered 500, 502 or 503 (0..1)." placeholder:"SHARE"`
	FaultsReset           float64       `name:"faults-reset" help:"Share of requests whose connection is dropped unanswered (0..1)." placeholder:"SHARE"`
	FaultsLatency         time.Duration `name:"faults-latency" help:"Latency added to every request (e.g. 20ms)."`
	FaultsRecord          float64       `name:"faults-record" help:"Share of records in batch writes that fail alone (0..1)." placeholder:"SHARE"`
	FaultsSeed            uint64        `name:"faults-seed" help:"Seed of the fault decisions (repeatable per request order)." default:"1"`
	SalesforceExpireEvery int           `name:"salesforce-expire-every" help:"Expire every Salesforce session at each Nth API request (0: never)." placeholder:"N"`
}

// faults is the fault configuration of one simulator; seedOffset keeps the
// two simulators' decision sequences apart.
func (s *SimServeCmd) faults(seedOffset uint64) (fault.Config, error) {
	for name, v := range map[string]float64{"--faults-429": s.Faults429, "--faults-5xx": s.Faults5xx,
		"--faults-reset": s.FaultsReset, "--faults-record": s.FaultsRecord} {
		if v < 0 || v > 1 {
			return fault.Config{}, fmt.Errorf("%s %v: a share between 0 and 1", name, v)
		}
	}
	if sum := s.Faults429 + s.Faults5xx + s.FaultsReset; sum > 1 {
		return fault.Config{}, fmt.Errorf("--faults-429 + --faults-5xx + --faults-reset = %v: above 1", sum)
	}
	if s.FaultsLatency < 0 || s.SalesforceExpireEvery < 0 {
		return fault.Config{}, fmt.Errorf("--faults-latency and --salesforce-expire-every cannot be negative")
	}
	return fault.Config{Seed: s.FaultsSeed + seedOffset, RateLimited: s.Faults429, ServerError: s.Faults5xx,
		Reset: s.FaultsReset, Latency: s.FaultsLatency, RecordFailure: s.FaultsRecord}, nil
}

func (s *SimServeCmd) Run(ctx context.Context, g *Globals) error {
	hsFaults, err := s.faults(0)
	if err != nil {
		return codedError{err, 2}
	}
	sfFaults, _ := s.faults(1)
	var d *seed.Dataset
	if s.Seed != "" {
		if d, err = seed.Load(s.Seed); err != nil {
			return codedError{err, 2}
		}
	} else {
		d = gen.Generate(gen.Options{People: s.Records, Seed: s.SeedNumber, Now: time.Now()})
	}
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: s.HubSpotToken, SalesforceClientID: s.SalesforceClientID,
		SalesforceClientSecret: s.SalesforceClientSecret, HubSpotAddr: s.HubSpot, SalesforceAddr: s.Salesforce, Logger: g.logger,
		HubSpotFaults: hsFaults, SalesforceFaults: sfFaults, SalesforceExpireEvery: s.SalesforceExpireEvery})
	if err != nil {
		return err
	}
	defer sims.Close()
	fmt.Fprintf(g.stdout, "HubSpot simulator:    %s (Bearer token as set by --hubspot-token)\n", sims.HubSpotURL)
	fmt.Fprintf(g.stdout, "Salesforce simulator: %s (POST /services/oauth2/token, grant_type=client_credentials)\n", sims.SalesforceURL)
	if hsFaults.Enabled() || s.SalesforceExpireEvery > 0 {
		fmt.Fprintf(g.stdout, "faults: 429 %.1f%%, 5xx %.1f%%, resets %.1f%%, record failures %.1f%%, latency %s, seed %d; Salesforce sessions expire every %d requests\n",
			100*s.Faults429, 100*s.Faults5xx, 100*s.FaultsReset, 100*s.FaultsRecord, s.FaultsLatency, s.FaultsSeed, s.SalesforceExpireEvery)
	}
	fmt.Fprintf(g.stdout, "%d records loaded; serving until interrupted\n", d.Count())
	<-ctx.Done()
	return nil
}
