package reliability

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/sim/fault"
)

// The CI soak is short; `task soak` runs it long:
// go test ./reliability -run TestFaultSoak -v -args -soak.people=5000 -soak.nights=3
var (
	soakPeople = flag.Int("soak.people", 300, "people per system in the fault soak")
	soakNights = flag.Int("soak.nights", 1, "nightly runs in the fault soak (data edited between nights)")
	soakSeed   = flag.Uint64("soak.seed", 42, "seed of the soak's faults")
)

// soakFaults: 10% 429s, 2% 5xx, 1% connection resets on every request, 3%
// of records in batch writes refused alone, and (Salesforce) every session
// expired each 40th API request, so each run crosses several expiries.
func soakFaults(seed uint64) (hs, sf fault.Config, expire int) {
	base := fault.Config{RateLimited: 0.10, ServerError: 0.02, Reset: 0.01, RecordFailure: 0.03}
	hs, sf = base, base
	hs.Seed, sf.Seed = seed, seed+1
	return hs, sf, 40
}

// TestFaultSoak runs the nightly cycle against faulty simulators: the run
// completes, and every change of the outbox is in the CRM or in
// sync_errors with its reason. It reports retries, delays and the
// delivered share.
func TestFaultSoak(t *testing.T) {
	ctx := context.Background()
	env := secretEnv()
	extra := "load: {hubspot_batch_size: 50, salesforce_batch_size: 100}\n"

	// the same data without faults, for the delays
	t.Parallel()
	calm := startSims(t, simOpts{people: *soakPeople, seed: 21})
	calmDir := t.TempDir()
	calmPipe := writePipeline(t, calmDir, calm, extra)
	hsF, sfF, expire := soakFaults(*soakSeed)
	faulty := startSims(t, simOpts{people: *soakPeople, seed: 21, hsFaults: hsF, sfFaults: sfF, expireEvery: expire})
	dir := t.TempDir()
	pipe := writePipeline(t, dir, faulty, extra)
	t.Logf("fault soak: %d people per system, %d nights, fault seed %d: 429 %.0f%%, 5xx %.0f%%, resets %.0f%%, record failures %.0f%%, Salesforce sessions expire every %d requests",
		*soakPeople, *soakNights, *soakSeed, 100*hsF.RateLimited, 100*hsF.ServerError, 100*hsF.Reset, 100*hsF.RecordFailure, expire)

	var injected [4]int
	db := openDuck(t)
	var total soakFigures
	calmOpts := simOpts{}
	faultOpts := simOpts{hsFaults: hsF, sfFaults: sfF, expireEvery: expire}
	for night := 1; night <= *soakNights; night++ {
		if night > 1 {
			// a day of edits in both CRMs, the simulators' clock a day on
			for _, side := range []struct {
				sims **demo.Sims
				o    *simOpts
				dir  string
				pipe *string
			}{{&calm, &calmOpts, calmDir, &calmPipe}, {&faulty, &faultOpts, dir, &pipe}} {
				d := (*side.sims).Snapshot()
				day := time.Duration(night-1) * 24 * time.Hour
				gen.Mutate(d, gen.MutateOptions{Day: night - 1, Seed: 21, Now: time.Now().Add(day)})
				(*side.sims).Close()
				side.o.offset = day
				*side.sims = restartSims(t, d, *side.o)
				*side.pipe = writePipeline(t, side.dir, *side.sims, extra)
			}
		}
		args := func(p, d string) []string {
			return []string{"--log-format", "json", "--log-level", "info", "run", "--pipeline", p, "--lake", filepath.Join(d, "lake"), "--approve", "soak"}
		}
		start := time.Now()
		if r := runCrmhub(ctx, t, env, args(calmPipe, calmDir)...); r.code != 0 {
			t.Fatalf("night %d without faults: %s", night, r)
		}
		calmTime := time.Since(start)
		start = time.Now()
		r := runCrmhub(ctx, t, env, args(pipe, dir)...)
		// a call that used up its retries fails the step (exit 1); as the
		// scheduler does, the next start resumes the run
		resumes := 0
		for ; r.code == 1 && resumes < 3; resumes++ {
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.Contains(line, `"step failed"`) {
					t.Logf("night %d attempt %d failed, resuming: %s", night, resumes+1, tail(line, 400))
				}
			}
			r = runCrmhub(ctx, t, env, args(pipe, dir)...)
		}
		faultTime := time.Since(start)
		if r.code != 0 {
			t.Fatalf("night %d with faults did not complete after %d resumes: %s", night, resumes, r)
		}
		f := checkDelivered(ctx, t, db, filepath.Join(dir, "lake"), faulty)
		f.calm, f.faulty, f.resumes = calmTime, faultTime, resumes
		t.Logf("night %d: %s", night, f)
		total.add(f)
		hk, hr := faulty.HubSpot.Faults()
		sk, sr := faulty.Salesforce.FaultCounts()
		injected[0] += hk[fault.RateLimited] + sk[fault.RateLimited]
		injected[1] += hk[fault.ServerError] + sk[fault.ServerError]
		injected[2] += hk[fault.Reset] + sk[fault.Reset]
		injected[3] += hr + sr
	}
	t.Logf("injected over %d nights: 429 %d, 5xx %d, connection resets %d, records failed alone %d", *soakNights, injected[0], injected[1], injected[2], injected[3])
	if *soakNights > 1 {
		t.Logf("all nights: %s", total)
	}
	if injected[0] == 0 || injected[1] == 0 || injected[3] == 0 {
		t.Errorf("faults were not injected: %v", injected)
	}
}

