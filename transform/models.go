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
//	-- kind: script | macros
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
}

// Test is a data test declared by a model.
type Test struct {
	Kind string   // unique, not_null, accepted_values
	Args []string // columns, then values for accepted_values
	Line int
}

var (
	headerRe = regexp.MustCompile(`^--\s*(depends|test|kind)\s*:\s*(.*)$`)
	testRe   = regexp.MustCompile(`^(unique|not_null|accepted_values)\((.*)\)$`)
	identRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// LoadModels reads every *.sql file under fsys (recursively) and returns the
// models in dependency order.
func LoadModels(fsys fs.FS) ([]Model, error) {
	var models []Model
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".sql") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
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
	return order(models)
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
		return Test{}, fmt.Errorf("test %q: want unique(cols), not_null(cols) or accepted_values(col, 'v', ...)", s)
	}
	t := Test{Kind: tm[1]}
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
