package reliability

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/transform"
)

// tap serves a simulator through a handler that counts requests and can
// call a hook before or after each one (the crash test kills the crmhub
// process there).
type tap struct {
	next   http.Handler
	reads  atomic.Int64
	writes atomic.Int64
	mu     sync.Mutex
	// hook runs before each request: drop true leaves the request
	// unanswered; a non-nil after runs once the simulator applied it.
	// Requests are concurrent, so after is per request, not a counter.
	hook func(write bool) (drop bool, after func())
}

func isWrite(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	p := r.URL.Path
	for _, s := range []string{"/search", "/batch/read", "oauth2/token", "/query"} {
		if strings.Contains(p, s) {
			return false
		}
	}
	return true
}

func (t *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	write := isWrite(r)
	if write {
		t.writes.Add(1)
	} else {
		t.reads.Add(1)
	}
	t.mu.Lock()
	hook := t.hook
	t.mu.Unlock()
	var after func()
	if hook != nil {
		var drop bool
		if drop, after = hook(write); drop {
			return
		}
	}
	t.next.ServeHTTP(w, r)
	if after != nil {
		after()
	}
}

func (t *tap) setHook(h func(write bool) (drop bool, after func())) {
	t.mu.Lock()
	t.hook = h
	t.mu.Unlock()
}

// tappedSims serves sims' handlers again through taps; the returned copy
// of sims points at the tapped URLs.
func tappedSims(t *testing.T, sims *demo.Sims) (*demo.Sims, *tap, *tap) {
	hs, sf := &tap{next: sims.HubSpot}, &tap{next: sims.Salesforce}
	hsrv, ssrv := httptest.NewServer(hs), httptest.NewServer(sf)
	t.Cleanup(hsrv.Close)
	t.Cleanup(ssrv.Close)
	cp := *sims
	cp.HubSpotURL, cp.SalesforceURL = hsrv.URL, ssrv.URL
	return &cp, hs, sf
}

// volatileCRMFields change with the wall clock of a write, not its content.
var volatileCRMFields = map[string]bool{
	"hs_lastmodifieddate": true, "lastmodifieddate": true, "createdate": true, "hs_createdate": true,
	"LastModifiedDate": true, "CreatedDate": true, "SystemModstamp": true, "LastActivityDate": true,
	"hs_object_id": true, "hs_merged_object_ids": true,
}

// crmState is a snapshot of both simulators in a form two runs can be
// compared in: records keyed by id, except those a run created, which are
// keyed by their golden id (their CRM ids depend on the order of
// creation); values that are created ids are replaced by those keys.
type crmState map[string]map[string]string // system/object/key -> field -> value

func snapshotState(t *testing.T, d *seed.Dataset, seeded map[string]bool) (crmState, []string) {
	t.Helper()
	st := crmState{}
	alias := map[string]string{}
	var dups []string
	golden := map[string]string{}
	for sys, objs := range d.Objects {
		for obj, recs := range objs {
			for _, r := range recs {
				if seeded[sys+"/"+obj+"/"+r.ID] {
					continue
				}
				g := r.Values["crmhub_golden_id"]
				if g == "" {
					g = r.Values["Crmhub_Golden_Id__c"]
				}
				key := "golden:" + g
				if g == "" {
					key = "created-without-golden-id:" + r.ID
				}
				full := string(sys) + "/" + obj + "/" + key
				if prev, ok := golden[full]; ok {
					dups = append(dups, fmt.Sprintf("%s created twice: %s and %s", full, prev, r.ID))
				}
				golden[full] = r.ID
				alias[r.ID] = key
			}
		}
	}
	for sys, objs := range d.Objects {
		for obj, recs := range objs {
			for _, r := range recs {
				key := "id:" + r.ID
				if a, ok := alias[r.ID]; ok {
					key = a
				}
				vals := map[string]string{}
				for k, v := range r.Values {
					if volatileCRMFields[k] || v == "" {
						continue
					}
					if a, ok := alias[v]; ok {
						v = a
					}
					vals[k] = v
				}
				if r.Archived {
					vals["<archived>"] = "true"
				}
				st[string(sys)+"/"+obj+"/"+key] = vals
			}
		}
	}
	return st, dups
}

// seededIDs are the records present before any run.
func seededIDs(d *seed.Dataset) map[string]bool {
	out := map[string]bool{}
	for sys, objs := range d.Objects {
		for obj, recs := range objs {
			for _, r := range recs {
				out[string(sys)+"/"+obj+"/"+r.ID] = true
			}
		}
	}
	return out
}

