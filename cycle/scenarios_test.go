package cycle_test

// Integration scenarios over the built binary (testdata/scenarios/README.md):
// each folder seeds both simulators from v1/, runs `crmhub run`, applies
// each later step's edits (v2/, v3/, ...) through the CRMs' APIs and runs
// again; after every run the published tables and both simulators' records
// are compared with expected/STEP/*.csv. UPDATE_SCENARIOS=1 rewrites the
// expectations (review every diff before committing it).

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/internal/testenv"
	"github.com/crmhub/crmhub/seed"
)

const scenarioRoot = "../testdata/scenarios"

// crmhubBuild is the binary the scenarios run, built once and removed by
// TestMain.
var crmhubBuild testenv.Binary

func TestMain(m *testing.M) { os.Exit(testenv.RunWithBinary(m, &crmhubBuild)) }

// crmhubBinary builds cmd/crmhub once per test process.
func crmhubBinary(t *testing.T) string {
	t.Helper()
	return crmhubBuild.Path(t)
}

// published are the queries whose CSV answers each step compares; time
// columns and run ids are left out (they differ run to run).
var published = map[string]string{
	"xref": `SELECT entity, golden_id, system, object, record_id, deleted FROM xref ORDER BY ALL`,
	"golden_persons": `SELECT golden_id, email, first_name, last_name, phone, title, company_name,
		provenance['phone'].system AS phone_from, provenance['phone'].rule AS phone_rule,
		provenance['title'].system AS title_from, provenance['title'].rule AS title_rule
		FROM golden_persons ORDER BY ALL`,
	"conflicts": `SELECT entity, golden_id, field, hubspot_value, salesforce_value, resolution_rule, resolved_value,
		resolved_from, resolution FROM conflicts ORDER BY ALL`,
	"outbox":       `SELECT system, object, record_id, crm_field, new_value, kind, rule FROM outbox ORDER BY ALL`,
	"review_queue": `SELECT reason, suggested_action FROM review_queue ORDER BY ALL`,
	"sync_errors":  `SELECT system, object, record_id, code FROM sync_errors WHERE retry_state IN ('pending_retry', 'stuck') ORDER BY ALL`,
}

// simColumns are the simulator fields each state file shows, besides the
// id and whether the record is archived (HubSpot) or deleted (Salesforce).
var simColumns = map[string][]string{
	"hubspot/contacts":   {"email", "firstname", "lastname", "phone", "jobtitle", "crmhub_salesforce_id", "hs_merged_object_ids"},
	"hubspot/companies":  {"name", "domain", "hs_merged_object_ids"},
	"salesforce/Contact": {"Email", "FirstName", "LastName", "Phone", "Title", "AccountId", "HubSpot_Id__c", "Crmhub_Status__c"},
	"salesforce/Lead":    {"Email", "FirstName", "LastName", "Phone", "Title", "Company", "HubSpot_Id__c", "Crmhub_Status__c"},
	"salesforce/Account": {"Name", "Website", "HubSpot_Id__c", "Crmhub_Status__c"},
}

func TestScenarios(t *testing.T) {
	dirs, err := os.ReadDir(scenarioRoot)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		t.Run(d.Name(), func(t *testing.T) { runScenario(t, filepath.Join(scenarioRoot, d.Name())) })
	}
	if n < 4 {
		t.Fatalf("%d scenarios in %s, want at least 4", n, scenarioRoot)
	}
}

// Credentials the simulators accept, passed to crmhub in its environment.
const (
	scToken  = "scenario-token"
	scID     = "scenario-client"
	scSecret = "scenario-secret"
)

