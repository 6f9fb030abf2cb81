package transform

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// project is a small model tree: companies and people, a relationships
// test, an inline sql test and a custom test file.
func project(extra map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{
		"staging/companies.sql": file("-- depends: raw_companies\n-- test: unique(id)\nSELECT id, name FROM raw_companies\n"),
		"staging/people.sql": file(`-- depends: raw_people, companies
-- One row per person with the company it works for.
-- test: relationships(company_id, companies.id)
-- test: sql(SELECT * FROM people WHERE age < 0)
SELECT id, name, company_id, age FROM raw_people
`),
		"tests/people_have_names.sql": file("-- depends: people\n-- every person has a name\nSELECT * FROM people WHERE name IS NULL OR name = ''\n"),
	}
	for k, v := range extra {
		fsys[k] = file(v)
	}
	return fsys
}

func inputs(t *testing.T, people string) *Runner {
	t.Helper()
	db := openDB(t)
	exec(t, db,
		`CREATE TABLE raw_companies AS SELECT * FROM (VALUES ('c1', 'Acme'), ('c2', 'Globex')) t(id, name)`,
		`CREATE TABLE raw_people AS SELECT * FROM (VALUES `+people+`) t(id, name, company_id, age)`)
	return &Runner{DB: db}
}

func TestHeaderAndFileTests(t *testing.T) {
	models := load(t, project(nil))
	if got := names(models); !slices.Equal(got, []string{"companies", "people"}) {
		t.Fatalf("models = %q (tests/ must not be a model)", got)
	}
	people := models[1]
	var got []string
	for _, tt := range people.Tests {
		got = append(got, tt.Name())
	}
	want := []string{"relationships(company_id -> companies.id)", "sql(SELECT * FROM people WHERE age < 0)", "sql(tests/people_have_names.sql)"}
	if !slices.Equal(got, want) {
		t.Errorf("tests = %q, want %q", got, want)
	}
	if people.Description != "One row per person with the company it works for." {
		t.Errorf("description = %q", people.Description)
	}

	ok := inputs(t, `('p1', 'Ann', 'c1', 30), ('p2', 'Bob', NULL, 40)`)
	res, err := ok.Run(context.Background(), models)
	if err != nil {
		t.Fatalf("passing data: %v", err)
	}
	if n := len(res[1].TestResults); n != 3 {
		t.Errorf("people ran %d tests, want 3", n)
	}

	bad := inputs(t, `('p1', '', 'c9', -1), ('p2', 'Bob', 'c8', 40)`)
	_, err = bad.Run(context.Background(), models)
	if !errors.Is(err, ErrTestFailed) || !strings.Contains(err.Error(), "people.sql:3): relationships(company_id -> companies.id): 2 offending rows") {
		t.Fatalf("error = %v, want the relationships test to fail first", err)
	}

	bad.KeepGoing = true
	res, err = bad.Run(context.Background(), models)
	for _, w := range []string{"relationships(company_id -> companies.id): 2 offending rows",
		"sql(SELECT * FROM people WHERE age < 0): 1 offending rows",
		"(tests/people_have_names.sql:3): sql(tests/people_have_names.sql): 1 offending rows"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("keep-going error %v does not say %q", err, w)
		}
	}
	if len(res) != 2 {
		t.Errorf("keep going ran %d models, want 2", len(res))
	}
}

func TestTestDeclarationErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra map[string]string
		want  string
	}{
		{"relationships to a model not upstream", map[string]string{
			"staging/orphans.sql": "-- depends: raw_people\n-- test: relationships(company_id, companies.id)\nSELECT * FROM raw_people\n"},
			"orphans.sql:2: relationships target companies is not upstream of orphans"},
		{"relationships to an undeclared input", map[string]string{
			"staging/orphans.sql": "-- depends: raw_people\n-- test: relationships(company_id, raw_companies.id)\nSELECT * FROM raw_people\n"},
			"raw_companies is neither a model nor a declared input"},
		{"relationships syntax", map[string]string{
			"staging/orphans.sql": "-- test: relationships(company_id, companies)\nSELECT 1\n"},
			"want relationships(column, table.column)"},
		{"empty sql test", map[string]string{"staging/x.sql": "-- test: sql( )\nSELECT 1\n"}, "missing arguments"},
		{"two statements in a test file", map[string]string{"tests/two.sql": "SELECT 1; SELECT 2;\n"}, "holds one SELECT"},
		{"kind in a test file", map[string]string{"tests/k.sql": "-- kind: script\nSELECT 1\n"}, "takes only a depends header"},
		{"test named like a model", map[string]string{"tests/people.sql": "SELECT 1\n"}, "has the name of a model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadModels(project(tc.extra))
			if !errors.Is(err, ErrBadModel) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOverlayReplacesAndAdds(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("staging/companies.sql", "-- depends: raw_companies\nSELECT id, upper(name) AS name FROM raw_companies\n")
	write("report/company_count.sql", "-- depends: companies\nSELECT count(*) AS n FROM companies\n")
	base := project(map[string]string{"ref/countries.csv": "code\nUS\n"})
	fsys, err := Overlay(base, dir)
	if err != nil {
		t.Fatal(err)
	}
	models, err := LoadModels(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(models); !slices.Equal(got, []string{"companies", "company_count", "people"}) {
		t.Fatalf("models = %q", got)
	}
	if !strings.Contains(models[0].SQL, "upper(name)") {
		t.Errorf("companies was not replaced: %s", models[0].SQL)
	}
	refs, err := fs.Sub(fsys, "ref")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(refs, "countries.csv"); err != nil || string(b) != "code\nUS\n" {
		t.Errorf("ref through the overlay: %q, %v", b, err)
	}
	added, replaced, err := OverlayFiles(base, dir)
	if err != nil || !slices.Equal(added, []string{"report/company_count.sql"}) || !slices.Equal(replaced, []string{"staging/companies.sql"}) {
		t.Errorf("OverlayFiles = %q, %q, %v", added, replaced, err)
	}
	if _, err := Overlay(base, filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing folder must be an error")
	}
}

func TestScenario(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ok/inputs/raw_people.csv", "id,name,company_id,age\np1,Ann,c1,30\np2,Bob,,41\n")
	write("ok/expected/people.csv", "id,company_id,age\np2,,41\np1,c1,30\n")
	write("wrong/inputs/raw_people.csv", "id,name,company_id,age\np1,Ann,c1,30\n")
	write("wrong/expected/people.csv", "id,age\np1,31\n")
	scenarios, err := LoadScenarios(dir)
	if err != nil || len(scenarios) != 2 {
		t.Fatalf("scenarios = %+v, %v", scenarios, err)
	}
	models := load(t, project(nil))
	for _, sc := range scenarios {
		r := inputs(t, `('x', 'X', 'c1', 1)`)
		// raw_people exists with typed columns: the CSV text is cast
		exec(t, r.DB, `CREATE OR REPLACE TABLE raw_people (id VARCHAR, name VARCHAR, company_id VARCHAR, age INTEGER)`)
		res, err := r.RunScenario(context.Background(), models, sc)
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		switch sc.Name {
		case "ok":
			if res.Err != nil || len(res.Tests) == 0 {
				t.Errorf("ok: %v, %d tests", res.Err, len(res.Tests))
			}
		case "wrong":
			if !errors.Is(res.Err, ErrScenarioFailed) || len(res.Diffs) != 1 ||
				!slices.Equal(res.Diffs[0].Missing, []string{"p1,31"}) || !slices.Equal(res.Diffs[0].Unexpected, []string{"p1,30"}) {
				t.Errorf("wrong: %v %+v", res.Err, res.Diffs)
			}
		}
	}
}

func TestLineage(t *testing.T) {
	l := BuildLineage(load(t, project(nil)))
	var got []string
	for _, n := range l.Nodes {
		got = append(got, n.Name+":"+n.Kind+":"+string(rune('0'+n.Layer)))
	}
	if want := []string{"raw_companies:input:0", "raw_people:input:0", "companies:model:1", "people:model:2"}; !slices.Equal(got, want) {
		t.Errorf("nodes = %q, want %q", got, want)
	}
	m := l.Mermaid()
	for _, w := range []string{"flowchart LR", "raw_people[(raw_people)]", "companies --> people"} {
		if !strings.Contains(m, w) {
			t.Errorf("mermaid lacks %q:\n%s", w, m)
		}
	}
	if !strings.Contains(l.DOT(), `"companies" -> "people";`) || !strings.Contains(l.Text(), "reads: raw_people, companies") {
		t.Errorf("dot/text:\n%s\n%s", l.DOT(), l.Text())
	}
	sel, err := Select(load(t, project(nil)), []string{"companies"}, true, true)
	if err != nil || !slices.Equal(names(sel), []string{"companies", "people"}) {
		t.Errorf("Select = %q, %v", names(sel), err)
	}
}
