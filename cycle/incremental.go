package cycle

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
)

// TransformState is what a run's transform leaves for the next one to be
// incremental (docs/scaling.md): kept in published/_latest.json beside the
// tables it describes, so it flips with them.
type TransformState struct {
	// Mode is "full" or "incremental".
	Mode string `json:"mode"`
	// Reason says why the run was full, or what it rebuilt.
	Reason string `json:"reason,omitempty"`
	// Fingerprint hashes everything the published tables depend on besides
	// the data: the models and reference tables, the pipeline, the build.
	Fingerprint string `json:"fingerprint"`
	// FullAt is the run clock of the last full transform.
	FullAt time.Time `json:"full_at"`
	// Consumed lists, per "system/object", the extract runs whose files
	// the transform read.
	Consumed map[string][]string `json:"consumed"`
	// Rebuilt counts the golden persons rebuilt (all of them when full);
	// RebuiltCompanies and RebuiltDeals the golden companies and deals.
	Rebuilt          int64 `json:"rebuilt_person_golden_ids"`
	RebuiltCompanies int64 `json:"rebuilt_company_golden_ids"`
	RebuiltDeals     int64 `json:"rebuilt_deal_golden_ids"`
	// State names the lake keys of the match state the next run stages and
	// compares persons from (matchstate.go), by part.
	State map[string]string `json:"state,omitempty"`
	// ComparedPairs counts the person candidate pairs this run compared;
	// the others (of CandidatePairs) kept the last run's comparison.
	ComparedPairs  int64 `json:"compared_person_pairs,omitempty"`
	CandidatePairs int64 `json:"candidate_person_pairs,omitempty"`
}

// transformPlan is this run's choice of mode, and the state it publishes.
type transformPlan struct {
	Incremental bool
	State       TransformState
}

// clockFuncRe finds expressions that read the clock or chance: a golden
// rule using one can change with no change in the data, so carrying golden
// records forward would be wrong.
var clockFuncRe = regexp.MustCompile(`(?i)\b(now|today|current_date|current_time|current_timestamp|get_current_\w+|random|uuid|gen_random_uuid|setseed)\b`)

// planTransform decides whether this run's transform may be incremental:
// the pipeline allows it, the last run left its state, nothing besides the
// data changed (fingerprint), the last full transform is recent enough and
// no golden rule reads the clock.
func planTransform(ctx context.Context, cfg Config, prev *Latest, now time.Time) (transformPlan, error) {
	fp, err := Fingerprint(cfg.Models, cfg.Pipeline)
	if err != nil {
		return transformPlan{}, err
	}
	consumed, err := consumedRuns(ctx, cfg.Store)
	if err != nil {
		return transformPlan{}, err
	}
	plan := transformPlan{State: TransformState{Mode: "full", Fingerprint: fp, FullAt: now.UTC(), Consumed: consumed}}
	full := func(reason string) (transformPlan, error) {
		plan.State.Reason = reason
		return plan, nil
	}
	run := pipelines.Run{}
	if cfg.Pipeline != nil {
		run = cfg.Pipeline.Run
	}
	hasState := false
	if prev != nil && prev.Transform != nil {
		if hasState, err = hasMatchState(ctx, cfg.Store, prev.Transform); err != nil {
			return transformPlan{}, err
		}
	}
	switch {
	case cfg.FullTransform:
		return full("forced (--full-transform)")
	case !run.Incremental:
		return full("run.incremental is off")
	case prev == nil:
		return full("first run")
	case prev.Transform == nil:
		return full("the last run left no transform state")
	case !hasState:
		return full("the last run left no person matching state")
	case prev.Transform.Fingerprint != fp:
		return full("models, reference tables, pipeline or crmhub build changed since the last run")
	case run.FullEvery.Duration <= 0 || now.Sub(prev.Transform.FullAt) >= run.FullEvery.Duration:
		return full(fmt.Sprintf("the last full transform was at %s (run.full_every %s)", prev.Transform.FullAt.Format(time.RFC3339), run.FullEvery.Duration))
	}
	for _, r := range cfg.Pipeline.Golden.Rules {
		if clockFuncRe.MatchString(r.Expression) || (r.Lock != nil && clockFuncRe.MatchString(r.Lock.When)) {
			return full(fmt.Sprintf("the golden rule for %s.%s reads the clock", r.Entity, r.Field))
		}
	}
	for _, t := range []string{"golden_persons", "conflicts", "outbox", "xref", "golden_companies", "golden_deals"} {
		if prev.Tables[t] == "" {
			return full("the last run published no " + t)
		}
	}
	plan.Incremental = true
	plan.State.Mode, plan.State.FullAt = "incremental", prev.Transform.FullAt
	return plan, nil
}

