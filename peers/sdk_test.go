package peers

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/seed"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
)

// installHint is the command that makes the SDK test's Python environment.
const installHint = "python3 -m venv .cache/venv && .cache/venv/bin/pip install -r peers/requirements.txt" +
	"   (or: bash scripts/test.sh, which does it)"

// TestOfficialSDKs runs peers/sdk (pytest) with HubSpot's hubspot-api-client
// and simple-salesforce against both simulators, started here on loopback
// with generated data. A missing venv or package fails the test.
func TestOfficialSDKs(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(root, ".cache", "venv", "bin", "python")
	checkVenv(t, root, python)

	const (
		hsToken  = "sdk-hubspot-token"
		sfID     = "sdk-client-id"
		sfSecret = "sdk-client-secret"
		sfUser   = "sdk-user@example.com"
		sfPass   = "sdk-password"
	)
	d := gen.Generate(gen.Options{People: 1000, Seed: 11})
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: hsToken, SalesforceClientID: sfID, SalesforceClientSecret: sfSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sims.Close)

	// simple-salesforce speaks only https (it builds https://{domain}.salesforce.com
	// and https://{instance}), so its simulator sits behind a loopback TLS
	// listener whose certificate the Python side trusts; it also gets a key
	// for the JWT bearer flow and a user for the password flows.
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "jwt.key")
	writePEM(t, keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	sf := simsf.New(simsf.Options{ClientID: sfID, ClientSecret: sfSecret, Users: map[string]string{sfUser: sfPass},
		JWTPublicKey: &key.PublicKey})
	for _, obj := range seed.SalesforceObjects {
		if recs := d.Records(seed.Salesforce, obj); len(recs) > 0 {
			if err := sf.Load(obj, recs); err != nil {
				t.Fatalf("load salesforce %s: %v", obj, err)
			}
		}
	}
	tls := httptest.NewUnstartedServer(sf)
	tls.StartTLS()
	t.Cleanup(tls.Close)
	caFile := filepath.Join(dir, "ca.pem")
	writePEM(t, caFile, "CERTIFICATE", tls.Certificate().Raw)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"-m", "pytest", "peers/sdk", "-q", "-p", "no:cacheprovider", "-rfE", "--basetemp", filepath.Join(dir, "pytest")}
	if extra := os.Getenv("PEERS_PYTEST_ARGS"); extra != "" {
		args = append(args, strings.Fields(extra)...)
	}
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"HUBSPOT_URL="+sims.HubSpotURL, "HUBSPOT_TOKEN="+hsToken,
		"SALESFORCE_URL="+tls.URL, "SALESFORCE_CA_FILE="+caFile,
		"SALESFORCE_CLIENT_ID="+sfID, "SALESFORCE_CLIENT_SECRET="+sfSecret,
		"SALESFORCE_USERNAME="+sfUser, "SALESFORCE_PASSWORD="+sfPass, "SALESFORCE_JWT_KEY_FILE="+keyFile,
		"PYTHONDONTWRITEBYTECODE=1",
		// requests prefers these variables to Session.verify: point them at the simulator too.
		"REQUESTS_CA_BUNDLE="+caFile, "CURL_CA_BUNDLE="+caFile)
	out, err := cmd.CombinedOutput()
	t.Logf("python %s\n%s", strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("SDK tests failed (%v); output above", err)
	}
}

// checkVenv fails the test, naming the install command, unless the venv has
// every package peers/requirements.txt pins, at the pinned version.
func checkVenv(t *testing.T, root, python string) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("no Python venv for the SDK tests at %s: run %s", python, installHint)
	}
	f, err := os.Open(filepath.Join(root, "peers", "requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pins []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			pins = append(pins, line)
		}
	}
	script := `import sys, importlib.metadata as m
bad = []
for pin in sys.argv[1:]:
    name, _, want = pin.partition("==")
    try:
        have = m.version(name)
    except m.PackageNotFoundError:
        have = None
    if have != want:
        bad.append(f"{name}: want {want}, have {have}")
print("; ".join(bad))
sys.exit(1 if bad else 0)`
	out, err := exec.Command(python, append([]string{"-c", script}, pins...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("the SDK test venv lacks pinned packages (%s): run %s", strings.TrimSpace(string(out)), installHint)
	}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(fmt.Errorf("write %s: %w", path, err))
	}
}
