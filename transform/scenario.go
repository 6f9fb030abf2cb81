package transform

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ErrScenarioFailed marks a model unit test whose outputs differ from the
// expected files.
var ErrScenarioFailed = errors.New("model scenario failed")

// Scenario is a unit test of the models on small fixtures, one folder:
//
//	SCENARIO/inputs/TABLE.csv     rows of an input table (raw_*, ref_*, prev_xref, cfg_*)
//	SCENARIO/expected/MODEL.csv   the rows a model must produce, on the columns the header names
//	SCENARIO/vars.json            optional: DuckDB variables, {"name": value}
//
// Input tables the scenario does not give keep what the caller prepared
// (usually empty tables and the shipped reference tables). Only the models
// the expected files need run, with their data tests. Rows compare as text
// (DuckDB's cast to VARCHAR; an empty CSV field is NULL), in any order.
type Scenario struct {
	Name string
	Dir  string
}

// TableDiff is what differs in one expected table.
type TableDiff struct {
	Table      string
	Columns    []string
	Missing    []string // expected rows the model did not produce (CSV text)
	Unexpected []string // rows the model produced that were not expected
}

// ScenarioResult is one scenario's outcome.
type ScenarioResult struct {
	Scenario Scenario
	Diffs    []TableDiff
	Tests    []TestResult
	// Err is a failure to run (bad SQL, failed data test, diff).
	Err error
}

// LoadScenarios lists the scenario folders under dir (each has expected/).
func LoadScenarios(dir string) ([]Scenario, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	var out []Scenario
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		d := filepath.Join(dir, e.Name())
		if st, err := os.Stat(filepath.Join(d, "expected")); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("scenario %s: no expected/ folder", d)
		}
		out = append(out, Scenario{Name: e.Name(), Dir: d})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scenarios: no scenario folder in %s", dir)
	}
	return out, nil
}

// RunScenario loads the scenario's inputs on r.DB (which must hold every
// other input already), runs the models the expected files need and
// compares. A diff or failed data test is in the result's Err (errors.Is
// ErrScenarioFailed or ErrTestFailed); the returned error is for the rest.
func (r *Runner) RunScenario(ctx context.Context, models []Model, sc Scenario) (ScenarioResult, error) {
	res := ScenarioResult{Scenario: sc}
	inputs, _ := filepath.Glob(filepath.Join(sc.Dir, "inputs", "*.csv"))
	for _, f := range inputs {
		if err := LoadCSVTable(ctx, r.DB, strings.TrimSuffix(filepath.Base(f), ".csv"), f); err != nil {
			return res, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
	}
	if err := loadScenarioVars(ctx, r.DB, filepath.Join(sc.Dir, "vars.json")); err != nil {
		return res, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	expected, _ := filepath.Glob(filepath.Join(sc.Dir, "expected", "*.csv"))
	if len(expected) == 0 {
		return res, fmt.Errorf("scenario %s: expected/ holds no CSV file", sc.Name)
	}
	var targets []string
	for _, f := range expected {
		targets = append(targets, strings.TrimSuffix(filepath.Base(f), ".csv"))
	}
	selected, err := Select(models, targets, true, false)
	if err != nil {
		return res, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	run := *r
	run.KeepGoing = true
	results, runErr := run.Run(ctx, selected)
	for _, mr := range results {
		res.Tests = append(res.Tests, mr.TestResults...)
	}
	if runErr != nil {
		if !errors.Is(runErr, ErrTestFailed) {
			return res, fmt.Errorf("scenario %s: %w", sc.Name, runErr)
		}
		res.Err = runErr
	}
	var diffErrs []error
	for i, f := range expected {
		d, err := compareTable(ctx, r.DB, targets[i], f)
		if err != nil {
			return res, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		if len(d.Missing)+len(d.Unexpected) > 0 {
			res.Diffs = append(res.Diffs, d)
			diffErrs = append(diffErrs, fmt.Errorf("%w: %s: %s: %d expected rows missing, %d unexpected rows",
				ErrScenarioFailed, sc.Name, d.Table, len(d.Missing), len(d.Unexpected)))
		}
	}
	res.Err = errors.Join(append([]error{res.Err}, diffErrs...)...)
	return res, nil
}

// LoadCSVTable replaces the rows of table with a CSV file's. An existing
// table keeps its column types (the CSV's text is cast; columns it lacks
// are added as VARCHAR); a new one takes the CSV's detected types.
func LoadCSVTable(ctx context.Context, db *sql.DB, table, file string) error {
	if !identRe.MatchString(table) {
		return fmt.Errorf("input %s: the file name must be a table name", file)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, table).Scan(&n); err != nil {
		return err
	}
	tbl := quoteIdent(table)
	if n == 0 {
		_, err := db.ExecContext(ctx, "CREATE TABLE "+tbl+" AS SELECT * FROM read_csv(?, header = true, auto_detect = true)", file)
		if err != nil {
			return fmt.Errorf("input %s: %w", file, err)
		}
		return nil
	}
	cols, err := csvHeader(file)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM "+tbl); err != nil {
		return fmt.Errorf("input %s: %w", file, err)
	}
	for _, c := range cols {
		if _, err := db.ExecContext(ctx, "ALTER TABLE "+tbl+" ADD COLUMN IF NOT EXISTS "+quoteIdent(c)+" VARCHAR"); err != nil {
			return fmt.Errorf("input %s: column %s: %w", file, c, err)
		}
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO "+tbl+" BY NAME SELECT * FROM read_csv(?, header = true, all_varchar = true)", file); err != nil {
		return fmt.Errorf("input %s: %w", file, err)
	}
	return nil
}

func csvHeader(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head, err := csv.NewReader(f).Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", file, err)
	}
	for _, c := range head {
		if !identRe.MatchString(c) {
			return nil, fmt.Errorf("%s: column %q is not an identifier", file, c)
		}
	}
	return head, nil
}

func loadScenarioVars(ctx context.Context, db *sql.DB, file string) error {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	vars := map[string]any{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				v = t.UTC()
			}
		}
		vars[k] = v
	}
	return SetVars(ctx, db, vars)
}

