// Package transform runs crmhub's SQL models on DuckDB: it reads the model
// files (embedded in the binary, optionally overridden from a folder), orders
// them by their declared dependencies, materialises each as a table and runs
// the data tests each declares.
package transform

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ErrBadModel marks a model file that cannot be parsed or ordered.
var ErrBadModel = errors.New("bad model")

// Model is one SQL file in sql/. Its header comments declare metadata:
//
//	-- depends: stg_persons, ref_nicknames
//	-- test: unique(record_key)
//	-- test: not_null(golden_id)
//	-- test: accepted_values(decision, 'match', 'review', 'non-match')
//	-- test: relationships(company_golden_id, golden_companies.golden_id)
//	-- test: sql(SELECT * FROM golden_deals WHERE amount < 0)
//	-- kind: script | macros
//
// Other comment lines of the header describe the model (Description).
// Custom SQL tests also live in files under tests/ (tests/NAME.sql): a
// SELECT returning the offending rows, with an optional "-- depends:" line
// naming the tables it reads; it runs once they are all built. Folders
// named testdata hold fixtures (see Scenario), never models.
//
// A plain model's body is one SELECT, materialised as a table named after
// the file. A script model runs its statements in order and must create its
// table itself; a statement preceded by "-- @repeat" runs again until it
// changes no row. A macros model runs its statements (CREATE MACRO ...) and
// creates no table; models that use the macros depend on it by name.
type Model struct {
	Name   string
	Path   string
	Deps   []string
	Tests  []Test
	Script bool
	Macros bool
	SQL    string
	// Description is the header's free comment text.
	Description string
}

// Test is a data test declared by a model, or a custom SQL test file.
type Test struct {
	// Kind is unique, not_null, accepted_values, relationships or sql.
	Kind string
	// Args are the columns; for accepted_values the column then the values;
	// for relationships the column, the referenced table and its column.
	Args []string
	Line int
	// SQL is the query of a sql test: it returns the offending rows.
	SQL string `json:",omitempty"`
	// Path is the file of a test from tests/ ("" for a header test).
	Path string `json:",omitempty"`
	// Deps are the tables a test from tests/ declares it reads (its
	// depends header); none: it may read any table.
	Deps []string `json:",omitempty"`
}

// Name is a short label of the test, e.g. "unique(record_key)".
func (t Test) Name() string {
	switch {
	case t.Path != "":
		return "sql(" + t.Path + ")"
	case t.Kind == "sql":
		q := strings.Join(strings.Fields(t.SQL), " ")
		if len(q) > 60 {
			q = q[:57] + "..."
		}
		return "sql(" + q + ")"
	case t.Kind == "relationships" && len(t.Args) == 3:
		return "relationships(" + t.Args[0] + " -> " + t.Args[1] + "." + t.Args[2] + ")"
	}
	return t.Kind + "(" + strings.Join(t.Args, ", ") + ")"
}

var (
	headerRe = regexp.MustCompile(`^--\s*(depends|test|kind)\s*:\s*(.*)$`)
	testRe   = regexp.MustCompile(`^(unique|not_null|accepted_values|relationships|sql)\s*\((.*)\)$`)
	identRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// LoadModels reads every *.sql file under fsys (recursively) and returns the
// models in dependency order, with the custom tests of tests/*.sql attached
// to the model after which they can run.
func LoadModels(fsys fs.FS) ([]Model, error) {
	var models []Model
	var custom []customTest
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".sql") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if isTestFile(p) {
			ct, err := parseCustomTest(p, string(b))
			if err != nil {
				return err
			}
			custom = append(custom, ct)
			return nil
		}
		m, err := parseModel(p, string(b))
		if err != nil {
			return err
		}
		models = append(models, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ordered, err := order(models)
	if err != nil {
		return nil, err
	}
	if err := checkRelationships(ordered); err != nil {
		return nil, err
	}
	return attachCustomTests(ordered, custom)
}

// isTestFile says whether a path is a custom test: a file in a folder
// named tests, at any depth.
func isTestFile(p string) bool {
	return slices.Contains(strings.Split(path.Dir(p), "/"), "tests")
}

func parseModel(p, text string) (Model, error) {
	m := Model{Name: strings.TrimSuffix(path.Base(p), ".sql"), Path: p, SQL: text}
	if !identRe.MatchString(m.Name) {
		return m, fmt.Errorf("%w: %s: file name must be a SQL identifier", ErrBadModel, p)
	}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "--") {
			break // header ends at the first statement line
		}
		hm := headerRe.FindStringSubmatch(line)
		if hm == nil {
			if d := strings.TrimSpace(strings.TrimPrefix(line, "--")); d != "" && !strings.HasPrefix(d, "@") {
				if m.Description != "" {
					m.Description += " "
				}
				m.Description += d
			}
			continue
		}
		val := strings.TrimSpace(hm[2])
		switch hm[1] {
		case "depends":
			for _, d := range strings.Split(val, ",") {
				d = strings.TrimSpace(d)
				if !identRe.MatchString(d) {
					return m, fmt.Errorf("%w: %s:%d: dependency %q is not an identifier", ErrBadModel, p, i+1, d)
				}
				m.Deps = append(m.Deps, d)
			}
		case "kind":
			switch val {
			case "script":
				m.Script = true
			case "macros":
				m.Macros = true
			default:
				return m, fmt.Errorf("%w: %s:%d: unknown kind %q (want script or macros)", ErrBadModel, p, i+1, val)
			}
		case "test":
			t, err := parseTest(val)
			if err != nil {
				return m, fmt.Errorf("%w: %s:%d: %v", ErrBadModel, p, i+1, err)
			}
			t.Line = i + 1
			m.Tests = append(m.Tests, t)
		}
	}
	return m, nil
}

