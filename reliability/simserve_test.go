package reliability

import (
	"bufio"
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSimServeFaultFlags: `crmhub sim serve` injects the faults its flags
// ask for, and refuses shares out of range.
func TestSimServeFaultFlags(t *testing.T) {
	ctx := context.Background()
	if r := runCrmhub(ctx, t, secretEnv(), "sim", "serve", "--records", "10", "--faults-429", "1.5"); r.code != 2 || !strings.Contains(r.stderr, "--faults-429") {
		t.Errorf("--faults-429 1.5: %s", r)
	}
	if r := runCrmhub(ctx, t, secretEnv(), "sim", "serve", "--records", "10", "--faults-429", "0.6", "--faults-5xx", "0.6"); r.code != 2 {
		t.Errorf("shares above 1 in all: %s", r)
	}
	cmd := exec.Command(crmhubBin(t), "sim", "serve", "--records", "20", "--hubspot", "127.0.0.1:0", "--salesforce", "127.0.0.1:0",
		"--hubspot-token", hsToken, "--faults-429", "1", "--faults-seed", "7", "--salesforce-expire-every", "3")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var hsURL string
	var lines []string
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(time.Minute)
	for sc.Scan() && time.Now().Before(deadline) {
		line := sc.Text()
		lines = append(lines, line)
		if f := strings.Fields(line); len(f) >= 3 && strings.HasPrefix(line, "HubSpot simulator:") {
			hsURL = f[2]
		}
		if strings.Contains(line, "serving until interrupted") {
			break
		}
	}
	if hsURL == "" || !strings.Contains(strings.Join(lines, "\n"), "faults: 429 100.0%") {
		t.Fatalf("sim serve output:\n%s", strings.Join(lines, "\n"))
	}
	req, _ := http.NewRequest(http.MethodGet, hsURL+"/crm/v3/objects/contacts?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+hsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("with --faults-429 1: %s, want 429", resp.Status)
	}
}
