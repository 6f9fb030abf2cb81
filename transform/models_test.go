package transform

import (
	"errors"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	sqlmodels "github.com/crmhub/crmhub/sql"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func names(models []Model) []string {
	out := make([]string, len(models))
	for i, m := range models {
		out[i] = m.Name
	}
	return out
}

func TestLoadModelsParsesHeaders(t *testing.T) {
	fsys := fstest.MapFS{
		"staging/stg_people.sql": file(`-- depends: raw_people,  macros
-- A comment line in the header is fine.

--test: unique(record_key)
-- test: not_null(record_key, system)
-- test : accepted_values(decision, 'match', 'review', 'non-match', 'o''brien')
SELECT norm(name) AS record_key FROM raw_people
-- test: unique(ignored_after_the_header)
`),
		"macros/macros.sql":     file("-- kind: macros\nCREATE MACRO norm(x) AS lower(trim(x));\n"),
		"cluster/clusters.sql":  file("-- kind: script\n-- depends: stg_people\nCREATE TABLE clusters AS SELECT 1;\n"),
		"ref/nicknames.csv":     file("name,nickname\n"),
		"README.md":             file("-- depends: nothing\n"),
		"match/empty_model.sql": file("SELECT 1 AS x\n"),
	}
	models, err := LoadModels(fsys)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Model{}
	for _, m := range models {
		byName[m.Name] = m
	}
	if len(models) != 4 {
		t.Fatalf("models = %q, want 4 (.sql files only)", names(models))
	}
	stg := byName["stg_people"]
	if stg.Path != "staging/stg_people.sql" || !slices.Equal(stg.Deps, []string{"raw_people", "macros"}) || stg.Script || stg.Macros {
		t.Errorf("stg_people = %+v", stg)
	}
	wantTests := []Test{
		{Kind: "unique", Args: []string{"record_key"}, Line: 4},
		{Kind: "not_null", Args: []string{"record_key", "system"}, Line: 5},
		{Kind: "accepted_values", Args: []string{"decision", "match", "review", "non-match", "o'brien"}, Line: 6},
	}
	if !reflect.DeepEqual(stg.Tests, wantTests) {
		t.Errorf("tests = %+v, want %+v", stg.Tests, wantTests)
	}
	if m := byName["macros"]; !m.Macros || m.Script {
		t.Errorf("macros kind: %+v", m)
	}
	if m := byName["clusters"]; !m.Script || !slices.Equal(m.Deps, []string{"stg_people"}) {
		t.Errorf("clusters = %+v", m)
	}
	if m := byName["empty_model"]; m.Deps != nil || m.Tests != nil || m.SQL != "SELECT 1 AS x\n" {
		t.Errorf("empty_model = %+v", m)
	}
}

func TestLoadModelsOrdersByDependency(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want []string
	}{
		{"chain against path order", fstest.MapFS{
			"a/first.sql":  file("-- depends: second\nSELECT 1"),
			"b/second.sql": file("-- depends: third, raw_x\nSELECT 1"),
			"c/third.sql":  file("SELECT 1"),
		}, []string{"third", "second", "first"}},
		{"independent models keep path order", fstest.MapFS{
			"z/zed.sql":   file("SELECT 1"),
			"a/alpha.sql": file("SELECT 1"),
			"m/mid.sql":   file("SELECT 1"),
		}, []string{"alpha", "mid", "zed"}},
		{"diamond", fstest.MapFS{
			"top.sql":    file("-- depends: left, right\nSELECT 1"),
			"left.sql":   file("-- depends: bottom\nSELECT 1"),
			"right.sql":  file("-- depends: bottom\nSELECT 1"),
			"bottom.sql": file("SELECT 1"),
		}, []string{"bottom", "left", "right", "top"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			models, err := LoadModels(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(models); !slices.Equal(got, tc.want) {
				t.Errorf("order = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLoadModelsRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want []string // fragments of the message
		not  []string // fragments it must not hold
	}{
		{"cycle", fstest.MapFS{
			"entry.sql": file("-- depends: a\nSELECT 1"),
			"a.sql":     file("-- depends: b\nSELECT 1"),
			"b.sql":     file("-- depends: c\nSELECT 1"),
			"c.sql":     file("-- depends: a\nSELECT 1"),
		}, []string{"dependency cycle: a -> b -> c -> a", "a.sql, b.sql, c.sql"}, []string{"entry"}},
		{"self dependency", fstest.MapFS{
			"loop.sql": file("-- depends: loop\nSELECT 1"),
		}, []string{"dependency cycle: loop -> loop"}, nil},
		{"duplicate name", fstest.MapFS{
			"staging/persons.sql": file("SELECT 1"),
			"golden/persons.sql":  file("SELECT 2"),
		}, []string{"model persons defined twice", "golden/persons.sql", "staging/persons.sql"}, nil},
		{"unknown test", fstest.MapFS{
			"m.sql": file("-- depends: x\n-- test: uniq(id)\nSELECT 1"),
		}, []string{"m.sql:2:", `"uniq(id)"`}, nil},
		{"unquoted accepted value", fstest.MapFS{
			"m.sql": file("\n\n-- test: accepted_values(decision, match)\nSELECT 1"),
		}, []string{"m.sql:3:", "value match must be quoted"}, nil},
		{"accepted_values without values", fstest.MapFS{
			"m.sql": file("-- test: accepted_values(decision)\nSELECT 1"),
		}, []string{"m.sql:1:", "missing arguments"}, nil},
		{"test column not an identifier", fstest.MapFS{
			"m.sql": file("-- test: not_null(id, \"x\"\"y\")\nSELECT 1"),
		}, []string{"m.sql:1:", "is not a column name"}, nil},
		{"empty test", fstest.MapFS{
			"m.sql": file("-- test: unique()\nSELECT 1"),
		}, []string{"m.sql:1:", "is not a column name"}, nil},
		{"bad dependency", fstest.MapFS{
			"dir/m.sql": file("-- kind: script\n-- depends: a, b-c\nSELECT 1"),
		}, []string{"dir/m.sql:2:", `dependency "b-c"`}, nil},
		{"unknown kind", fstest.MapFS{
			"m.sql": file("-- kind: view\nSELECT 1"),
		}, []string{"m.sql:1:", `unknown kind "view"`}, nil},
		{"file name not an identifier", fstest.MapFS{
			"my-model.sql": file("SELECT 1"),
		}, []string{"my-model.sql", "SQL identifier"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			models, err := LoadModels(tc.fsys)
			if err == nil {
				t.Fatalf("LoadModels = %q, want an error", names(models))
			}
			if !errors.Is(err, ErrBadModel) {
				t.Errorf("error does not wrap ErrBadModel: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q names %q, which is not in the cycle", err, w)
				}
			}
		})
	}
}

// TestEmbeddedModelsLoad checks the models the binary ships: they parse,
// and every model comes after the models it depends on.
func TestEmbeddedModelsLoad(t *testing.T) {
	models, err := LoadModels(sqlmodels.Models)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(sqlmodels.Models, "*/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	tests, _ := fs.Glob(sqlmodels.Models, "tests/*.sql")
	if len(models) == 0 || len(models) != len(files)-len(tests) {
		t.Fatalf("%d models from %d files", len(models), len(files))
	}
	pos := map[string]int{}
	for i, m := range models {
		pos[m.Name] = i
	}
	for i, m := range models {
		for _, d := range m.Deps {
			if j, isModel := pos[d]; isModel && j > i {
				t.Errorf("%s runs before its dependency %s", m.Name, d)
			} else if !isModel && !strings.HasPrefix(d, "raw_") && !strings.HasPrefix(d, "ref_") && !strings.HasPrefix(d, "cfg_") && !strings.HasPrefix(d, "prev_") {
				t.Errorf("%s depends on %s, which is neither a model nor an input", m.Name, d)
			}
		}
	}
	// Every ref_ dependency has its CSV in sql/ref.
	for _, m := range models {
		for _, d := range m.Deps {
			if name, ok := strings.CutPrefix(d, "ref_"); ok {
				if _, err := fs.Stat(sqlmodels.Models, "ref/"+name+".csv"); err != nil {
					t.Errorf("%s depends on %s: %v", m.Name, d, err)
				}
			}
		}
	}
}