// soakFigures are one night's figures.
type soakFigures struct {
	changes, delivered, errored int
	calls, retries, apiErrors   int64
	latency                     float64
	calm, faulty                time.Duration
	resumes                     int
	reasons                     map[string]int
}

func (f *soakFigures) add(o soakFigures) {
	f.changes += o.changes
	f.delivered += o.delivered
	f.errored += o.errored
	f.calls += o.calls
	f.retries += o.retries
	f.apiErrors += o.apiErrors
	f.latency += o.latency
	f.calm += o.calm
	f.faulty += o.faulty
	f.resumes += o.resumes
	if f.reasons == nil {
		f.reasons = map[string]int{}
	}
	for k, v := range o.reasons {
		f.reasons[k] += v
	}
}

func (f soakFigures) String() string {
	share := 0.0
	if f.changes > 0 {
		share = float64(f.delivered) / float64(f.changes)
	}
	return fmt.Sprintf("%d field writes planned: %d delivered (%.2f%%), %d in sync_errors with a reason (%v); API calls %d, retries %d (%.1f per 100 calls), calls finally failed %d, HTTP time %.1fs; run %.1fs with faults (%d resumes) against %.1fs without (delay %.1fs)",
		f.changes, f.delivered, 100*share, f.errored, f.reasons, f.calls, f.retries, 100*float64(f.retries)/math.Max(1, float64(f.calls)),
		f.apiErrors, f.latency, f.faulty.Seconds(), f.resumes, f.calm.Seconds(), (f.faulty - f.calm).Seconds())
}

