// Package reliability holds crmhub's crash, fault, concurrency, bad-input
// and secret tests (issue #8). They drive the real crmhub binary against
// simulators that live in the test process, so the simulators outlive every
// killed run and their state can be compared.
package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/testenv"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/sim/fault"
)

// Credentials the simulators accept; the secret test greps for them.
const (
	hsToken  = "hs-tok-7f3a9c1e5b2d4f60-SECRET"
	sfID     = "sf-client-id-91b2"
	sfSecret = "sf-secret-4d8e2a6c0f1b3957-SECRET"
)

// crmhubBuild is the binary the tests run, built once and removed by TestMain.
var crmhubBuild testenv.Binary

func TestMain(m *testing.M) { os.Exit(testenv.RunWithBinary(m, &crmhubBuild)) }

// crmhubBin builds the crmhub binary once per test process.
func crmhubBin(t *testing.T) string {
	t.Helper()
	return crmhubBuild.Path(t)
}

// dataNow fixes generated data so two runs see the same records; it lies
// before any wall clock the tests run at, so later times are the runs' own.
var dataNow = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// simOpts configures startSims.
type simOpts struct {
	people      int
	seed        uint64
	hsFaults    fault.Config
	sfFaults    fault.Config
	expireEvery int
	// offset moves the simulators' clock ahead (a later night).
	offset time.Duration
}

// startSims serves both simulators in this process, loaded with generated
// data that depends only on people and seed.
func startSims(t *testing.T, o simOpts) *demo.Sims {
	t.Helper()
	return startSimsWith(t, gen.Generate(gen.Options{People: o.people, Seed: o.seed, Now: dataNow}), o)
}

// startSimsWith serves d.
func startSimsWith(t *testing.T, d *seed.Dataset, o simOpts) *demo.Sims {
	t.Helper()
	now := func() time.Time { return time.Now().Add(o.offset) }
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: hsToken, SalesforceClientID: sfID, SalesforceClientSecret: sfSecret,
		HubSpotFaults: o.hsFaults, SalesforceFaults: o.sfFaults, SalesforceExpireEvery: o.expireEvery, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sims.Close)
	return sims
}

// secretEnv is the environment holding the credentials (never the pipeline
// file, never the command line).
func secretEnv() []string {
	return append(os.Environ(), "REL_HS_TOKEN="+hsToken, "REL_SF_ID="+sfID, "REL_SF_SECRET="+sfSecret)
}

// writePipeline writes a pipeline file for sims; extra is appended YAML.
func writePipeline(t *testing.T, dir string, sims *demo.Sims, extra string) string {
	t.Helper()
	body := "name: reliability\n" +
		"hubspot: {base_url: " + sims.HubSpotURL + ", token_env: REL_HS_TOKEN, requests_per_10s: 1000}\n" +
		"salesforce: {login_url: " + sims.SalesforceURL + ", client_id_env: REL_SF_ID, client_secret_env: REL_SF_SECRET}\n" +
		"run: {lock_ttl: 5s}\n" + extra
	p := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// result is one finished crmhub process.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, tail(r.stdout, 4000), tail(r.stderr, 8000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// runCrmhub runs the binary to its end.
func runCrmhub(ctx context.Context, t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, crmhubBin(t), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("crmhub %s: %v", strings.Join(args, " "), err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}
