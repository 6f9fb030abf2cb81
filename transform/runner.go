package transform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"
)

// ErrTestFailed marks a data test that found offending rows.
var ErrTestFailed = errors.New("model test failed")

// maxRepeats bounds "-- @repeat" statements, which should converge quickly.
const maxRepeats = 200

// Result reports one model's run.
type Result struct {
	Model    string
	Rows     int64 // -1: a view left uncounted (Runner.UncountedViews)
	Duration time.Duration
	// Build is the part of Duration spent building the table (Duration adds
	// counting its rows and its data tests).
	Build time.Duration
	// CPU is the process's CPU time over Duration, every thread's (0 where
	// the platform does not tell): CPU / Duration is how many cores the
	// model kept busy.
	CPU   time.Duration
	Tests int
	// TestResults has one entry per test run on the model.
	TestResults []TestResult
	// Statements times each statement of a script model (none for a
	// single query): where a script's time goes, without a profiler.
	Statements []StatementTime
	// Released are the tables dropped once this model ran, no later model
	// reading them (Runner.Release).
	Released []string `json:",omitempty"`
}

// StatementTime is one script statement's wall time; Line is its first
// line in the model's file.
type StatementTime struct {
	Line     int
	Duration time.Duration
}

// TestResult is one data test's outcome.
type TestResult struct {
	Model string
	Test  Test
	// Failing counts the offending rows (0: the test passed).
	Failing int64
}

// Passed says whether the test found no offending row.
func (t TestResult) Passed() bool { return t.Failing == 0 }

// Runner runs models on a DuckDB connection pool.
type Runner struct {
	DB     *sql.DB
	Logger *slog.Logger
	// Progress, when set, is told when each model starts.
	Progress func(i, n int, model string)
	// KeepGoing runs every model and test even when tests fail; Run then
	// returns every failure at the end (errors.Is ErrTestFailed). Without
	// it the first failing test stops the run.
	KeepGoing bool
	// ProfileDir, when set, receives DuckDB's JSON profile of each model's
	// build (MODEL.json: operators, their time and rows), for finding where
	// a model spends its time (`crmhub models run --profile DIR`).
	ProfileDir string
	// Before runs a Go step just before the named model is built, for an
	// input that can only be narrowed by earlier models' results (the
	// cycle loads person record versions for the golden persons it
	// rebuilds); its time counts in the model's.
	Before map[string]func(context.Context) error
	// UncountedViews leaves a model that made a view uncounted (Rows -1):
	// counting a view builds every row of it, and the cycle builds the
	// published ones anyway when it exports them, and counts them there
	// (match_pairs: 25 M pairs through four joins, 3 to 4 s at a million
	// people on the slower machine of docs/bench-cycle-1m.md).
	UncountedViews bool
	// Release drops each table once the last model that reads it (by the
	// models' depends lists) has run and been tested, except the tables
	// Retain names: what is read after Run (the cycle's exports and match
	// state). DuckDB otherwise keeps every input and model to the end, and
	// what does not fit under its memory_limit goes to its temp files and
	// back for every model after (docs/scaling.md, 2026-12-07 20:30).
	// A model's depends list must then name every table it reads: a table
	// it reads but does not name may be gone.
	Release bool
	Retain  []string
}

// Run materialises every model in order, then its tests. It checks first
// that every dependency is either a model or an existing table.
func (r *Runner) Run(ctx context.Context, models []Model) ([]Result, error) {
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := r.checkInputs(ctx, models); err != nil {
		return nil, err
	}
	results := make([]Result, 0, len(models))
	var failed []error
	var plan *releasePlan
	if r.Release {
		plan = newReleasePlan(models, r.Retain)
	}
	for i, m := range models {
		if r.Progress != nil {
			r.Progress(i, len(models), m.Name)
		}
		start, cpu := time.Now(), processCPU()
		if fn := r.Before[m.Name]; fn != nil {
			if err := fn(ctx); err != nil {
				return results, fmt.Errorf("model %s (%s): input: %w", m.Name, m.Path, err)
			}
		}
		if err := r.profile(ctx, m, true); err != nil {
			return results, err
		}
		stmts, err := r.materialise(ctx, m)
		if err != nil {
			return results, err
		}
		build := time.Since(start)
		if err := r.profile(ctx, m, false); err != nil {
			return results, err
		}
		if m.Macros {
			results = append(results, Result{Model: m.Name, Duration: time.Since(start), Build: build, CPU: processCPU() - cpu, Statements: stmts})
			continue
		}
		// whether it made a view, asked once: the count and the release
		// plan need it
		var view bool
		if r.UncountedViews || plan != nil {
			if view, err = r.isView(ctx, m); err != nil {
				return results, err
			}
		}
		rows, err := r.countRows(ctx, m, view)
		if err != nil {
			return results, err
		}
		tests, err := r.runTests(ctx, m)
		res := Result{Model: m.Name, Rows: rows, Duration: time.Since(start), Build: build, Tests: len(m.Tests), TestResults: tests,
			Statements: stmts}
		if err != nil {
			if !r.KeepGoing || !errors.Is(err, ErrTestFailed) {
				return results, err
			}
			failed = append(failed, err)
		}
		if plan != nil {
			if res.Released, err = r.releaseAfter(ctx, plan, i, m, view); err != nil {
				return results, err
			}
			res.Duration = time.Since(start)
		}
		res.CPU = processCPU() - cpu
		if log.Enabled(ctx, slog.LevelDebug) {
			mem, spilled := r.memory(ctx)
			log.Debug("model", "name", m.Name, "rows", rows, "duration", res.Duration, "build", build,
				"memory_bytes", mem, "spilled_bytes", spilled)
		}
		results = append(results, res)
	}
	return results, errors.Join(failed...)
}