func runScenario(t *testing.T, dir string) {
	ctx := context.Background()
	bin := crmhubBinary(t)
	d, err := seed.Load(filepath.Join(dir, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: scToken, SalesforceClientID: scID, SalesforceClientSecret: scSecret,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer sims.Close()
	work := t.TempDir()
	if keep := os.Getenv("SCENARIO_KEEP"); keep != "" { // keep the lake for a look with crmhub sql
		work = filepath.Join(keep, filepath.Base(dir))
		if err := os.MkdirAll(work, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	extra, err := os.ReadFile(filepath.Join(dir, "pipeline.yaml"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	pipe := filepath.Join(work, "pipeline.yaml")
	body := "name: scenario\n" +
		"hubspot: {base_url: " + sims.HubSpotURL + ", token_env: SC_HS_TOKEN, requests_per_10s: 1000}\n" +
		"salesforce: {login_url: " + sims.SalesforceURL + ", client_id_env: SC_SF_ID, client_secret_env: SC_SF_SECRET}\n" +
		"run: {lock_ttl: 5s}\n" + string(extra)
	if err := os.WriteFile(pipe, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "SC_HS_TOKEN="+scToken, "SC_SF_ID="+scID, "SC_SF_SECRET="+scSecret)
	lakeDir := filepath.Join(work, "lake")
	crmhub := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("crmhub %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String()
	}
	update := os.Getenv("UPDATE_SCENARIOS") != ""
	var failed []string
	for step := 1; ; step++ {
		name := fmt.Sprintf("v%d", step)
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			if step == 1 {
				t.Fatal(err)
			}
			break
		}
		if step > 1 {
			applyEdits(ctx, t, sims, filepath.Join(dir, name))
		}
		// small scenarios are far above the mass-update share: approve
		args := []string{"run", "--pipeline", pipe, "--lake", lakeDir, "--approve", "scenario " + name}
		if _, err := os.Stat(filepath.Join(dir, "models")); err == nil { // models laid over the built-in ones
			args = append(args, "--models", filepath.Join(dir, "models"))
		}
		crmhub(args...)
		got := map[string]string{}
		for table, q := range published {
			got[table] = crmhub("sql", "--lake", lakeDir, "--format", "csv", q)
		}
		for key, cols := range simColumns {
			got["sim_"+strings.ReplaceAll(key, "/", "_")] = simState(sims, key, cols)
		}
		expDir := filepath.Join(dir, "expected", name)
		for _, table := range slices.Sorted(mapKeys(got)) {
			path := filepath.Join(expDir, table+".csv")
			if update {
				if err := os.MkdirAll(expDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got[table]), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s: %v (UPDATE_SCENARIOS=1 writes it)", path, err)
				continue
			}
			if diff := lineDiff(string(want), got[table]); diff != "" {
				failed = append(failed, name+"/"+table)
				t.Errorf("after %s, %s differs from %s (- expected, + got):\n%s", name, table, path, diff)
			}
		}
	}
	if len(failed) > 0 {
		t.Logf("differences in %s; if the new output is right, UPDATE_SCENARIOS=1 go test ./cycle -run TestScenarios rewrites it", strings.Join(failed, ", "))
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// lineDiff lists the lines only in want (-) and only in got (+), in order;
// "" when both hold the same lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(strings.TrimRight(want, "\n"), "\n"), strings.Split(strings.TrimRight(got, "\n"), "\n")
	if slices.Equal(w, g) {
		return ""
	}
	count := map[string]int{}
	for _, l := range g {
		count[l]++
	}
	var out []string
	for _, l := range w {
		if count[l] > 0 {
			count[l]--
			continue
		}
		out = append(out, "- "+l)
	}
	count = map[string]int{}
	for _, l := range w {
		count[l]++
	}
	for _, l := range g {
		if count[l] > 0 {
			count[l]--
			continue
		}
		out = append(out, "+ "+l)
	}
	if len(out) == 0 {
		out = append(out, "(same lines, different order)")
	}
	return strings.Join(out, "\n")
}

// simState renders one simulator object as CSV: id, archived, then cols,
// rows by id.
func simState(sims *demo.Sims, key string, cols []string) string {
	sys, obj, _ := strings.Cut(key, "/")
	var recs []seed.Record
	if sys == seed.HubSpot {
		recs = sims.HubSpot.Snapshot()[obj]
	} else {
		recs = sims.Salesforce.Snapshot()[obj]
	}
	rows := make([][]string, 0, len(recs))
	for _, r := range recs {
		row := []string{r.ID, fmt.Sprint(r.Archived)}
		for _, c := range cols {
			row = append(row, valueOf(r.Values, c))
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool {
		if len(rows[i][0]) != len(rows[j][0]) {
			return len(rows[i][0]) < len(rows[j][0])
		}
		return rows[i][0] < rows[j][0]
	})
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(append([]string{"id", "archived"}, cols...))
	_ = w.WriteAll(rows)
	return b.String()
}

// valueOf reads a field case-insensitively (Salesforce names are).
func valueOf(v map[string]string, name string) string {
	if x, ok := v[name]; ok {
		return x
	}
	for k, x := range v {
		if strings.EqualFold(k, name) {
			return x
		}
	}
	return ""
}

// applyEdits applies one step's edits through the CRMs' APIs, as users
// would: hubspot/OBJECT.csv rows with an id update that record (without
// one they create), salesforce/OBJECT.csv rows with an Id update (without,
// create), deletes.csv (system,object,record_id) archives or deletes.
// HubSpot goes first, then Salesforce, a moment later, unless order.txt
// says "salesforce" first: the later system's edits are the more recent.
func applyEdits(ctx context.Context, t *testing.T, sims *demo.Sims, dir string) {
	t.Helper()
	order := []string{seed.HubSpot, seed.Salesforce}
	if b, err := os.ReadFile(filepath.Join(dir, "order.txt")); err == nil && strings.TrimSpace(string(b)) == seed.Salesforce {
		order = []string{seed.Salesforce, seed.HubSpot}
	}
	edits := seed.NewDataset()
	for _, sys := range []string{seed.HubSpot, seed.Salesforce} {
		if _, err := os.Stat(filepath.Join(dir, sys)); err == nil { // a step may only delete
			var err error
			if edits, err = seed.Load(dir); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	deletes := readDeletes(t, filepath.Join(dir, "deletes.csv"))
	hs, err := hubspot.New(hubspot.Config{BaseURL: sims.HubSpotURL, Token: scToken})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := salesforce.New(salesforce.Config{LoginURL: sims.SalesforceURL, ClientID: scID, ClientSecret: scSecret})
	if err != nil {
		t.Fatal(err)
	}
	for i, sys := range order {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond) // the second system's edits are later, past any timestamp rounding
		}
		if sys == seed.HubSpot {
			for _, obj := range seed.HubSpotObjects {
				var upd, create []hubspot.BatchInput
				for _, r := range edits.Records(seed.HubSpot, obj) {
					if r.ID != "" {
						upd = append(upd, hubspot.BatchInput{ID: r.ID, Properties: r.Values})
					} else {
						create = append(create, hubspot.BatchInput{Properties: r.Values})
					}
				}
				if len(upd) > 0 {
					mustBatch(t, "hubspot update "+obj)(hs.BatchUpdate(ctx, obj, upd))
				}
				if len(create) > 0 {
					mustBatch(t, "hubspot create "+obj)(hs.BatchCreate(ctx, obj, create))
				}
				if ids := deletes[seed.HubSpot+"/"+obj]; len(ids) > 0 {
					mustBatch(t, "hubspot archive "+obj)(hs.BatchArchive(ctx, obj, ids))
				}
			}
			continue
		}
		for _, obj := range seed.SalesforceObjects {
			var upd, create []salesforce.Record
			for _, r := range edits.Records(seed.Salesforce, obj) {
				rec := salesforce.Record{}
				for k, v := range r.Values {
					rec[k] = v
				}
				if r.ID != "" {
					rec["Id"] = r.ID
					upd = append(upd, rec)
				} else {
					create = append(create, rec)
				}
			}
			if len(upd) > 0 {
				mustSave(t, "salesforce update "+obj)(sf.Update(ctx, obj, upd, true))
			}
			if len(create) > 0 {
				mustSave(t, "salesforce create "+obj)(sf.Create(ctx, obj, create, true))
			}
			if ids := deletes[seed.Salesforce+"/"+obj]; len(ids) > 0 {
				mustSave(t, "salesforce delete "+obj)(sf.Delete(ctx, ids, true))
			}
		}
	}
}

func mustBatch(t *testing.T, what string) func(*hubspot.BatchResult, error) {
	return func(res *hubspot.BatchResult, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if res != nil && len(res.Errors) > 0 {
			t.Fatalf("%s: %+v", what, res.Errors)
		}
	}
}

func mustSave(t *testing.T, what string) func([]salesforce.SaveResult, error) {
	return func(res []salesforce.SaveResult, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, r := range res {
			if !r.Success {
				t.Fatalf("%s: %+v", what, r.Errors)
			}
		}
	}
}

// readDeletes reads deletes.csv: system,object,record_id.
func readDeletes(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string][]string{}
	for i, r := range rows {
		if i == 0 {
			if strings.Join(r, ",") != "system,object,record_id" {
				t.Fatalf("%s: header %q, want system,object,record_id", path, r)
			}
			continue
		}
		out[r[0]+"/"+r[1]] = append(out[r[0]+"/"+r[1]], r[2])
	}
	return out
}
