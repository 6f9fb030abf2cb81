package transform

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(context.Background(), EngineConfig{TempDir: t.TempDir(), Threads: 2, MemoryLimit: "1GB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func load(t *testing.T, fsys fstest.MapFS) []Model {
	t.Helper()
	models, err := LoadModels(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return models
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func TestRunMaterialisesModels(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	exec(t, db, `CREATE TABLE raw_edges AS SELECT * FROM (VALUES ('a','b'), ('b','c'), ('d','e'), ('f','f')) t(l, r)`)
	models := load(t, fstest.MapFS{
		"macros/macros.sql": file("-- kind: macros\nCREATE OR REPLACE MACRO least_of(a, b) AS CASE WHEN a < b THEN a ELSE b END;\n"),
		"staging/nodes.sql": file(`-- depends: raw_edges
-- test: unique(node)
-- test: not_null(node)
SELECT l AS node FROM raw_edges UNION SELECT r FROM raw_edges;
`),
		// Connected components by label propagation: the UPDATE repeats
		// until no label changes (a -> b -> c needs two rounds).
		"cluster/components.sql": file(`-- kind: script
-- depends: nodes, raw_edges, macros
-- test: not_null(node, label)
CREATE OR REPLACE TABLE components AS
  SELECT node, node AS label FROM nodes;

-- @repeat
UPDATE components SET label = m.label
FROM (
  SELECT c.node, min(least_of(c.label, o.label)) AS label
  FROM components c
  JOIN raw_edges e ON c.node IN (e.l, e.r)
  JOIN components o ON o.node = CASE WHEN e.l = c.node THEN e.r ELSE e.l END
  GROUP BY c.node
) m
WHERE components.node = m.node AND m.label < components.label;
`),
		"report/sizes.sql": file("-- depends: components\n-- test: accepted_values(size, '1', '2', '3')\nSELECT label, count(*) AS size FROM components GROUP BY label ORDER BY label\n"),
	})
	var progress []string
	r := &Runner{DB: db, Progress: func(i, n int, model string) {
		progress = append(progress, model)
		if n != 4 {
			t.Errorf("progress n = %d", n)
		}
	}}
	res, err := r.Run(ctx, models)
	if err != nil {
		t.Fatal(err)
	}
	// Dependencies run in the order a model lists them.
	// Script and macros models time each statement by its first line.
	want := []Result{{Model: "nodes", Rows: 6, Tests: 2}, {Model: "macros", Statements: []StatementTime{{Line: 2}}},
		{Model: "components", Rows: 6, Tests: 1, Statements: []StatementTime{{Line: 4}, {Line: 8}}}, {Model: "sizes", Rows: 3, Tests: 1}}
	if len(res) != len(want) {
		t.Fatalf("results = %+v", res)
	}
	for i := range want {
		if res[i].Build <= 0 || res[i].Build > res[i].Duration {
			t.Errorf("result %d: build %s, whole %s", i, res[i].Build, res[i].Duration)
		}
		if res[i].CPU < 0 {
			t.Errorf("result %d: CPU %s", i, res[i].CPU)
		}
		res[i].Duration, res[i].Build, res[i].CPU = 0, 0, 0
		if len(res[i].TestResults) != res[i].Tests {
			t.Errorf("result %d: %d test results for %d tests", i, len(res[i].TestResults), res[i].Tests)
		}
		res[i].TestResults = nil
		for j, st := range res[i].Statements {
			if st.Duration <= 0 {
				t.Errorf("result %d statement %d: duration %s", i, j, st.Duration)
			}
			res[i].Statements[j].Duration = 0
		}
		if !reflect.DeepEqual(res[i], want[i]) {
			t.Errorf("result %d = %+v, want %+v", i, res[i], want[i])
		}
	}
	if !slices.Equal(progress, []string{"nodes", "macros", "components", "sizes"}) {
		t.Errorf("progress = %q", progress)
	}
	rows, err := db.Query("SELECT node, label FROM components ORDER BY node")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n, l string
		if err := rows.Scan(&n, &l); err != nil {
			t.Fatal(err)
		}
		got = append(got, n+"="+l)
	}
	if want := []string{"a=a", "b=a", "c=a", "d=d", "e=d", "f=f"}; !slices.Equal(got, want) {
		t.Errorf("components = %q, want %q (the repeated UPDATE must run until nothing changes)", got, want)
	}
	// A second run replaces the tables rather than failing or appending.
	if _, err := r.Run(ctx, models); err != nil {
		t.Fatalf("second run: %v", err)
	}
}

func TestRunRepeatIsBounded(t *testing.T) {
	db := openDB(t)
	models := load(t, fstest.MapFS{"grow.sql": file("-- kind: script\nCREATE OR REPLACE TABLE grow AS SELECT 1 AS n;\n-- @repeat\nUPDATE grow SET n = n + 1;\n")})
	_, err := (&Runner{DB: db}).Run(context.Background(), models)
	if err == nil || !strings.Contains(err.Error(), "grow.sql:4") || !strings.Contains(err.Error(), "still changing rows") {
		t.Fatalf("error = %v, want the repeated statement named", err)
	}
}

func TestRunFailsOnDataTests(t *testing.T) {
	for _, tc := range []struct {
		name string
		test string
		want string // model, file:line, test and count
	}{
		{"unique", "-- test: unique(k)", "model dup (checks/dup.sql:2): unique(k): 2 offending rows"},
		{"unique pair", "-- test: unique(k, v)", "model dup (checks/dup.sql:2): unique(k, v): 1 offending rows"},
		// two rows whose key is NULL repeat it, as a GROUP BY sees them
		{"unique with NULLs", "-- test: unique(w, v)", "model dup (checks/dup.sql:2): unique(w, v): 2 offending rows"},
		{"not_null", "-- test: not_null(v)", "model dup (checks/dup.sql:2): not_null(v): 1 offending rows"},
		{"not_null several", "-- test: not_null(k, v, w)", "model dup (checks/dup.sql:2): not_null(k, v, w): 3 offending rows"},
		{"accepted_values", "-- test: accepted_values(v, 'x', 'y')", "model dup (checks/dup.sql:2): accepted_values(v, x, y): 3 offending rows"},
		// A quote in a value is bound, not spliced into SQL.
		{"accepted value with a quote", "-- test: accepted_values(v, 'x', 'o''brien')", "accepted_values(v, x, o'brien): 3 offending rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			models := load(t, fstest.MapFS{
				"checks/dup.sql": file("-- kind: script\n" + tc.test + "\n" +
					"CREATE OR REPLACE TABLE dup AS SELECT * FROM (VALUES ('1','x', 1), ('1','x', 1), ('2','y', 1), ('2','z', NULL), ('3', NULL, 1), ('4', 'o''brien', 1), ('5', 'z', NULL)) t(k, v, w);\n"),
				"zz_after.sql": file("-- depends: dup\nSELECT 1 AS x"),
			})
			res, err := (&Runner{DB: db}).Run(context.Background(), models)
			if !errors.Is(err, ErrTestFailed) {
				t.Fatalf("error = %v, want ErrTestFailed", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if len(res) != 0 || tableExists(t, db, "zz_after") {
				t.Errorf("the run went on after a failed test: %+v", res)
			}
		})
	}
}

func TestRunPassingTests(t *testing.T) {
	db := openDB(t)
	models := load(t, fstest.MapFS{"ok.sql": file(`-- test: unique(k)
-- test: not_null(k)
-- test: accepted_values(v, 'x', 'y')
SELECT * FROM (VALUES (1, 'x'), (2, 'y'), (3, NULL)) t(k, v);`)})
	res, err := (&Runner{DB: db}).Run(context.Background(), models)
	if err != nil || len(res) != 1 || res[0].Rows != 3 || res[0].Tests != 3 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
}

func TestRunRefusesMissingInputsFirst(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  []string
		models fstest.MapFS
		want   string
	}{
		{"missing table", nil, fstest.MapFS{
			"a_first.sql":  file("SELECT 1 AS x"),
			"b_second.sql": file("-- depends: a_first, raw_missing\nSELECT 1 AS x"),
		}, "model b_second (b_second.sql) depends on raw_missing, which is neither a model nor an input table"},
		{"a column is not a table", []string{"CREATE TABLE raw_people (raw_missing INT)"}, fstest.MapFS{
			"a_first.sql":  file("SELECT 1 AS x"),
			"b_second.sql": file("-- depends: raw_people, raw_missing\nSELECT 1 AS x"),
		}, "depends on raw_missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			exec(t, db, tc.setup...)
			models := load(t, tc.models)
			res, err := (&Runner{DB: db}).Run(context.Background(), models)
			if !errors.Is(err, ErrBadModel) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want ErrBadModel saying %q", err, tc.want)
			}
			if res != nil || tableExists(t, db, "a_first") {
				t.Errorf("a model ran before the inputs were checked")
			}
		})
	}
	// A view is an input too.
	db := openDB(t)
	exec(t, db, "CREATE VIEW cfg_settings AS SELECT 1 AS x")
	models := load(t, fstest.MapFS{"m.sql": file("-- depends: cfg_settings\nSELECT * FROM cfg_settings")})
	if _, err := (&Runner{DB: db}).Run(context.Background(), models); err != nil {
		t.Fatalf("a view as input: %v", err)
	}
}