// countRows counts a model's rows; -1 for a view with UncountedViews.
func (r *Runner) countRows(ctx context.Context, m Model, view bool) (int64, error) {
	if r.UncountedViews && view {
		return -1, nil
	}
	var rows int64
	if err := r.DB.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(m.Name)).Scan(&rows); err != nil {
		return 0, fmt.Errorf("model %s (%s): count rows: %w", m.Name, m.Path, err)
	}
	return rows, nil
}

// memory is what DuckDB holds in memory and in its temp files now (-1 when
// it cannot tell): after a model, how much the tables kept so far weigh,
// and how much of that DuckDB had to spill.
func (r *Runner) memory(ctx context.Context) (mem, spilled int64) {
	if err := r.DB.QueryRowContext(ctx, `SELECT sum(memory_usage_bytes)::BIGINT, sum(temporary_storage_bytes)::BIGINT FROM duckdb_memory()`).Scan(&mem, &spilled); err != nil {
		return -1, -1
	}
	return mem, spilled
}

// profile turns DuckDB's profiling on (to ProfileDir/MODEL.json) before a
// model's build and off after it, so the row count and the tests that follow
// do not overwrite the model's profile. The pool holds one connection, so the
// settings reach the build's connection.
func (r *Runner) profile(ctx context.Context, m Model, on bool) error {
	if r.ProfileDir == "" || m.Macros {
		return nil
	}
	stmts := []struct {
		sql  string
		args []any
	}{{"PRAGMA disable_profiling", nil}}
	if on {
		stmts = []struct {
			sql  string
			args []any
		}{
			{"PRAGMA enable_profiling = 'json'", nil},
			{"SET profiling_output = ?", []any{filepath.Join(r.ProfileDir, m.Name+".json")}},
		}
	}
	for _, st := range stmts {
		if _, err := r.DB.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("model %s: profiling: %w", m.Name, err)
		}
	}
	return nil
}

