package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/docsgen"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// ModelsCmd is `crmhub models`: the data engineer's view of the SQL models.
type ModelsCmd struct {
	Run     ModelsRunCmd     `cmd:"" help:"Run the models (and their tests) on the lake's current raw data, without extract, load or publish."`
	Test    ModelsTestCmd    `cmd:"" help:"Run the model unit tests (fixture scenarios), or with --lake every data test on the lake's data."`
	Lineage ModelsLineageCmd `cmd:"" help:"Show which models read which tables: text, mermaid, dot or svg."`
}

// modelSource are the flags that say which models and settings to use.
type modelSource struct {
	Models   string `help:"Project folder laid over the embedded SQL models: the same relative path replaces a model (or ref/*.csv), a new file adds one." type:"existingdir" placeholder:"DIR"`
	Pipeline string `help:"Pipeline file for the models' settings (default: the built-in defaults)." type:"existingfile" placeholder:"FILE"`
}

func (s modelSource) load() (*pipelines.Pipeline, []transform.Model, error) {
	p := pipelines.Default()
	if s.Pipeline != "" {
		var err error
		if p, err = pipelines.LoadFile(s.Pipeline); err != nil {
			return nil, nil, codedError{err, 2}
		}
	}
	fsys, err := modelsFS(s.Models)
	if err != nil {
		return nil, nil, codedError{err, 2}
	}
	models, err := transform.LoadModels(fsys)
	if err != nil {
		return nil, nil, codedError{err, 2}
	}
	return p, models, nil
}

func (s modelSource) describe(w io.Writer) {
	if s.Models == "" {
		return
	}
	added, replaced, err := transform.OverlayFiles(sqlmodels.Models, s.Models)
	if err != nil {
		return
	}
	fmt.Fprintf(w, "models from %s over the built-in ones: %d replaced %v, %d added %v\n", s.Models, len(replaced), replaced, len(added), added)
}

// ModelsRunCmd is `crmhub models run`.
type ModelsRunCmd struct {
	modelSource
	Lake       string   `help:"Lake whose raw data the models read." default:"./lake"`
	DB         string   `help:"Keep the tables in this DuckDB file (default: in memory, gone at exit)." placeholder:"FILE"`
	Select     []string `help:"Run only these models and the models they read." placeholder:"MODEL,..."`
	Downstream bool     `help:"With --select, also run the models that read the selected ones."`
	Only       bool     `help:"With --select and --db, run only the selected models (and the macros): the tables they read come from the --db file of an earlier run."`
	Profile    string   `help:"Write DuckDB's JSON profile of each model's build to DIR/MODEL.json (operators with their time and rows)." placeholder:"DIR"`
}

func (c *ModelsRunCmd) Run(ctx context.Context, g *Globals) error {
	p, models, err := c.load()
	if err != nil {
		return err
	}
	if c.Only && (len(c.Select) == 0 || c.DB == "") {
		return codedError{errors.New("--only needs --select and --db (the file holding the tables the selected models read)"), 2}
	}
	if len(c.Select) > 0 {
		all := models
		if models, err = transform.Select(all, c.Select, !c.Only, c.Downstream); err != nil {
			return codedError{err, 2}
		}
		if c.Only {
			models = withMacros(all, models)
		}
	}
	if c.Profile != "" {
		if err := os.MkdirAll(c.Profile, 0o755); err != nil {
			return err
		}
	}
	c.describe(g.stdout)
	store, err := openLake(ctx, c.Lake)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "crmhub-models-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// the pipeline's engine settings, as a cycle uses them, so model times
	// compare with the cycle's
	tmp := p.Engine.TempDir
	if tmp == "" {
		tmp = filepath.Join(work, "duckdb-tmp")
	}
	db, err := transform.Open(ctx, transform.EngineConfig{Path: c.DB, TempDir: tmp, MemoryLimit: p.Engine.MemoryLimit, Threads: p.Engine.Threads})
	if err != nil {
		return err
	}
	defer db.Close()
	fsys, _ := modelsFS(c.Models)
	if err := cycle.PrepareTransform(ctx, db, store, fsys, p, work); err != nil {
		return err
	}
	results, err := (&transform.Runner{DB: db, Logger: g.logger, ProfileDir: c.Profile}).Run(ctx, models)
	printModelResults(g.stdout, results)
	if err == nil && c.DB != "" {
		fmt.Fprintf(g.stdout, "tables kept in %s\n", c.DB)
	}
	return err
}

func printModelResults(w io.Writer, results []transform.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\trows\ttests\ttime\tbuild")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", r.Model, r.Rows, r.Tests, r.Duration.Round(time.Millisecond), r.Build.Round(time.Millisecond))
	}
	tw.Flush()
}

// withMacros puts the macros models of all (in their order) before the
// selected ones: --only runs a model without its upstream models, but the
// macros it calls live on the connection and must be created again.
func withMacros(all, selected []transform.Model) []transform.Model {
	var out []transform.Model
	chosen := map[string]bool{}
	for _, m := range selected {
		chosen[m.Name] = true
	}
	for _, m := range all {
		if m.Macros && !chosen[m.Name] {
			out = append(out, m)
		}
	}
	return append(out, selected...)
}

// ModelsTestCmd is `crmhub models test`.
type ModelsTestCmd struct {
	modelSource
	Fixtures string `help:"Folder of scenarios (SCENARIO/inputs/*.csv, SCENARIO/expected/*.csv); default: MODELS/testdata with --models, else sql/testdata." placeholder:"DIR"`
	Lake     string `help:"Instead of the scenarios, run every model and data test on this lake's data and report each test." placeholder:"LAKE"`
}

