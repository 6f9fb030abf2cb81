package review_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/review"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// env is a lake, both simulators over real sockets with generated data,
// the API clients and a clock that moves a day per run, as nights do.
type env struct {
	t     *testing.T
	ctx   context.Context
	store lake.Store
	hs    *hubspot.Client
	sf    *salesforce.Client
	p     *pipelines.Pipeline
	day   int
	svc   *review.Service
}

func newEnv(t *testing.T, people int, p *pipelines.Pipeline) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), p: p}
	d := gen.Generate(gen.Options{People: people, Seed: 11, Now: time.Now()})
	sims, err := demo.StartSims(d, demo.SimConfig{Now: e.now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sims.Close)
	if e.hs, err = hubspot.New(hubspot.Config{BaseURL: sims.HubSpotURL, Token: "test-token", RequestsPer10s: 100_000, SearchPerSecond: 1000}); err != nil {
		t.Fatal(err)
	}
	if e.sf, err = salesforce.New(salesforce.Config{LoginURL: sims.SalesforceURL, ClientID: "test-client", ClientSecret: "test-secret"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if e.store, err = lake.Open(e.ctx, filepath.Join(dir, "lake"), filepath.Join(dir, "cache")); err != nil {
		t.Fatal(err)
	}
	e.svc = &review.Service{Store: e.store, Now: e.now}
	return e
}

func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.day) * 24 * time.Hour) }

// run is the next night's cycle; approve lets it past the safeguard.
func (e *env) run(approve string) *cycle.Report {
	e.t.Helper()
	e.day++
	rep, err := cycle.Run(e.ctx, cycle.Config{Store: e.store, Pipeline: e.p, Models: sqlmodels.Models, Sources: demo.Sources(e.hs, e.sf),
		Targets: []load.Target{&load.HubSpotTarget{Client: e.hs, Batch: 100}, &load.SalesforceTarget{Client: e.sf, Batch: 200}},
		Approve: approve, WorkDir: e.t.TempDir(), Now: e.now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatalf("run %d: %v", e.day, err)
	}
	return rep
}

// query runs SQL over the last published run's tables (views by name).
func (e *env) query(q string, args ...any) *sql.Rows {
	e.t.Helper()
	latest, err := cycle.ReadLatest(e.ctx, e.store)
	if err != nil || latest == nil {
		e.t.Fatalf("latest: %v", err)
	}
	db, err := transform.Open(e.ctx, transform.EngineConfig{Threads: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	for name, key := range latest.Tables {
		local, err := e.store.LocalPath(e.ctx, key)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := db.Exec("SET VARIABLE f_"+name+" = ?", local); err != nil {
			e.t.Fatal(err)
		}
		if _, err := db.Exec("CREATE VIEW " + transform.QuoteIdent(name) + " AS SELECT * FROM read_parquet(getvariable('f_" + name + "'))"); err != nil {
			e.t.Fatal(err)
		}
	}
	rows, err := db.QueryContext(e.ctx, q, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// one scans the single row of q.
func (e *env) one(q string, dest []any, args ...any) bool {
	e.t.Helper()
	rows := e.query(q, args...)
	defer rows.Close()
	if !rows.Next() {
		return false
	}
	if err := rows.Scan(dest...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return true
}

// setTitle edits a person's title in one CRM, as a user would.
func (e *env) setTitle(system, object, id, title string) {
	e.t.Helper()
	switch system {
	case "hubspot":
		if _, err := e.hs.BatchUpdate(e.ctx, "contacts", []hubspot.BatchInput{{ID: id, Properties: map[string]string{"jobtitle": title}}}); err != nil {
			e.t.Fatal(err)
		}
	default:
		res, err := e.sf.Update(e.ctx, object, []salesforce.Record{{"Id": id, "Title": title}}, true)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range res {
			if !r.Success {
				e.t.Fatalf("salesforce update %s: %+v", id, r)
			}
		}
	}
}

// titleConflict makes a golden person with a HubSpot contact and a
// Salesforce Contact, edits the title in both to values that disagree,
// runs the next night and returns the golden id and both record ids.
func (e *env) titleConflict(hsTitle, sfTitle string) (goldenID, hsID, sfID string) {
	e.t.Helper()
	if !e.one(`SELECT h.golden_id, h.record_id, s.record_id FROM xref h JOIN xref s USING (entity, golden_id)
		WHERE h.entity = 'person' AND h.system = 'hubspot' AND s.object = 'Contact' AND NOT h.deleted AND NOT s.deleted
		  AND golden_id IN (SELECT golden_id FROM xref WHERE entity = 'person' GROUP BY golden_id HAVING count(*) = 2)
		ORDER BY h.golden_id LIMIT 1`, []any{&goldenID, &hsID, &sfID}) {
		e.t.Fatal("no golden person with one HubSpot contact and one Salesforce Contact")
	}
	e.setTitle("hubspot", "contacts", hsID, hsTitle)
	e.setTitle("salesforce", "Contact", sfID, sfTitle)
	return goldenID, hsID, sfID
}

// titleReviewPipeline holds title conflicts for review.
func titleReviewPipeline() *pipelines.Pipeline {
	p := pipelines.Default()
	for i, r := range p.Golden.Rules {
		if r.Entity == "person" && r.Field == "title" {
			p.Golden.Rules[i].Rule, p.Golden.Rules[i].Owner, p.Golden.Rules[i].OnConflict = "most_recent", "", "review"
			return p
		}
	}
	p.Golden.Rules = append(p.Golden.Rules, pipelines.FieldRule{Entity: "person", Field: "title", Rule: "most_recent", OnConflict: "review"})
	return p
}

// golden returns a golden person's field value and the rule that chose it.
func (e *env) golden(goldenID, field string) (value, rule string) {
	e.t.Helper()
	var v, r sql.NullString
	e.one(`SELECT CAST(`+transform.QuoteIdent(field)+` AS VARCHAR), provenance[?].rule FROM golden_persons WHERE golden_id = ?`, []any{&v, &r}, field, goldenID)
	return v.String, r.String
}

// modelDB is a DuckDB prepared as a run's transform step prepares it, over
// an empty lake (empty raw tables), with the pipeline p, and the models
// that keep (nil: none) run on it: for single models over fixture tables.
func modelDB(t *testing.T, p *pipelines.Pipeline, keep func(transform.Model) bool) (context.Context, *sql.DB, []transform.Model) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := lake.Open(ctx, filepath.Join(dir, "lake"), filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := transform.Open(ctx, transform.EngineConfig{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := cycle.PrepareTransform(ctx, db, store, sqlmodels.Models, p, dir); err != nil {
		t.Fatal(err)
	}
	all, err := transform.LoadModels(sqlmodels.Models)
	if err != nil {
		t.Fatal(err)
	}
	var models []transform.Model
	for _, m := range all {
		if keep != nil && keep(m) {
			models = append(models, m)
		}
	}
	return ctx, db, models
}