// Fingerprint hashes the models tree (SQL, reference tables, the mapped
// field map), the pipeline and the crmhub build: what the golden records
// depend on besides the data.
func Fingerprint(models fs.FS, p *pipelines.Pipeline) (string, error) {
	h := sha256.New()
	var files []string
	if models != nil {
		err := fs.WalkDir(models, ".", func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := fs.ReadFile(models, f)
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		fmt.Fprintf(h, "file %s %d\n", f, len(b))
		h.Write(b)
	}
	if p != nil {
		b, err := yaml.Marshal(p)
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		io.WriteString(h, "pipeline\n")
		h.Write(b)
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(h, "build %s %s\n", bi.Main.Path, bi.Main.Version)
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				fmt.Fprintf(h, "%s=%s\n", s.Key, s.Value)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// consumedRuns lists the extract runs of every object's current view (the
// latest full extract and the incremental ones after it): the runs whose
// files this run's raw tables read, so every raw row's _run_id is one of
// them.
func consumedRuns(ctx context.Context, store lake.Store) (map[string][]string, error) {
	out := map[string][]string{}
	for sys, objs := range objects {
		for _, obj := range objs {
			ms, err := extract.Current(ctx, store, sys, obj)
			if err != nil {
				return nil, err
			}
			ids := make([]string, 0, len(ms))
			for _, m := range ms {
				ids = append(ids, m.RunID)
			}
			sort.Strings(ids)
			out[sys+"/"+obj] = ids
		}
	}
	return out, nil
}

// incrementalInputs creates what the *_scope models, the golden models and
// conflicts read besides the data: the variable incremental, the extract
// runs the last run read (prev_consumed_runs), the golden ids the last outbox
// wrote to (prev_outbox_ids), the last golden company names
// (prev_company_names) and the last golden persons, companies and deals
// (prev_golden_persons, prev_golden_companies, prev_golden_deals). A full
// run gets them empty; its prev_golden_* have only golden_id, which the
// golden models union BY NAME without rows. An incremental run's
// prev_golden_persons is a view over the last run's file, as the match
// state is: the golden persons it carries go from that file to this run's
// at export, without a copy of their provenance maps in DuckDB (companies
// and deals, a tenth as many, are copied). It also creates the last run's
// match state (matchStateInputs).
func incrementalInputs(ctx context.Context, db *sql.DB, store lake.Store, prev *Latest, incremental bool) error {
	type stmt struct {
		sql  string
		args []any
	}
	stmts := []stmt{
		{sql: `CREATE OR REPLACE TABLE prev_consumed_runs (system VARCHAR, object VARCHAR, run_id VARCHAR)`},
		{sql: `CREATE OR REPLACE TABLE prev_outbox_ids (entity VARCHAR, golden_id VARCHAR)`},
		{sql: `CREATE OR REPLACE TABLE prev_company_names (golden_id VARCHAR, value VARCHAR, changed_at TIMESTAMP, changed_basis VARCHAR)`},
		{sql: `CREATE OR REPLACE TABLE prev_golden_companies (golden_id VARCHAR)`},
		{sql: `CREATE OR REPLACE TABLE prev_golden_deals (golden_id VARCHAR)`},
		{sql: `SET VARIABLE incremental = ?`, args: []any{incremental}},
	}
	if !incremental {
		stmts = append(stmts, stmt{sql: `CREATE OR REPLACE TABLE prev_golden_persons (golden_id VARCHAR)`})
	} else {
		files := map[string]string{}
		for _, t := range []string{"outbox", "golden_companies", "golden_persons", "golden_deals"} {
			f, err := store.LocalPath(ctx, prev.Tables[t])
			if err != nil {
				return fmt.Errorf("incremental inputs: last run's %s: %w", t, err)
			}
			files[t] = f
		}
		stmts = append(stmts,
			stmt{`INSERT INTO prev_outbox_ids SELECT DISTINCT entity, golden_id FROM read_parquet(?) WHERE golden_id IS NOT NULL`, []any{files["outbox"]}},
			stmt{`INSERT INTO prev_company_names SELECT golden_id, name, provenance['name'].changed_at, provenance['name'].changed_basis
				FROM read_parquet(?)`, []any{files["golden_companies"]}},
			stmt{`CREATE OR REPLACE TABLE prev_golden_companies AS SELECT * FROM read_parquet(?)`, []any{files["golden_companies"]}},
			stmt{`CREATE OR REPLACE TABLE prev_golden_deals AS SELECT * FROM read_parquet(?)`, []any{files["golden_deals"]}},
			// a view: golden_persons reads the carried rows once, person_scope
			// only their ids; a copy cost more than both reads
			stmt{`SET VARIABLE prev_golden_persons_file = ?`, []any{files["golden_persons"]}},
			stmt{sql: `CREATE OR REPLACE VIEW prev_golden_persons AS SELECT * FROM read_parquet(getvariable('prev_golden_persons_file'))`})
		keys := make([]string, 0, len(prev.Transform.Consumed))
		for k := range prev.Transform.Consumed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			sys, obj, ok := strings.Cut(key, "/")
			if !ok || sys == "" || obj == "" {
				return fmt.Errorf("transform state: consumed key %q is not system/object", key)
			}
			stmts = append(stmts, stmt{`INSERT INTO prev_consumed_runs SELECT ?, ?, unnest(?::VARCHAR[])`, []any{sys, obj, prev.Transform.Consumed[key]}})
		}
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("incremental inputs: %w", err)
		}
	}
	return matchStateInputs(ctx, db, store, prev, incremental)
}