// diffStates lists up to max differences.
func diffStates(a, b crmState, max int) []string {
	var out []string
	keys := slices.Sorted(maps.Keys(a))
	for _, k := range keys {
		bv, ok := b[k]
		if !ok {
			out = append(out, "only in reference: "+k)
			continue
		}
		for _, f := range slices.Sorted(maps.Keys(a[k])) {
			if a[k][f] != bv[f] {
				out = append(out, fmt.Sprintf("%s.%s: reference %q, crashed %q", k, f, a[k][f], bv[f]))
			}
		}
		for f := range bv {
			if _, ok := a[k][f]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: reference none, crashed %q", k, f, bv[f]))
			}
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "only in crashed: "+k)
		}
	}
	sort.Strings(out)
	if len(out) > max {
		out = append(out[:max], fmt.Sprintf("... %d more", len(out)-max))
	}
	return out
}

// volatileColumns of published tables depend on the run (id, clock,
// attempts), not on the data.
var volatileColumns = map[string]bool{
	"run_id": true, "started_at": true, "finished_at": true, "published_at": true, "seconds": true,
	"attempt": true, "attempts": true, "written_at": true, "run_at": true, "first_run_id": true, "last_run_id": true,
	"duration_seconds": true, "extract_seconds": true, "transform_seconds": true, "load_seconds": true, "publish_seconds": true,
	"api_calls": true, "api_errors": true, "api_retries": true, "api_latency_seconds": true, "api": true,
	"first_seen_at": true, "last_seen_at": true, "created_at_run": true, "error_text": true, "approved_reason": true,
}

// stableTables are compared row for row between the two runs.
var stableTables = []string{"xref", "golden_persons", "golden_companies", "golden_deals", "match_pairs",
	"review_queue", "conflicts", "outbox", "sync_errors", "write_log"}

// publishedTables reads every stable table of the lake's latest run, rows
// sorted, volatile columns left out.
func publishedTables(ctx context.Context, t *testing.T, db *sql.DB, lakeDir string) map[string][]string {
	t.Helper()
	store, err := lake.OpenLocal(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := cycle.ReadLatest(ctx, store)
	if err != nil || latest == nil {
		t.Fatalf("latest of %s: %v", lakeDir, err)
	}
	out := map[string][]string{}
	for _, table := range stableTables {
		key, ok := latest.Tables[table]
		if !ok {
			t.Errorf("%s: no published table %s", lakeDir, table)
			continue
		}
		file := filepath.Join(lakeDir, filepath.FromSlash(key))
		rows, err := db.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(?))", file)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			if !volatileColumns[c] {
				cols = append(cols, transform.QuoteIdent(c))
			}
		}
		rows.Close()
		q := "SELECT CAST(row(" + strings.Join(cols, ", ") + ") AS VARCHAR) AS r FROM read_parquet(?) ORDER BY r"
		rows, err = db.QueryContext(ctx, q, file)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		var lines []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, maskRunTimes(s))
		}
		rows.Close()
		out[table] = append([]string{strings.Join(cols, ",")}, lines...)
	}
	return out
}

var tsRe = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00(:00)?|Z)?`)

// maskRunTimes hides the times the runs' own writes got from the CRMs'
// clocks (anything after the generated data's clock): two runs on the same
// data write at different moments.
func maskRunTimes(s string) string {
	return tsRe.ReplaceAllStringFunc(s, func(m string) string {
		if m[:10] > dataNow.Format("2006-01-02") {
			return "<run time>"
		}
		return m
	})
}

func diffTables(a, b map[string][]string) []string {
	var out []string
	for _, table := range stableTables {
		ra, rb := a[table], b[table]
		if slices.Equal(ra, rb) {
			continue
		}
		out = append(out, fmt.Sprintf("%s: reference %d rows, crashed %d", table, len(ra)-1, len(rb)-1))
		inB := map[string]int{}
		for _, r := range rb {
			inB[r]++
		}
		n := 0
		for _, r := range ra {
			if inB[r] > 0 {
				inB[r]--
				continue
			}
			if n++; n <= 3 {
				out = append(out, "  only in reference: "+tail(r, 400))
			}
		}
		var onlyA []string
		for _, r := range ra {
			onlyA = append(onlyA, r)
		}
		for r, c := range inB {
			if c > 0 {
				if n++; n <= 6 {
					out = append(out, "  only in crashed:   "+tail(r, 400))
					if d := firstDifference(onlyA, r); d != "" {
						out = append(out, "    "+d)
					}
				}
			}
		}
	}
	return out
}

// firstDifference shows where row b first departs from the row of rows
// most like it (the longest common prefix), with some context: a wide row
// that differs in one field is otherwise unreadable.
func firstDifference(rows []string, b string) string {
	best, at := "", -1
	for _, a := range rows {
		if a == b {
			continue
		}
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		if i > at {
			best, at = a, i
		}
	}
	if at < 0 {
		return ""
	}
	from := max(0, at-120)
	cut := func(s string) string { return s[from:min(len(s), at+120)] }
	return fmt.Sprintf("differs at byte %d: reference …%s… crashed …%s…", at, cut(best), cut(b))
}

func openDuck(t *testing.T) *sql.DB {
	t.Helper()
	db, err := transform.Open(context.Background(), transform.EngineConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
