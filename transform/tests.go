package transform

import (
	"fmt"
	"path"
	"strings"
)

// customTest is a tests/*.sql file before it is attached to a model.
type customTest struct {
	name string
	path string
	deps []string
	test Test
}

// parseCustomTest reads a custom test file: an optional header of
// "-- depends: a, b" lines and comments, then one SELECT that returns the
// offending rows (no rows: the test passes).
func parseCustomTest(p, text string) (customTest, error) {
	ct := customTest{name: strings.TrimSuffix(path.Base(p), ".sql"), path: p}
	body := 0
	for i, line := range strings.Split(text, "\n") {
		trim := strings.TrimSpace(line)
		if trim == "" {
			continue
		}
		if !strings.HasPrefix(trim, "--") {
			body = i + 1
			break
		}
		hm := headerRe.FindStringSubmatch(trim)
		if hm == nil {
			continue
		}
		if hm[1] != "depends" {
			return ct, fmt.Errorf("%w: %s:%d: a test file takes only a depends header, not %s", ErrBadModel, p, i+1, hm[1])
		}
		for _, d := range strings.Split(hm[2], ",") {
			d = strings.TrimSpace(d)
			if !identRe.MatchString(d) {
				return ct, fmt.Errorf("%w: %s:%d: dependency %q is not an identifier", ErrBadModel, p, i+1, d)
			}
			ct.deps = append(ct.deps, d)
		}
	}
	q := strings.TrimRight(strings.TrimSpace(text), ";")
	if body == 0 || strings.Contains(stripComments(q), ";") {
		return ct, fmt.Errorf("%w: %s: a test file holds one SELECT that returns the offending rows", ErrBadModel, p)
	}
	ct.test = Test{Kind: "sql", SQL: q, Path: p, Line: body, Deps: ct.deps}
	return ct, nil
}

// stripComments drops "--" comments, so a semicolon inside one is no
// second statement. Quotes are not parsed: a test with ';' in a string
// literal should use chr(59).
func stripComments(q string) string {
	var b strings.Builder
	for _, line := range strings.Split(q, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// attachCustomTests adds each custom test to the model after which every
// model it depends on is built; a test without dependencies runs last.
func attachCustomTests(models []Model, custom []customTest) ([]Model, error) {
	if len(custom) == 0 {
		return models, nil
	}
	index := map[string]int{}
	for i, m := range models {
		index[m.Name] = i
	}
	for _, ct := range custom {
		if _, clash := index[ct.name]; clash {
			return nil, fmt.Errorf("%w: test %s has the name of a model; rename it", ErrBadModel, ct.path)
		}
		at := -1
		for _, d := range ct.deps {
			if i, ok := index[d]; ok && !models[i].Macros && i > at {
				at = i
			}
		}
		if at < 0 {
			// only inputs, or nothing declared: after the first (inputs
			// only) or the last (nothing declared) materialised model
			for i := range models {
				j := i
				if len(ct.deps) == 0 {
					j = len(models) - 1 - i
				}
				if !models[j].Macros {
					at = j
					break
				}
			}
		}
		if at < 0 {
			return nil, fmt.Errorf("%w: test %s: no model to run it after", ErrBadModel, ct.path)
		}
		models[at].Tests = append(models[at].Tests, ct.test)
	}
	return models, nil
}

// checkRelationships makes sure a relationships test reads a table built
// before it: an upstream model, or an input the model declares.
func checkRelationships(models []Model) error {
	byName := map[string]Model{}
	for _, m := range models {
		byName[m.Name] = m
	}
	for _, m := range models {
		for _, t := range m.Tests {
			if t.Kind != "relationships" {
				continue
			}
			target := t.Args[1]
			if _, isModel := byName[target]; isModel {
				if !Upstream(models, m.Name)[target] {
					return fmt.Errorf("%w: %s:%d: relationships target %s is not upstream of %s: add it to the depends line", ErrBadModel, m.Path, t.Line, target, m.Name)
				}
				continue
			}
			declared := false
			for _, d := range m.Deps {
				declared = declared || d == target
			}
			if !declared {
				return fmt.Errorf("%w: %s:%d: relationships target %s is neither a model nor a declared input: add it to the depends line", ErrBadModel, m.Path, t.Line, target)
			}
		}
	}
	return nil
}

// Upstream returns every table the named model reads, directly or through
// other models (models and inputs alike).
func Upstream(models []Model, name string) map[string]bool {
	byName := map[string]Model{}
	for _, m := range models {
		byName[m.Name] = m
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		for _, d := range byName[n].Deps {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(name)
	return seen
}

// Downstream returns every model that reads the named table, directly or
// through other models.
func Downstream(models []Model, name string) map[string]bool {
	readers := map[string][]string{}
	for _, m := range models {
		for _, d := range m.Deps {
			readers[d] = append(readers[d], m.Name)
		}
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		for _, r := range readers[n] {
			if !seen[r] {
				seen[r] = true
				walk(r)
			}
		}
	}
	walk(name)
	return seen
}
