package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/demo"
)

// hubspotBatch posts a batch endpoint of the HubSpot simulator.
func hubspotBatch(t *testing.T, sims *demo.Sims, object, op string, inputs []map[string]any) {
	t.Helper()
	for i := 0; i < len(inputs); i += 100 {
		body, _ := json.Marshal(map[string]any{"inputs": inputs[i:min(i+100, len(inputs))]})
		req, _ := http.NewRequest(http.MethodPost, sims.HubSpotURL+"/crm/v3/objects/"+object+"/batch/"+op, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+hsToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %s", object, op, resp.Status)
		}
	}
}

// liveContacts are the live HubSpot contacts' ids and values.
func liveContacts(sims *demo.Sims) []map[string]string {
	var out []map[string]string
	for _, r := range sims.HubSpot.Snapshot()["contacts"] {
		if !r.Archived {
			v := map[string]string{"id": r.ID}
			for k, x := range r.Values {
				v[k] = x
			}
			out = append(out, v)
		}
	}
	return out
}

// TestMassChangeGuard: a source that suddenly archives half of its
// records, or blanks a field on most of them, does not reach the other
// CRM without approval, and the refusal names the counts.
func TestMassChangeGuard(t *testing.T) {
	ctx := context.Background()
	env := secretEnv()
	t.Run("archive half", func(t *testing.T) {
		sims := startSims(t, simOpts{people: 200, seed: 41})
		dir := t.TempDir()
		pipe := writePipeline(t, dir, sims, "golden: {propagate_deletions: [salesforce]}\n")
		lakeDir := filepath.Join(dir, "lake")
		run := func(approve string) result {
			args := []string{"run", "--pipeline", pipe, "--lake", lakeDir}
			if approve != "" {
				args = append(args, "--approve", approve)
			}
			return runCrmhub(ctx, t, env, args...)
		}
		if r := run("first sync"); r.code != 0 {
			t.Fatalf("first run: %s", r)
		}
		live := liveContacts(sims)
		var gone []map[string]any
		for i, c := range live {
			if i%2 == 0 {
				gone = append(gone, map[string]any{"id": c["id"]})
			}
		}
		hubspotBatch(t, sims, "contacts", "archive", gone)
		before := sims.Snapshot()
		for _, attempt := range []string{"first", "second"} {
			r := run("")
			if r.code != 3 {
				t.Fatalf("%s run after archiving %d of %d contacts: want exit 3 (refused), %s", attempt, len(gone), len(live), r)
			}
			want := fmt.Sprintf("hubspot contacts: %d of %d records archived in the source since the last run", len(gone), len(live))
			if attempt == "first" {
				for _, line := range strings.Split(r.stderr, "\n") {
					if strings.Contains(line, "archived in the source") && !strings.Contains(line, "level=") {
						t.Logf("refusal: %s", line)
					}
				}
			}
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s refusal does not name the counts (%q):\n%s", attempt, want, r.stderr)
			}
			st, _ := snapshotState(t, before, seededIDs(before))
			after, _ := snapshotState(t, sims.Snapshot(), seededIDs(before))
			if d := diffStates(st, after, 10); len(d) > 0 {
				t.Fatalf("the refused run wrote to the CRMs:\n%s", strings.Join(d, "\n"))
			}
		}
		if r := run("the archive is real"); r.code != 0 {
			t.Fatalf("approved run: %s", r)
		}
		if r := run(""); r.code != 0 {
			t.Fatalf("run after the approved one: %s", r)
		}
	})
	t.Run("blank a field", func(t *testing.T) {
		sims := startSims(t, simOpts{people: 200, seed: 43})
		dir := t.TempDir()
		pipe := writePipeline(t, dir, sims, "")
		lakeDir := filepath.Join(dir, "lake")
		if r := runCrmhub(ctx, t, env, "run", "--pipeline", pipe, "--lake", lakeDir, "--approve", "first sync"); r.code != 0 {
			t.Fatalf("first run: %s", r)
		}
		phones := func(object string) int {
			n := 0
			for _, r := range sims.Salesforce.Snapshot()[object] {
				if r.Values["Phone"] != "" {
					n++
				}
			}
			return n
		}
		sfBefore := phones("Contact") + phones("Lead")
		var blank []map[string]any
		live := liveContacts(sims)
		for i, c := range live {
			if i%10 < 7 && c["phone"] != "" {
				blank = append(blank, map[string]any{"id": c["id"], "properties": map[string]string{"phone": ""}})
			}
		}
		hubspotBatch(t, sims, "contacts", "update", blank)
		r := runCrmhub(ctx, t, env, "run", "--pipeline", pipe, "--lake", lakeDir)
		t.Logf("after blanking phone on %d of %d contacts: exit %d", len(blank), len(live), r.code)
		switch r.code {
		case 0:
		case 3:
			if !regexp.MustCompile(`\d+ of \d+ records would be updated, above the limit of \d+`).MatchString(r.stderr) {
				t.Errorf("refusal without counts:\n%s", r.stderr)
			}
		default:
			t.Fatalf("run after blanking: %s", r)
		}
		if n := phones("Contact") + phones("Lead"); n < sfBefore {
			t.Errorf("Salesforce lost phones: %d before, %d after", sfBefore, n)
		}
		out := runCrmhub(ctx, t, env, "sql", "--lake", lakeDir, "--format", "csv",
			"SELECT count(*) FILTER (WHERE coalesce(trim(new_value), '') = ''), count(*) FILTER (WHERE crm_field ILIKE '%phone%') FROM outbox")
		t.Logf("outbox blanks, phone writes: %s", strings.TrimSpace(out.stdout))
		if !strings.Contains(out.stdout, "\n0,") {
			t.Errorf("the outbox writes blanks:\n%s", out)
		}
	})
}