func (r *Runner) checkInputs(ctx context.Context, models []Model) error {
	names := map[string]bool{}
	for _, m := range models {
		names[m.Name] = true
	}
	for _, m := range models {
		for _, d := range m.Deps {
			if names[d] {
				continue
			}
			var n int
			err := r.DB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = ?)
				+ (SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal)`, d, d).Scan(&n)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%w: model %s (%s) depends on %s, which is neither a model nor an input table", ErrBadModel, m.Name, m.Path, d)
			}
		}
	}
	return nil
}

func (r *Runner) materialise(ctx context.Context, m Model) ([]StatementTime, error) {
	if !m.Script && !m.Macros {
		body := strings.TrimRight(strings.TrimSpace(m.SQL), ";")
		stmt := "CREATE OR REPLACE TABLE " + quoteIdent(m.Name) + " AS\n" + body
		if _, err := r.DB.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("model %s (%s): %w", m.Name, m.Path, err)
		}
		return nil, nil
	}
	var times []StatementTime
	for _, st := range splitStatements(m.SQL) {
		// a script's statements each get their own profile
		// (MODEL.LINE.json): one file would keep only the last
		if r.ProfileDir != "" && !m.Macros {
			out := filepath.Join(r.ProfileDir, fmt.Sprintf("%s.%d.json", m.Name, st.line))
			if _, err := r.DB.ExecContext(ctx, "SET profiling_output = ?", out); err != nil {
				return times, fmt.Errorf("model %s: profiling: %w", m.Name, err)
			}
		}
		start := time.Now()
		for n := 0; ; n++ {
			res, err := r.DB.ExecContext(ctx, st.sql)
			if err != nil {
				return times, fmt.Errorf("model %s (%s:%d): %w", m.Name, m.Path, st.line, err)
			}
			if !st.repeat {
				break
			}
			changed, err := res.RowsAffected()
			if err != nil {
				return times, err
			}
			if changed == 0 {
				break
			}
			if n >= maxRepeats {
				return times, fmt.Errorf("model %s (%s:%d): repeated statement still changing rows after %d runs", m.Name, m.Path, st.line, maxRepeats)
			}
		}
		times = append(times, StatementTime{Line: st.line, Duration: time.Since(start)})
	}
	return times, nil
}

type statement struct {
	sql    string
	line   int
	repeat bool
}

// splitStatements splits a script on semicolons that end a line, outside
// quotes; scripts keep one statement's end per line for that reason.
func splitStatements(text string) []statement {
	var out []statement
	var cur strings.Builder
	start, repeat := 0, false
	for i, line := range strings.Split(text, "\n") {
		trim := strings.TrimSpace(line)
		if cur.Len() == 0 {
			if trim == "" || (strings.HasPrefix(trim, "--") && trim != "-- @repeat") {
				continue
			}
			if trim == "-- @repeat" {
				repeat = true
				continue
			}
			start = i + 1
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trim, ";") {
			out = append(out, statement{sql: cur.String(), line: start, repeat: repeat})
			cur.Reset()
			repeat = false
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, statement{sql: cur.String(), line: start, repeat: repeat})
	}
	return out
}

// runTests runs a model's tests; with KeepGoing it runs them all and
// returns every failure, else it stops at the first.
func (r *Runner) runTests(ctx context.Context, m Model) ([]TestResult, error) {
	var out []TestResult
	var failed []error
	for _, t := range m.Tests {
		where := fmt.Sprintf("%s:%d", m.Path, t.Line)
		if t.Path != "" {
			where = fmt.Sprintf("%s:%d", t.Path, t.Line)
		}
		q, args := testQuery(m.Name, t)
		var bad int64
		if err := r.DB.QueryRowContext(ctx, q, args...).Scan(&bad); err != nil {
			return out, fmt.Errorf("model %s (%s): test %s: %w", m.Name, where, t.Kind, err)
		}
		out = append(out, TestResult{Model: m.Name, Test: t, Failing: bad})
		if bad > 0 {
			err := fmt.Errorf("%w: model %s (%s): %s: %d offending rows", ErrTestFailed, m.Name, where, t.Name(), bad)
			if !r.KeepGoing {
				return out, err
			}
			failed = append(failed, err)
		}
	}
	return out, errors.Join(failed...)
}

// testQuery counts offending rows; identifiers are quoted and values bound.
func testQuery(table string, t Test) (string, []any) {
	tbl := quoteIdent(table)
	switch t.Kind {
	case "unique":
		// The keys whose hash repeats first, an aggregate over one number
		// per row, then the exact check on their rows alone: a group on
		// the key columns themselves held every key (28 M rows of four
		// texts at a million people per system). Equal keys, NULLs
		// included, hash alike; a collision only adds rows to the check.
		cols := quoteList(t.Args)
		return "SELECT count(*) FROM (SELECT " + cols + " FROM " + tbl +
			" SEMI JOIN (SELECT hash(" + cols + ") AS h FROM " + tbl + " GROUP BY ALL HAVING count(*) > 1) d ON hash(" + cols + ") = d.h" +
			" GROUP BY ALL HAVING count(*) > 1)", nil
	case "not_null":
		conds := make([]string, len(t.Args))
		for i, c := range t.Args {
			conds[i] = quoteIdent(c) + " IS NULL"
		}
		return "SELECT count(*) FROM " + tbl + " WHERE " + strings.Join(conds, " OR "), nil
	case "relationships":
		col, ref, refCol := quoteIdent(t.Args[0]), quoteIdent(t.Args[1]), quoteIdent(t.Args[2])
		return "SELECT count(*) FROM " + tbl + " m WHERE m." + col + " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " +
			ref + " r WHERE r." + refCol + " = m." + col + ")", nil
	case "sql":
		// The query is model code, like the models themselves: it returns
		// the offending rows.
		return "SELECT count(*) FROM (\n" + strings.TrimRight(strings.TrimSpace(t.SQL), ";") + "\n) offending", nil
	default: // accepted_values
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(t.Args)-1), ", ")
		args := make([]any, 0, len(t.Args)-1)
		for _, v := range t.Args[1:] {
			args = append(args, v)
		}
		col := quoteIdent(t.Args[0])
		return "SELECT count(*) FROM " + tbl + " WHERE " + col + " IS NOT NULL AND " + col + " NOT IN (" + marks + ")", args
	}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return strings.Join(q, ", ")
}

// QuoteIdent quotes a SQL identifier for DuckDB.
func QuoteIdent(s string) string { return quoteIdent(s) }