func TestRunReportsSQLErrorsWithLine(t *testing.T) {
	db := openDB(t)
	models := load(t, fstest.MapFS{"s/broken.sql": file("-- kind: script\nCREATE TABLE broken AS SELECT 1 AS x;\n\nSELEC nonsense;\n")})
	_, err := (&Runner{DB: db}).Run(context.Background(), models)
	if err == nil || !strings.Contains(err.Error(), "model broken (s/broken.sql:4)") {
		t.Fatalf("error = %v, want the model and line named", err)
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- kind: script\n\nCREATE TABLE t AS\n  SELECT 'a;b' AS x;\n-- note\n-- @repeat\nUPDATE t\n  SET x = x;\nSELECT 1")
	want := []statement{
		{sql: "CREATE TABLE t AS\n  SELECT 'a;b' AS x;\n", line: 3},
		{sql: "UPDATE t\n  SET x = x;\n", line: 7, repeat: true},
		{sql: "SELECT 1\n", line: 9},
	}
	if !slices.Equal(got, want) {
		t.Errorf("splitStatements = %+v, want %+v", got, want)
	}
}

// --profile: each model's build, not the row count or tests after it,
// lands in DIR/MODEL.json as DuckDB's JSON profile.
func TestRunWritesProfiles(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	exec(t, db, `CREATE TABLE raw_n AS SELECT range AS n FROM range(10)`)
	models := load(t, fstest.MapFS{
		"staging/evens.sql": file("-- depends: raw_n\n-- test: unique(n)\nSELECT n FROM raw_n WHERE n % 2 = 0\n"),
	})
	dir := t.TempDir()
	if _, err := (&Runner{DB: db, ProfileDir: dir}).Run(ctx, models); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "evens.json"))
	if err != nil {
		t.Fatal(err)
	}
	// the operators' names, wherever DuckDB's release nests them (1.x:
	// children[].operator_name; 2.0: operator[].type under a result
	// collector)
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatalf("profile: %v\n%s", err, b)
	}
	var ops []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range []string{"operator_name", "operator_type", "type"} {
				if s, ok := v[k].(string); ok {
					ops = append(ops, s)
				}
			}
			for k, c := range v {
				if k == "children" || k == "operator" {
					walk(c)
				}
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(tree)
	// the build, not the unique test after it (a GROUP BY) or its count
	joined := strings.Join(ops, " ")
	if !strings.Contains(joined, "CREATE_TABLE_AS") || strings.Contains(joined, "GROUP_BY") || strings.Contains(joined, "AGGREGATE") {
		t.Errorf("profile of evens is not its build: operators %q\n%s", ops, b)
	}
}