func (c *ModelsTestCmd) Run(ctx context.Context, g *Globals) error {
	p, models, err := c.load()
	if err != nil {
		return err
	}
	c.describe(g.stdout)
	fsys, _ := modelsFS(c.Models)
	work, err := os.MkdirTemp("", "crmhub-models-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if c.Lake != "" {
		store, err := openLake(ctx, c.Lake)
		if err != nil {
			return err
		}
		db, err := transform.Open(ctx, transform.EngineConfig{TempDir: work})
		if err != nil {
			return err
		}
		defer db.Close()
		if err := cycle.PrepareTransform(ctx, db, store, fsys, p, work); err != nil {
			return err
		}
		results, err := (&transform.Runner{DB: db, Logger: g.logger, KeepGoing: true}).Run(ctx, models)
		passed, failed := 0, 0
		for _, r := range results {
			for _, t := range r.TestResults {
				if t.Passed() {
					passed++
					fmt.Fprintf(g.stdout, "ok    %s: %s\n", t.Model, t.Test.Name())
				} else {
					failed++
					fmt.Fprintf(g.stdout, "FAIL  %s: %s: %d offending rows\n", t.Model, t.Test.Name(), t.Failing)
				}
			}
		}
		fmt.Fprintf(g.stdout, "%d passed, %d failed\n", passed, failed)
		return err
	}
	dir := c.Fixtures
	if dir == "" {
		dir = filepath.Join("sql", "testdata")
		if c.Models != "" {
			dir = filepath.Join(c.Models, "testdata")
		}
	}
	scenarios, err := transform.LoadScenarios(dir)
	if err != nil {
		return codedError{err, 2}
	}
	var failures []error
	passed := 0
	for _, sc := range scenarios {
		res, err := runScenario(ctx, g, fsys, p, models, sc, work)
		if err != nil {
			return err
		}
		if res.Err == nil {
			passed++
			fmt.Fprintf(g.stdout, "ok    %s (%d data tests)\n", sc.Name, len(res.Tests))
			continue
		}
		failures = append(failures, res.Err)
		fmt.Fprintf(g.stdout, "FAIL  %s\n  %s\n", sc.Name, strings.ReplaceAll(res.Err.Error(), "\n", "\n  "))
		for _, d := range res.Diffs {
			fmt.Fprintf(g.stdout, "  %s (%s):\n", d.Table, strings.Join(d.Columns, ","))
			for _, r := range d.Missing {
				fmt.Fprintf(g.stdout, "    - expected, missing:  %s\n", r)
			}
			for _, r := range d.Unexpected {
				fmt.Fprintf(g.stdout, "    + produced, unexpected: %s\n", r)
			}
		}
	}
	fmt.Fprintf(g.stdout, "%d passed, %d failed\n", passed, len(failures))
	return errors.Join(failures...)
}

// runScenario runs one scenario on a fresh database whose inputs are those
// of an empty lake, so only the scenario's files hold rows.
func runScenario(ctx context.Context, g *Globals, fsys fs.FS, p *pipelines.Pipeline, models []transform.Model, sc transform.Scenario, work string) (transform.ScenarioResult, error) {
	dir, err := os.MkdirTemp(work, sc.Name+"-")
	if err != nil {
		return transform.ScenarioResult{}, err
	}
	store, err := lake.Open(ctx, filepath.Join(dir, "lake"), filepath.Join(dir, "cache"))
	if err != nil {
		return transform.ScenarioResult{}, err
	}
	db, err := transform.Open(ctx, transform.EngineConfig{TempDir: dir, Threads: 2})
	if err != nil {
		return transform.ScenarioResult{}, err
	}
	defer db.Close()
	if err := cycle.PrepareTransform(ctx, db, store, fsys, p, dir); err != nil {
		return transform.ScenarioResult{}, err
	}
	return (&transform.Runner{DB: db, Logger: g.logger}).RunScenario(ctx, models, sc)
}

// ModelsLineageCmd is `crmhub models lineage`.
type ModelsLineageCmd struct {
	modelSource
	Format string   `help:"Output format." default:"text" enum:"text,mermaid,dot,svg"`
	Select []string `help:"Show only these models with what they read and what reads them." placeholder:"MODEL,..."`
}

func (c *ModelsLineageCmd) Run(ctx context.Context, g *Globals) error {
	_, models, err := c.load()
	if err != nil {
		return err
	}
	l := transform.BuildLineage(models)
	if len(c.Select) > 0 {
		keep := map[string]bool{}
		for _, s := range c.Select {
			if _, err := transform.Select(models, []string{s}, false, false); err != nil {
				return codedError{err, 2}
			}
			keep[s] = true
			for n := range transform.Upstream(models, s) {
				keep[n] = true
			}
			for n := range transform.Downstream(models, s) {
				keep[n] = true
			}
		}
		l = l.Sub(keep)
	}
	switch c.Format {
	case "mermaid":
		_, err = io.WriteString(g.stdout, l.Mermaid())
	case "dot":
		_, err = io.WriteString(g.stdout, l.DOT())
	case "svg":
		published := map[string]bool{}
		for _, t := range docsgen.Tables() {
			published[t.Name] = true
		}
		_, err = fmt.Fprintln(g.stdout, docsgen.LineageSVG(l, published))
	default:
		_, err = io.WriteString(g.stdout, l.Text())
	}
	return err
}
