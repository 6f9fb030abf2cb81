// Package cli defines crmhub's commands and flags (parsed with kong) and
// wires them to the packages that do the work.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/alecthomas/kong"

	"github.com/crmhub/crmhub/internal/lake"
)

// Globals are flags every command takes.
type Globals struct {
	LogLevel  string `help:"Log level: debug, info, warn, error." default:"warn" enum:"debug,info,warn,error"`
	LogFormat string `help:"Log format: text or json." default:"text" enum:"text,json"`
	stdout    io.Writer
	stderr    io.Writer
	logger    *slog.Logger
}

// CLI is the command tree.
type CLI struct {
	Globals
	Demo     DemoCmd     `cmd:"" help:"Run the whole nightly cycle against in-process simulators (generated data or a seed)."`
	Run      RunCmd      `cmd:"" help:"Run the nightly cycle against the CRMs a pipeline file names."`
	SQL      SQLCmd      `cmd:"" name:"sql" help:"Query the published tables with DuckDB SQL."`
	Sim      SimCmd      `cmd:"" help:"Serve the HubSpot and Salesforce simulators."`
	Validate ValidateCmd `cmd:"" help:"Check a pipeline file and report every mistake with its line."`
	Pipeline PipelineCmd `cmd:"" help:"Pipeline file reference docs and scheduler entries."`
	Audit    AuditCmd    `cmd:"" help:"Parity audit: read sampled golden records back from both CRMs and compare critical fields."`
	Quality  QualityCmd  `cmd:"" help:"Score matching on every benchmark seed (pairwise precision, recall, F1)."`
	Bench    BenchCmd    `cmd:"" help:"Benchmarks: crmhub bench match --people N."`
	Docs     DocsCmd     `cmd:"" help:"Document the sync (what, when, which way, field rules, matching, model lineage) as Markdown and HTML."`
	Models   ModelsCmd   `cmd:"" help:"Run, test and trace the SQL models (data engineers)."`
	Report   ReportCmd   `cmd:"" help:"Write the HTML report of the last run and the history dashboard into the lake."`
	Gen      GenCmd      `cmd:"" help:"Write generated data with ground truth as a seed directory."`
	Review   ReviewCmd   `cmd:"" help:"Act on the review queue: list, show, decide, undo, history, serve (docs/review.md)."`
}

// Main parses args and runs the command; it returns the process exit code:
// 0 success, 1 failure, 2 usage error, 3 load refused by a safeguard; crmhub
// run adds 4 locked, 5 audit below threshold, 6 monitoring not delivered
// (cli/run.go, docs/operations.md).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c CLI
	exit := -1
	parser, err := kong.New(&c,
		kong.Name("crmhub"),
		kong.Description("crmhub keeps HubSpot and Salesforce in agreement through a Parquet and DuckDB warehouse hub."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(&c.Globals),
	)
	if err != nil {
		fmt.Fprintln(stderr, "crmhub:", err)
		return 1
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 {
		return exit // --help
	}
	if err != nil {
		var pe *kong.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintln(stderr, "crmhub:", err)
			_ = pe.Context.PrintUsage(true)
			return 2
		}
		fmt.Fprintln(stderr, "crmhub:", err)
		return 2
	}
	c.Globals.stdout, c.Globals.stderr = stdout, stderr
	c.Globals.logger = newLogger(stderr, c.LogLevel, c.LogFormat)
	slog.SetDefault(c.Globals.logger)
	err = kctx.Run()
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "crmhub:", err)
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}

type exitCoder interface{ ExitCode() int }

// codedError carries an exit code for schedulers.
type codedError struct {
	err  error
	code int
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }
func (e codedError) ExitCode() int { return e.code }

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openLake opens a lake location with a cache folder beside the work dir.
func openLake(ctx context.Context, location string) (lake.Store, error) {
	cache := filepath.Join(os.TempDir(), "crmhub-cache")
	return lake.Open(ctx, location, cache)
}