// TestRunBeforeHooks: a Before step runs just before its model, after the
// models the model follows, and its error stops the run naming the model.
func TestRunBeforeHooks(t *testing.T) {
	db := openDB(t)
	exec(t, db, "CREATE TABLE side (n INTEGER)")
	models := load(t, fstest.MapFS{
		"a.sql": file("SELECT 2 AS n\n"),
		"b.sql": file("-- depends: a, side\nSELECT n FROM side\n"),
	})
	hook := func(ctx context.Context) error {
		// a is built: the hook can narrow its input by a's result
		_, err := db.ExecContext(ctx, "INSERT INTO side SELECT n * 10 FROM a")
		return err
	}
	if _, err := (&Runner{DB: db, Before: map[string]func(context.Context) error{"b": hook}}).Run(context.Background(), models); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT n FROM b").Scan(&n); err != nil || n != 20 {
		t.Fatalf("b = %d, %v; want 20 from the hook", n, err)
	}
	broken := func(context.Context) error { return errors.New("no versions") }
	_, err := (&Runner{DB: db, Before: map[string]func(context.Context) error{"b": broken}}).Run(context.Background(), models)
	if err == nil || !strings.Contains(err.Error(), "model b") || !strings.Contains(err.Error(), "no versions") {
		t.Fatalf("error = %v, want the model and the hook's error", err)
	}
}