func parseTest(s string) (Test, error) {
	tm := testRe.FindStringSubmatch(s)
	if tm == nil {
		return Test{}, fmt.Errorf("test %q: want unique(cols), not_null(cols), accepted_values(col, 'v', ...), relationships(col, table.col) or sql(SELECT offending rows)", s)
	}
	t := Test{Kind: tm[1]}
	switch t.Kind {
	case "sql":
		t.SQL = strings.TrimSpace(tm[2])
		if t.SQL == "" {
			return t, fmt.Errorf("test %q: missing arguments", s)
		}
		return t, nil
	case "relationships":
		parts := strings.Split(tm[2], ",")
		if len(parts) != 2 {
			return t, fmt.Errorf("test %q: want relationships(column, table.column)", s)
		}
		col := strings.TrimSpace(parts[0])
		tbl, refCol, ok := strings.Cut(strings.TrimSpace(parts[1]), ".")
		if !identRe.MatchString(col) || !ok || !identRe.MatchString(tbl) || !identRe.MatchString(refCol) {
			return t, fmt.Errorf("test %q: want relationships(column, table.column) with plain identifiers", s)
		}
		t.Args = []string{col, tbl, refCol}
		return t, nil
	}
	for _, a := range strings.Split(tm[2], ",") {
		a = strings.TrimSpace(a)
		if t.Kind == "accepted_values" && len(t.Args) > 0 {
			if len(a) < 2 || a[0] != '\'' || a[len(a)-1] != '\'' {
				return t, fmt.Errorf("test %q: value %s must be quoted", s, a)
			}
			// SQL quoting: '' inside a value is one quote.
			t.Args = append(t.Args, strings.ReplaceAll(a[1:len(a)-1], "''", "'"))
			continue
		}
		if !identRe.MatchString(a) {
			return t, fmt.Errorf("test %q: %q is not a column name", s, a)
		}
		t.Args = append(t.Args, a)
	}
	if len(t.Args) == 0 || (t.Kind == "accepted_values" && len(t.Args) < 2) {
		return t, fmt.Errorf("test %q: missing arguments", s)
	}
	return t, nil
}

// order sorts models topologically; dependencies that are not models are
// inputs (raw_*, ref_*, cfg_*) the caller provides.
func order(models []Model) ([]Model, error) {
	byName := map[string]int{}
	for i, m := range models {
		if j, dup := byName[m.Name]; dup {
			return nil, fmt.Errorf("%w: model %s defined twice (%s, %s)", ErrBadModel, m.Name, models[j].Path, m.Path)
		}
		byName[m.Name] = i
	}
	sort.SliceStable(models, func(i, j int) bool { return models[i].Path < models[j].Path })
	for i, m := range models {
		byName[m.Name] = i
	}
	state := make([]int, len(models)) // 0 new, 1 visiting, 2 done
	var out []Model
	var visit func(i int, stack []string) error
	visit = func(i int, stack []string) error {
		switch state[i] {
		case 1:
			// Name only the cycle, not the path that led into it.
			cycle := append(stack[slices.Index(stack, models[i].Name):], models[i].Name)
			paths := make([]string, 0, len(cycle)-1)
			for _, n := range cycle[:len(cycle)-1] {
				paths = append(paths, models[byName[n]].Path)
			}
			return fmt.Errorf("%w: dependency cycle: %s (%s)", ErrBadModel, strings.Join(cycle, " -> "), strings.Join(paths, ", "))
		case 2:
			return nil
		}
		state[i] = 1
		for _, d := range models[i].Deps {
			if j, ok := byName[d]; ok {
				if err := visit(j, append(stack, models[i].Name)); err != nil {
					return err
				}
			}
		}
		state[i] = 2
		out = append(out, models[i])
		return nil
	}
	for i := range models {
		if err := visit(i, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}