// compareTable compares a model's rows with an expected CSV on the CSV's
// columns, as multisets of text rows.
func compareTable(ctx context.Context, db *sql.DB, table, file string) (TableDiff, error) {
	d := TableDiff{Table: table}
	cols, err := csvHeader(file)
	if err != nil {
		return d, err
	}
	d.Columns = cols
	actual := make([]string, len(cols))
	for i, c := range cols {
		actual[i] = "CAST(" + quoteIdent(c) + " AS VARCHAR) AS " + quoteIdent(c)
	}
	act := "SELECT " + strings.Join(actual, ", ") + " FROM " + quoteIdent(table)
	exp := "SELECT " + quoteList(cols) + " FROM read_csv(?, header = true, all_varchar = true)"
	rowText := "SELECT array_to_string([" + strings.Join(quoteCoalesce(cols), ", ") + "], ',') FROM "
	q := func(query string) ([]string, error) {
		rows, err := db.QueryContext(ctx, rowText+"("+query+") ORDER BY ALL", file)
		if err != nil {
			return nil, fmt.Errorf("compare %s with %s: %w", table, file, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, rows.Err()
	}
	if d.Missing, err = q(exp + " EXCEPT ALL " + act); err != nil {
		return d, err
	}
	if d.Unexpected, err = q(act + " EXCEPT ALL " + exp); err != nil {
		return d, err
	}
	sort.Strings(d.Missing)
	sort.Strings(d.Unexpected)
	return d, nil
}

func quoteCoalesce(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = "coalesce(" + quoteIdent(c) + ", '')"
	}
	return out
}

// Select returns the named models in run order, with the models they read
// (upstream) and the models that read them (downstream) when asked.
func Select(models []Model, names []string, upstream, downstream bool) ([]Model, error) {
	byName := map[string]bool{}
	for _, m := range models {
		byName[m.Name] = true
	}
	keep := map[string]bool{}
	for _, n := range names {
		if !byName[n] {
			return nil, fmt.Errorf("%w: no model named %s", ErrBadModel, n)
		}
		keep[n] = true
		if downstream {
			for u := range Downstream(models, n) {
				keep[u] = true
			}
		}
	}
	if upstream {
		for n := range maps.Clone(keep) {
			for u := range Upstream(models, n) {
				keep[u] = true
			}
		}
	}
	var out []Model
	for _, m := range models {
		if keep[m.Name] {
			out = append(out, m)
		}
	}
	return out, nil
}