// TestRunUncountedViews: with UncountedViews a model that made a view is
// not counted (Rows -1) and its tests still run; tables are counted.
func TestRunUncountedViews(t *testing.T) {
	db := openDB(t)
	models := load(t, fstest.MapFS{
		"a.sql": file("SELECT * FROM range(3) t(n)\n"),
		"v.sql": file("-- kind: script\n-- depends: a\n-- test: not_null(n)\nCREATE OR REPLACE VIEW v AS SELECT CASE WHEN n = 2 THEN NULL ELSE n END AS n FROM a;\n"),
	})
	for _, tc := range []struct {
		uncounted bool
		want      int64
	}{{false, 3}, {true, -1}} {
		res, err := (&Runner{DB: db, UncountedViews: tc.uncounted, KeepGoing: true}).Run(context.Background(), models)
		if !errors.Is(err, ErrTestFailed) {
			t.Fatalf("uncounted %v: error = %v, want the view's failing test", tc.uncounted, err)
		}
		if len(res) != 2 || res[0].Rows != 3 || res[1].Rows != tc.want {
			t.Fatalf("uncounted %v: results = %+v, want a with 3 rows and v with %d", tc.uncounted, res, tc.want)
		}
	}
}

// TestRunRelease: with Release each table goes once the last model that
// reads it has run, inputs included; a view keeps its inputs as long as
// the view is read, and a retained view keeps them to the end; retained
// tables stay. Without Release every table stays.
func TestRunRelease(t *testing.T) {
	fsys := fstest.MapFS{
		"a.sql": file("-- depends: raw\nSELECT n FROM raw\n"),
		"b.sql": file("-- depends: raw\nSELECT n * 2 AS n FROM raw\n"),
		"v.sql": file("-- kind: script\n-- depends: a\nCREATE OR REPLACE VIEW v AS SELECT n FROM a;\n"),
		"c.sql": file("-- depends: v\nSELECT (SELECT list(table_name ORDER BY table_name) FROM duckdb_tables() WHERE table_name <> 'c') AS tables, (SELECT count(*) FROM v) AS n\n"),
		"d.sql": file("-- depends: b\nSELECT (SELECT list(table_name ORDER BY table_name) FROM duckdb_tables() WHERE table_name <> 'd') AS tables\n"),
	}
	tables := func(db *sql.DB, q string) string {
		t.Helper()
		var s string
		if err := db.QueryRow(q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	run := func(release bool, retain ...string) *sql.DB {
		t.Helper()
		db := openDB(t)
		if _, err := db.Exec("CREATE TABLE raw AS SELECT * FROM range(3) t(n)"); err != nil {
			t.Fatal(err)
		}
		if _, err := (&Runner{DB: db, Release: release, Retain: retain}).Run(context.Background(), load(t, fsys)); err != nil {
			t.Fatal(err)
		}
		return db
	}
	const left = "SELECT list(table_name ORDER BY table_name)::VARCHAR FROM duckdb_tables()"

	db := run(true, "c", "d")
	// order a, b, v, c, d: raw goes after b; a after c, the last reader of
	// the view v that reads it; c is read by none but retained
	if got := tables(db, "SELECT tables::VARCHAR FROM c"); got != "[a, b]" {
		t.Errorf("tables while c was built = %s, want [a, b] (raw released after b, a kept for v)", got)
	}
	if got := tables(db, "SELECT tables::VARCHAR FROM d"); got != "[b, c]" {
		t.Errorf("tables while d was built = %s, want [b, c]", got)
	}
	if got := tables(db, left); got != "[c, d]" {
		t.Errorf("tables left = %s, want the retained [c, d]", got)
	}

	db = run(true, "v")
	if got := tables(db, left); got != "[a]" {
		t.Errorf("tables left with v retained = %s, want [a], the view's input", got)
	}
	if got := tables(db, "SELECT count(*)::VARCHAR FROM v"); got != "3" {
		t.Errorf("retained view v has %s rows, want 3", got)
	}

	db = run(false)
	if got := tables(db, left); got != "[a, b, c, d, raw]" {
		t.Errorf("tables left without Release = %s, want every one", got)
	}
}

// TestRunReleaseKeepsWhatTestsRead: a table a test reads stays until that
// test ran: the upstream table of a relationships test, the tables a
// tests/ file declares, and every table while a tests/ file without a
// depends header has yet to run (it may read any).
func TestRunReleaseKeepsWhatTestsRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want string // tables when f was built (f itself, being made, left out)
	}{
		{"relationships", fstest.MapFS{
			"a.sql": file("-- depends: raw\nSELECT n FROM raw\n"),
			"b.sql": file("-- depends: a\nSELECT n FROM a\n"),
			"e.sql": file("-- depends: b\n-- test: relationships(n, a.n)\nSELECT n FROM b\n"),
			"f.sql": file("-- depends: e\nSELECT (SELECT list(table_name ORDER BY table_name) FROM duckdb_tables() WHERE table_name <> 'f')::VARCHAR AS tables\n"),
		}, "[e]"},
		{"declared", fstest.MapFS{
			"a.sql":         file("-- depends: raw\nSELECT n FROM raw\n"),
			"e.sql":         file("-- depends: a\nSELECT n FROM a\n"),
			"f.sql":         file("-- depends: e\nSELECT (SELECT list(table_name ORDER BY table_name) FROM duckdb_tables() WHERE table_name <> 'f')::VARCHAR AS tables\n"),
			"tests/raw.sql": file("-- depends: e, raw\nSELECT * FROM e ANTI JOIN raw USING (n)\n"),
		}, "[e]"},
		{"undeclared", fstest.MapFS{
			"a.sql":         file("-- depends: raw\nSELECT n FROM raw\n"),
			"e.sql":         file("-- depends: a\nSELECT n FROM a\n"),
			"f.sql":         file("-- depends: e\nSELECT (SELECT list(table_name ORDER BY table_name) FROM duckdb_tables() WHERE table_name <> 'f')::VARCHAR AS tables\n"),
			"tests/raw.sql": file("SELECT * FROM raw WHERE n < 0\n"),
		}, "[a, e, raw]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			if _, err := db.Exec("CREATE TABLE raw AS SELECT * FROM range(3) t(n)"); err != nil {
				t.Fatal(err)
			}
			if _, err := (&Runner{DB: db, Release: true, Retain: []string{"f"}}).Run(context.Background(), load(t, tc.fsys)); err != nil {
				t.Fatalf("run: %v (a table a test reads was released before it)", err)
			}
			var got string
			if err := db.QueryRow("SELECT tables FROM f").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("tables while f was built = %s, want %s", got, tc.want)
			}
		})
	}
}
