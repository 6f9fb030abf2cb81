package reliability

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestSecretsNeverShow runs the whole pipeline (run with audit, metrics and
// alerts on, report, audit, sql, failing runs) with known secret strings
// and searches every log line (text and JSON, debug level), output, error
// text, alert, metrics file, report and every file of the lake, Parquet
// rows read through DuckDB, for them.
func TestSecretsNeverShow(t *testing.T) {
	ctx := context.Background()
	sims := startSims(t, simOpts{people: 150, seed: 51})
	dir := t.TempDir()
	const hookSecret = "hook-path-0c9e7d1a5b3f-SECRET"
	const wrongToken = "wrong-hs-token-5e1b-SECRET"
	const wrongSecret = "wrong-sf-secret-8a2c-SECRET"
	secrets := []string{hsToken, sfSecret, hookSecret, wrongToken, wrongSecret}

	var mu sync.Mutex
	var hookBodies bytes.Buffer
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hookBodies.Write(b)
		hookBodies.WriteByte('\n')
		mu.Unlock()
	}))
	defer hook.Close()

	// the HubSpot token from a file, the Salesforce secret and the webhook
	// URL from the environment
	tokenFile := filepath.Join(dir, "hubspot.token")
	if err := os.WriteFile(tokenFile, []byte(hsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	metrics := filepath.Join(dir, "crmhub.prom")
	pipeBody := func(tokenEnv string) string {
		return "name: secrets\n" +
			"hubspot: {base_url: " + sims.HubSpotURL + ", token_env: " + tokenEnv + ", token_file: " + tokenFile + ", requests_per_10s: 1000}\n" +
			"salesforce: {login_url: " + sims.SalesforceURL + ", client_id_env: REL_SF_ID, client_secret_env: REL_SF_SECRET}\n" +
			"run: {lock_ttl: 5s, audit: true}\naudit: {sample: 10, threshold: 0.1}\n" +
			"metrics: {file: " + metrics + "}\nalerts: {webhook_url_env: REL_HOOK, min_history: 1}\n"
	}
	pipe := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(pipe, []byte(pipeBody("REL_UNSET_TOKEN")), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(pipe); containsAny(string(b), secrets) != "" {
		t.Fatal("the test's pipeline file holds a secret")
	}
	env := append(secretEnv(), "REL_HOOK="+hook.URL+"/"+hookSecret, "REL_UNSET_TOKEN=")
	lakeDir := filepath.Join(dir, "lake")

	var outputs []string
	check := func(what string, r result, wantCode int) {
		t.Helper()
		outputs = append(outputs, r.stdout, r.stderr)
		if wantCode >= 0 && r.code != wantCode {
			t.Errorf("%s: want exit %d, %s", what, wantCode, r)
		}
		for name, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
			if sec := containsAny(s, secrets); sec != "" {
				t.Errorf("%s: %s shows secret %q", what, name, sec)
			}
			for _, tell := range []string{"Bearer ", "access_token", "client_secret="} {
				if strings.Contains(s, tell) {
					t.Errorf("%s: %s shows %q", what, name, tell)
				}
			}
		}
	}
	check("run (json, debug)", runCrmhub(ctx, t, env, "--log-format", "json", "--log-level", "debug",
		"run", "--pipeline", pipe, "--lake", lakeDir, "--approve", "secrets test"), -1)
	check("run (text, debug)", runCrmhub(ctx, t, env, "--log-format", "text", "--log-level", "debug",
		"run", "--pipeline", pipe, "--lake", lakeDir, "--approve", "secrets test"), -1)
	check("report", runCrmhub(ctx, t, env, "report", "--lake", lakeDir), 0)
	check("audit", runCrmhub(ctx, t, env, "--log-level", "debug", "audit", "--pipeline", pipe, "--lake", lakeDir, "--json"), -1)
	check("sql", runCrmhub(ctx, t, env, "sql", "--lake", lakeDir, "--format", "json",
		"SELECT * FROM sync_run_steps, sync_runs"), 0)
	check("validate", runCrmhub(ctx, t, env, "validate", pipe), 0)

	// failing runs: a token the CRM refuses, a wrong client secret
	badTok := append(secretEnv(), "REL_HOOK="+hook.URL+"/"+hookSecret, "REL_BAD_TOKEN="+wrongToken)
	pipeBad := filepath.Join(dir, "bad-token.yaml")
	if err := os.WriteFile(pipeBad, []byte(pipeBody("REL_BAD_TOKEN")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"json", "text"} {
		r := runCrmhub(ctx, t, badTok, "--log-format", f, "--log-level", "debug", "run", "--pipeline", pipeBad, "--lake", lakeDir, "--fresh")
		check("run with a refused token ("+f+")", r, -1)
		if r.code == 0 {
			t.Errorf("a refused token did not fail the run")
		}
	}
	badSec := append(env, "REL_SF_SECRET="+wrongSecret)
	for _, f := range []string{"json", "text"} {
		r := runCrmhub(ctx, t, badSec, "--log-format", f, "--log-level", "debug", "run", "--pipeline", pipe, "--lake", lakeDir, "--fresh")
		check("run with a wrong client secret ("+f+")", r, -1)
		if r.code == 0 {
			t.Errorf("a wrong client secret did not fail the run")
		}
	}

	// files: metrics, webhook bodies, every file in the lake
	mu.Lock()
	bodies := hookBodies.String()
	mu.Unlock()
	if bodies == "" {
		t.Errorf("no alert was sent (the failing runs should fire run_failed)")
	}
	if sec := containsAny(bodies, secrets); sec != "" {
		t.Errorf("an alert shows secret %q", sec)
	}
	if b, err := os.ReadFile(metrics); err != nil {
		t.Error(err)
	} else if sec := containsAny(string(b), secrets); sec != "" {
		t.Errorf("the metrics file shows secret %q", sec)
	}
	db := openDuck(t)
	files, parquets := 0, 0
	err := filepath.WalkDir(lakeDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if sec := containsAny(string(b), secrets); sec != "" {
			t.Errorf("%s holds secret %q", p, sec)
		}
		if strings.HasSuffix(p, ".parquet") {
			parquets++
			// compressed pages hide strings from a byte search: read the rows
			for _, sec := range secrets {
				var n int
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet(?) t WHERE contains(CAST(t AS VARCHAR), ?)", p, sec).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					t.Errorf("%s: %d rows hold secret %q", p, n, sec)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("searched %d outputs, %d bytes of alerts, the metrics file and %d lake files (%d Parquet, row by row) for %d secrets",
		len(outputs), len(bodies), files, parquets, len(secrets))
	if parquets < 10 {
		t.Errorf("only %d Parquet files in the lake", parquets)
	}
}

func containsAny(s string, subs []string) string {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return x
		}
	}
	return ""
}
