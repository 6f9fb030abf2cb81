package reliability

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/seed"
)

// huge is a 1 MB value substituted for @HUGE@ in the corpus.
var huge = strings.Repeat("x", 1<<20)

func readCase(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(b), "@HUGE@", huge))
}

// TestBadInputCorpus runs every case of testdata/badinput (a folder per
// case: kind, the input, want). want's first line is "error" (then each
// line must appear in the error, which names the record, page, file or
// line) or "ok" (the input is kept: every record lands, odd values kept).
// No case may panic or drop a record silently.
func TestBadInputCorpus(t *testing.T) {
	root := filepath.Join("testdata", "badinput")
	cases, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("%d cases in %s", len(cases), root)
	}
	for _, c := range cases {
		dir := filepath.Join(root, c.Name())
		t.Run(c.Name(), func(t *testing.T) {
			kind := strings.TrimSpace(string(readCase(t, dir, "kind")))
			want := strings.Split(strings.TrimSpace(string(readCase(t, dir, "want"))), "\n")
			var err error
			var kept int64 = -1
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("panic: %v", p)
					}
				}()
				switch kind {
				case "hubspot-page":
					kept, err = extractPage(t, true, readCase(t, dir, "page2.json"))
				case "salesforce-page":
					kept, err = extractPage(t, false, readCase(t, dir, "page2.json"))
				case "seed":
					err = loadSeedCase(t, dir)
				case "pipeline":
					_, err = pipelines.LoadFile(filepath.Join(dir, "pipeline.yaml"))
				case "run":
					runBadValues(t, dir)
					return
				default:
					t.Fatalf("unknown kind %q", kind)
				}
			}()
			if kind == "run" {
				return
			}
			switch want[0] {
			case "error":
				if err == nil {
					t.Fatalf("accepted; want an error saying %q", want[1:])
				}
				for _, w := range want[1:] {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", tail(err.Error(), 500), w)
					}
				}
				t.Logf("error: %s", tail(err.Error(), 300))
			case "ok":
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				for _, w := range want[1:] {
					var n int64
					if _, e := fmt.Sscanf(w, "records %d", &n); e == nil && kept != n {
						t.Errorf("%d records landed, want %d (none dropped)", kept, n)
					}
				}
			}
		})
	}
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// extractPage serves a good first page and the case's second page to the
// real extractor, over a socket.
func extractPage(t *testing.T, hs bool, page2 []byte) (int64, error) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/crm/v3/properties/"):
			fmt.Fprint(w, `{"results":[{"name":"email","type":"string"},{"name":"firstname","type":"string"},{"name":"lastname","type":"string"}]}`)
		case strings.HasPrefix(p, "/crm/v3/objects/") && r.URL.Query().Get("archived") == "true":
			fmt.Fprint(w, `{"results":[]}`)
		case strings.HasPrefix(p, "/crm/v3/objects/") && r.URL.Query().Get("after") == "2":
			w.Write(page2)
		case strings.HasPrefix(p, "/crm/v3/objects/"):
			fmt.Fprint(w, `{"results":[{"id":"1","properties":{"email":"a@b.c"},"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","archived":false}],"paging":{"next":{"after":"2"}}}`)
		case p == "/services/oauth2/token":
			fmt.Fprintf(w, `{"access_token":"tok","instance_url":%q}`, srv.URL)
		case strings.HasSuffix(p, "/describe"):
			fmt.Fprint(w, `{"name":"Contact","fields":[{"name":"Id","type":"id"},{"name":"LastName","type":"string"},{"name":"SystemModstamp","type":"datetime"},{"name":"IsDeleted","type":"boolean"}]}`)
		case strings.Contains(p, "/queryAll/"):
			w.Write(page2)
		case strings.Contains(p, "/queryAll"):
			fmt.Fprint(w, `{"totalSize":2,"done":false,"nextRecordsUrl":"/services/data/v62.0/queryAll/01gX-2000","records":[{"attributes":{"type":"Contact"},"Id":"003A","IsDeleted":false,"SystemModstamp":"2026-01-01T00:00:00.000+0000","LastName":"X"}]}`)
		default:
			fmt.Fprint(w, `{"records":[],"done":true,"totalSize":0}`)
		}
	}))
	defer srv.Close()
	var src extract.Source
	if hs {
		c, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "t", RequestsPer10s: 1 << 20, MaxRetries: 1, RetryBackoff: time.Millisecond, Logger: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		src = extract.HubSpotSource{Client: c, Obj: "contacts"}
	} else {
		c, err := salesforce.New(salesforce.Config{LoginURL: srv.URL, ClientID: "a", ClientSecret: "b", MaxRetries: -1, Logger: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		src = extract.SalesforceSource{Client: c, Obj: "Contact"}
	}
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res, err := extract.Run(context.Background(), extract.Options{Store: store, RunID: "r1", Sources: []extract.Source{src}, TempDir: t.TempDir(), Logger: quietLog})
	ms, merr := extract.Manifests(context.Background(), store, src.System(), src.Object())
	if err != nil && (merr != nil || len(ms) != 0) {
		t.Errorf("a failed extract committed %d manifests (%v)", len(ms), merr)
	}
	var n int64
	for _, r := range res {
		n += r.Records
	}
	return n, err
}

// loadSeedCase lays the case's files out as a seed directory
// (SYSTEM_OBJECT.csv -> SYSTEM/OBJECT.csv) and loads it.
func loadSeedCase(t *testing.T, dir string) error {
	seedDir := t.TempDir()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		sys, obj, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(obj, ".csv") {
			continue
		}
		if err := os.MkdirAll(filepath.Join(seedDir, sys), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(seedDir, sys, obj), readCase(t, dir, e.Name()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := seed.Load(seedDir)
	return err
}

// runBadValues loads the case's seed (odd values: invalid emails, phones
// and dates, emoji and right-to-left names, blank required fields,
// duplicate external ids, a 1 MB value) into the simulators and runs the
// pipeline: it completes or refuses by the guard, nothing panics, every
// record is in xref, and every refused write is in sync_errors with its
// reason.
func runBadValues(t *testing.T, dir string) {
	seedDir := t.TempDir()
	for _, f := range []string{"hubspot/contacts.csv", "salesforce/Contact.csv"} {
		if err := os.MkdirAll(filepath.Join(seedDir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(seedDir, f), readCase(t, filepath.Join(dir, "seed"), f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := seed.Load(seedDir)
	if err != nil {
		t.Fatal(err)
	}
	sims, err := demo.StartSims(d, demo.SimConfig{HubSpotToken: hsToken, SalesforceClientID: sfID, SalesforceClientSecret: sfSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer sims.Close()
	work := t.TempDir()
	pipe := writePipeline(t, work, sims, "")
	lakeDir := filepath.Join(work, "lake")
	r := runCrmhub(context.Background(), t, secretEnv(), "--log-format", "json", "run", "--pipeline", pipe, "--lake", lakeDir, "--approve", "bad values")
	if strings.Contains(r.stderr, "panic") || (r.code != 0 && r.code != 3) {
		t.Fatalf("run over bad values: %s", r)
	}
	q := func(sql string) string {
		out := runCrmhub(context.Background(), t, secretEnv(), "sql", "--lake", lakeDir, "--format", "csv", sql)
		if out.code != 0 {
			t.Fatalf("%s: %s", sql, out)
		}
		return strings.TrimSpace(out.stdout)
	}
	for _, obj := range []string{"contacts", "Contact"} {
		sys := seed.HubSpot
		if obj == "Contact" {
			sys = seed.Salesforce
		}
		for _, rec := range d.Records(sys, obj) {
			got := q(fmt.Sprintf("SELECT count(*) FROM xref WHERE object = '%s' AND record_id = '%s'", obj, rec.ID)) // ids from the test's own corpus
			if !strings.HasSuffix(got, "\n1") {
				t.Errorf("%s %s %s is not in xref exactly once (%q): skipped silently", sys, obj, rec.ID, got)
			}
		}
	}
	if got := q("SELECT count(*) FROM sync_errors WHERE coalesce(code, '') = '' OR coalesce(message, '') = ''"); !strings.HasSuffix(got, "\n0") {
		t.Errorf("sync_errors rows without a reason: %s", got)
	}
	t.Logf("exit %d; sync_errors:\n%s", r.code, q("SELECT system, object, record_id, field, code, left(message, 80) FROM sync_errors ORDER BY ALL"))
}