// checkDelivered compares the latest run's outbox with the simulators:
// each write is in the CRM, or its record is in this run's sync_errors
// with a code and message. Nothing else is allowed.
func checkDelivered(ctx context.Context, t *testing.T, db *sql.DB, lakeDir string, sims *demo.Sims) soakFigures {
	t.Helper()
	store, err := lake.OpenLocal(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := cycle.ReadLatest(ctx, store)
	if err != nil || latest == nil {
		t.Fatalf("latest: %v", err)
	}
	file := func(table string) string { return filepath.Join(lakeDir, filepath.FromSlash(latest.Tables[table])) }
	f := soakFigures{reasons: map[string]int{}}

	// this run's refusals
	type errKey struct{ sys, obj, rec string }
	refused := map[errKey][]string{} // -> fields ("" = whole record)
	rows, err := db.QueryContext(ctx, `SELECT system, object, record_id, coalesce(field, ''), coalesce(code, ''), coalesce(message, '')
		FROM read_parquet(?) WHERE run_id = ?`, file("sync_errors"), latest.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var sys, obj, rec, field, code, msg string
		if err := rows.Scan(&sys, &obj, &rec, &field, &code, &msg); err != nil {
			t.Fatal(err)
		}
		if code == "" || msg == "" {
			t.Errorf("sync_errors row without its reason: %s %s %s code %q message %q", sys, obj, rec, code, msg)
		}
		refused[errKey{sys, obj, rec}] = append(refused[errKey{sys, obj, rec}], field)
		f.reasons[code]++
	}
	rows.Close()

	// the CRMs now
	snap := sims.Snapshot()
	byID := map[string]map[string]string{}
	byGolden := map[string]map[string]string{}
	for sys, objs := range snap.Objects {
		for obj, recs := range objs {
			for _, r := range recs {
				byID[string(sys)+"/"+obj+"/"+r.ID] = r.Values
				for _, g := range []string{r.Values["crmhub_golden_id"], r.Values["Crmhub_Golden_Id__c"]} {
					if g != "" {
						byGolden[string(sys)+"/"+obj+"/"+g] = r.Values
					}
				}
			}
		}
	}
	rows, err = db.QueryContext(ctx, `SELECT system, object, coalesce(record_id, ''), golden_id, crm_field, coalesce(new_value, ''), kind
		FROM read_parquet(?) ORDER BY ALL`, file("outbox"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lost []string
	for rows.Next() {
		var sys, obj, rec, golden, field, val, kind string
		if err := rows.Scan(&sys, &obj, &rec, &golden, &field, &val, &kind); err != nil {
			t.Fatal(err)
		}
		f.changes++
		isErr := func(keys ...string) bool {
			for _, k := range keys {
				for _, fld := range refused[errKey{sys, obj, k}] {
					if fld == "" || strings.EqualFold(fld, field) {
						return true
					}
				}
			}
			return false
		}
		var got map[string]string
		if kind == "create" || rec == "" || strings.HasPrefix(rec, "new:") {
			got = byGolden[sys+"/"+obj+"/"+golden]
		} else {
			got = byID[sys+"/"+obj+"/"+rec]
		}
		switch {
		case got != nil && sameValue(got[field], val):
			f.delivered++
		case isErr(rec, golden, "new:"+golden):
			f.errored++
		case kind == "archive" || kind == "merge":
			f.delivered++ // checked by the archive flag below
		default:
			if len(lost) < 20 {
				have := "<no record>"
				if got != nil {
					have = strconv.Quote(got[field])
				}
				lost = append(lost, fmt.Sprintf("%s %s %s (golden %s, %s) %s = %q: CRM has %s, no sync_errors row", sys, obj, rec, golden, kind, field, val, have))
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if lost != nil {
		t.Errorf("changes neither delivered nor in sync_errors:\n%s", strings.Join(lost, "\n"))
	}
	// API figures of the run's steps
	rows2, err := db.QueryContext(ctx, `SELECT coalesce(sum(api_calls), 0), coalesce(sum(api_retries), 0), coalesce(sum(api_errors), 0),
		coalesce(sum(api_latency_seconds), 0) FROM read_parquet(?) WHERE run_id = ?`, file("sync_run_steps"), latest.RunID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows2.Close()
	for rows2.Next() {
		if err := rows2.Scan(&f.calls, &f.retries, &f.apiErrors, &f.latency); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// sameValue compares a CRM value with the value written: the CRM may
// format numbers, dates and booleans its own way.
func sameValue(have, want string) bool {
	have, want = strings.TrimSpace(have), strings.TrimSpace(want)
	if have == want || strings.EqualFold(have, want) {
		return true
	}
	a, err1 := strconv.ParseFloat(have, 64)
	b, err2 := strconv.ParseFloat(want, 64)
	if err1 == nil && err2 == nil {
		return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b))
	}
	if len(want) == 10 && strings.HasPrefix(have, want) { // date against date-time
		return true
	}
	return false
}

// restartSims serves d in new simulators as a restarted CRM keeps its
// schema: the unique HubSpot property creates upsert on is declared (as the
// first night's load did) before the records load.
func restartSims(t *testing.T, d *seed.Dataset, o simOpts) *demo.Sims {
	t.Helper()
	sims := startSimsWith(t, seed.NewDataset(), o)
	for _, obj := range seed.HubSpotObjects {
		body := `{"name":"` + load.GoldenIDProperty + `","label":"Golden ID (crmhub)","type":"string","fieldType":"text","groupName":"crmhub","hasUniqueValue":true}`
		req, _ := http.NewRequest(http.MethodPost, sims.HubSpotURL+"/crm/v3/properties/"+obj, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+hsToken)
		req.Header.Set("Content-Type", "application/json")
		for {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == 0 {
				time.Sleep(100 * time.Millisecond) // an injected fault
				req.Body = io.NopCloser(strings.NewReader(body))
				continue
			}
			if resp.StatusCode >= 300 {
				t.Fatalf("declare %s.%s: %s", obj, load.GoldenIDProperty, resp.Status)
			}
			break
		}
		if err := sims.HubSpot.Load(obj, d.Records(seed.HubSpot, obj)); err != nil {
			t.Fatal(err)
		}
	}
	for _, obj := range seed.SalesforceObjects {
		if recs := d.Records(seed.Salesforce, obj); len(recs) > 0 {
			if err := sims.Salesforce.Load(obj, recs); err != nil {
				t.Fatal(err)
			}
		}
	}
	return sims
}
