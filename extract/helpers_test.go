package extract_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
	simhs "github.com/crmhub/crmhub/sim/hubspot"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
	"github.com/crmhub/crmhub/transform"
)

var quiet = slog.New(slog.DiscardHandler)

// hubspotEnv starts a HubSpot simulator on a real socket and a client
// whose client-side limits are off (the simulator's are off too).
func hubspotEnv(t testing.TB, opts simhs.Options) (*simhs.Server, *hubspot.Client) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	sim := simhs.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "test-token", RequestsPer10s: 1 << 30,
		SearchPerSecond: 1 << 30, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func salesforceEnv(t testing.TB, opts simsf.Options) (*simsf.Server, *salesforce.Client) {
	t.Helper()
	sim := simsf.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := salesforce.New(salesforce.Config{LoginURL: srv.URL, ClientID: "test-client", ClientSecret: "test-secret", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func localLake(t testing.TB) lake.Store {
	t.Helper()
	store, err := lake.OpenLocal(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// view is an object's current view as the models see it: every column as
// text, one row per record id.
type view map[string]map[string]*string

func (v view) get(id, col string) string {
	if p := v[id][col]; p != nil {
		return *p
	}
	return "<null>"
}

// currentView prepares the object's raw table with transform.Prepare, as
// the cycle does, and reads it back.
func currentView(t testing.TB, store lake.Store, system, object string) view {
	t.Helper()
	ctx := context.Background()
	keys, err := extract.CurrentFiles(ctx, store, system, object)
	if err != nil {
		t.Fatal(err)
	}
	var local []string
	for _, k := range keys {
		p, err := store.LocalPath(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		local = append(local, p)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := transform.RawTable(system, object)
	if err := transform.Prepare(ctx, db, transform.Inputs{Raw: map[string][]string{name: local}, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT * FROM "` + name + `"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := view{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		rec := map[string]*string{}
		var id string
		for i, c := range cols {
			if vals[i] == nil {
				continue
			}
			s := toText(vals[i])
			rec[c] = &s
			if c == extract.ColID {
				id = s
			}
		}
		if _, dup := out[id]; dup {
			t.Fatalf("%s %s: id %s twice in the current view", system, object, id)
		}
		out[id] = rec
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func toText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []byte:
		return string(x)
	}
	return fmtAny(v)
}

func fmtAny(v any) string { return fmt.Sprint(v) }

// serve serves h on a loopback port until the test ends.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
