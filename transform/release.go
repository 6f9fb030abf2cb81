package transform

import (
	"context"
	"fmt"
	"slices"
)

// releasePlan knows, from the models' depends lists and their tests, the
// last model that reads each table, so the runner can drop a table as soon
// as that model has run and been tested (Runner.Release). A view reads its
// inputs when it is read, not when it is made: a model that turns out to
// be a view lends its own lifetime to its inputs.
type releasePlan struct {
	// last is the index of the last model that reads the name, or whose
	// tests do (for a model no later one reads: its own index)
	last     map[string]int
	retained map[string]bool
	released map[string]bool
	// holdUntil: nothing goes before this model, whose tests include a
	// tests/ file without a depends header (it may read any table)
	holdUntil int
	deps      map[string][]string
	views     map[string]bool
}

func newReleasePlan(models []Model, retain []string) *releasePlan {
	p := &releasePlan{last: map[string]int{}, retained: map[string]bool{}, released: map[string]bool{},
		deps: map[string][]string{}, views: map[string]bool{}}
	read := func(name string, i int) { p.last[name] = max(p.last[name], i) }
	for i, m := range models {
		p.deps[m.Name] = m.Deps
		read(m.Name, i)
		for _, d := range m.Deps {
			read(d, i)
		}
		for _, t := range m.Tests {
			switch {
			case t.Kind == "relationships":
				read(t.Args[1], i) // upstream, maybe not a direct dependency
			case t.Path != "" && len(t.Deps) == 0:
				p.holdUntil = max(p.holdUntil, i)
			}
			for _, d := range t.Deps {
				read(d, i)
			}
		}
	}
	for _, t := range retain {
		p.retained[t] = true
	}
	return p
}

// built records whether a model made a view: a view's inputs live as long
// as the view.
func (p *releasePlan) built(name string, view bool) {
	if !view {
		return
	}
	p.views[name] = true
	p.lend(name)
}

// lend extends the lifetime of a view's inputs to the view's, through
// views of views.
func (p *releasePlan) lend(view string) {
	for _, d := range p.deps[view] {
		changed := false
		if p.retained[view] && !p.retained[d] {
			p.retained[d], changed = true, true
		}
		if p.last[view] > p.last[d] {
			p.last[d], changed = p.last[view], true
		}
		if changed && p.views[d] {
			p.lend(d)
		}
	}
}

// due lists, sorted, the names no model after the i-th reads that were
// not listed before.
func (p *releasePlan) due(i int) []string {
	if i < p.holdUntil {
		return nil
	}
	var names []string
	for name, last := range p.last {
		if last <= i && !p.retained[name] && !p.released[name] {
			p.released[name] = true
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// releaseAfter drops what no model after the i-th (m, a view if view)
// reads, and says which tables it dropped.
func (r *Runner) releaseAfter(ctx context.Context, plan *releasePlan, i int, m Model, view bool) ([]string, error) {
	plan.built(m.Name, view)
	dropped, err := r.release(ctx, plan.due(i))
	if err != nil {
		return dropped, fmt.Errorf("model %s (%s): %w", m.Name, m.Path, err)
	}
	if len(dropped) > 0 && r.Logger != nil {
		r.Logger.Debug("released", "after", m.Name, "tables", dropped)
	}
	return dropped, nil
}

// isView says whether a model made a view.
func (r *Runner) isView(ctx context.Context, m Model) (bool, error) {
	var views int
	if err := r.DB.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal`, m.Name).Scan(&views); err != nil {
		return false, fmt.Errorf("model %s (%s): %w", m.Name, m.Path, err)
	}
	return views > 0, nil
}

// release drops the tables among names (views and names that are no table
// stay: they hold no rows).
func (r *Runner) release(ctx context.Context, names []string) ([]string, error) {
	var dropped []string
	for _, name := range names {
		var tables []string
		rows, err := r.DB.QueryContext(ctx, `SELECT database_name, schema_name FROM duckdb_tables() WHERE table_name = ?
			AND database_name IN (current_database(), 'temp')`, name)
		if err != nil {
			return dropped, fmt.Errorf("release %s: %w", name, err)
		}
		for rows.Next() {
			var db, schema string
			if err := rows.Scan(&db, &schema); err != nil {
				rows.Close()
				return dropped, fmt.Errorf("release %s: %w", name, err)
			}
			tables = append(tables, quoteIdent(db)+"."+quoteIdent(schema)+"."+quoteIdent(name))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dropped, fmt.Errorf("release %s: %w", name, err)
		}
		for _, t := range tables {
			if _, err := r.DB.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
				return dropped, fmt.Errorf("release %s: %w", name, err)
			}
		}
		if len(tables) > 0 {
			dropped = append(dropped, name)
		}
	}
	return dropped, nil
}
