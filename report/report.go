// Package report writes the HTML report of each run and the history
// dashboard: static pages with inline SVG charts and inline CSS, no script
// and no network, so they open offline from the lake or an archive.
//
//	published/RUN/report.html   one run: counts, timings, breakdowns, errors
//	published/dashboard.html    every run: volumes, error rates, timings,
//	                            duplicates and queue depths over time
package report

import (
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/transform"
)

// DashboardKey is where the dashboard lives in the lake.
const DashboardKey = "published/dashboard.html"

// RunKey is where a run's report lives in the lake.
func RunKey(runID string) string { return path.Join("published", runID, "report.html") }

//go:embed page.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"num": func(v float64) string { return short(v) },
	"secs": func(v float64) string {
		return (time.Duration(v * float64(time.Second))).Round(time.Millisecond).String()
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
}).Parse(pageTemplate))

// Publish writes the run's report and the dashboard into the lake, from the
// run's published tables (table name -> lake key, as in _latest.json).
func Publish(ctx context.Context, store lake.Store, runID string, tables map[string]string, now time.Time) error {
	files := map[string]string{}
	for t, key := range tables {
		p, err := store.LocalPath(ctx, key)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		files[t] = p
	}
	db, err := transform.Open(ctx, transform.EngineConfig{Threads: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	var run, dash bytes.Buffer
	if err := WriteRun(ctx, db, &run, runID, files, now); err != nil {
		return err
	}
	if err := WriteDashboard(ctx, db, &dash, files, now); err != nil {
		return err
	}
	if err := store.Put(ctx, RunKey(runID), &run); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// The dashboard is replaced last: it links to the new report.
	if err := store.Put(ctx, DashboardKey, &dash); err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// page is what the template renders; Run or Dashboard is set.
type page struct {
	Title     string
	Generated time.Time
	Run       *runPage
	Dashboard *dashboardPage
}

type runPage struct {
	Row        RunRow
	Cards      []card
	StepChart  template.HTML
	Extract    template.HTML
	Trend      []chart
	Breakdowns []Breakdown
	Errors     []ErrorRow
	ErrorsMore bool
	Text       [][2]string
}

type card struct {
	Label string
	Value string
	Alert bool
}

type dashboardPage struct {
	Runs   []RunRow
	Charts []chart
	Other  []chart
}

type chart struct {
	Title string
	Note  string
	SVG   template.HTML
}

// WriteRun renders the report of one run from its table files.
func WriteRun(ctx context.Context, db *sql.DB, w io.Writer, runID string, files map[string]string, now time.Time) error {
	history, _, err := loadHistory(ctx, db, files["sync_runs"], files["sync_errors"])
	if err != nil {
		return err
	}
	i := slices.IndexFunc(history, func(r RunRow) bool { return r.ID == runID })
	if i < 0 {
		return fmt.Errorf("report: run %s is not in its sync_runs", runID)
	}
	row := history[i]
	rp := &runPage{Row: row}
	errRate := errorRate(row)
	rp.Cards = []card{
		{"Status", row.Status, row.Status != "succeeded"},
		{"Duration", (time.Duration(row.Seconds() * float64(time.Second))).Round(time.Millisecond).String(), false},
		{"Records extracted", short(row.Num("records_extracted")), false},
		{"Source records", short(row.Num("source_records")), false},
		{"Golden records", short(row.Num("golden_records")), false},
		{"Duplicates merged", short(duplicates(row)), false},
		{"Review queue", short(row.Num("review_items")), false},
		{"Conflicts", short(row.Num("conflicts")), false},
		{"Field writes", short(row.Num("outbox_fields")), false},
		{"Records pushed", short(row.Num("records_pushed")), false},
		{"Push errors", short(row.Num("push_errors")), row.Num("push_errors") > 0},
		{"Error rate", fmt.Sprintf("%.2f%%", errRate), errRate > 0},
	}
	var steps []Bar
	for _, k := range sortedKeys(row.Steps, "extract", "transform", "load", "publish") {
		steps = append(steps, Bar{Label: k, Value: row.Steps[k]})
	}
	if len(steps) > 0 {
		rp.StepChart = BarChart("Time per step", "s", steps)
	}
	var ex []Bar
	for _, e := range row.Extract {
		ex = append(ex, Bar{Label: e.System + " " + e.Object + " (" + e.Mode + ")", Value: float64(e.Records)})
	}
	if len(ex) > 0 {
		rp.Extract = BarChart("Records extracted per object", "records", ex)
	}
	// the runs up to this one, at most 30
	trend := history[max(0, i-29) : i+1]
	x := runLabels(trend)
	rp.Trend = []chart{
		{Title: "Volumes up to this run", SVG: LineChart("Volumes up to this run", "records", x, []Series{
			series(trend, "extracted", "records_extracted"), series(trend, "golden", "golden_records"), series(trend, "pushed", "records_pushed")})},
		{Title: "Queues and errors up to this run", SVG: LineChart("Queues and errors up to this run", "items", x, []Series{
			series(trend, "review queue", "review_items"), series(trend, "conflicts", "conflicts"), series(trend, "push errors", "push_errors")})},
	}
	rp.Breakdowns = readBreakdowns(ctx, db, runID, files)
	const maxErrors = 100
	if rp.Errors, err = readErrors(ctx, db, runID, files["sync_errors"], maxErrors+1); err != nil {
		return err
	}
	if len(rp.Errors) > maxErrors {
		rp.Errors, rp.ErrorsMore = rp.Errors[:maxErrors], true
	}
	for _, k := range sortedKeys(textKeys(row.Text)) {
		rp.Text = append(rp.Text, [2]string{k, row.Text[k]})
	}
	return render(w, page{Title: "crmhub run " + runID, Generated: now.UTC(), Run: rp})
}

// WriteDashboard renders the history of every run in files["sync_runs"].
func WriteDashboard(ctx context.Context, db *sql.DB, w io.Writer, files map[string]string, now time.Time) error {
	history, numCols, err := loadHistory(ctx, db, files["sync_runs"], files["sync_errors"])
	if err != nil {
		return err
	}
	if err := addStepFigures(ctx, db, history, files["sync_run_steps"]); err != nil {
		return err
	}
	if len(history) == 0 {
		return errors.New("dashboard: sync_runs holds no run")
	}
	x := runLabels(history)
	dp := &dashboardPage{}
	for i := len(history) - 1; i >= 0; i-- {
		dp.Runs = append(dp.Runs, history[i])
	}
	var stepNames []string
	for _, r := range history {
		for k := range r.Steps {
			if !slices.Contains(stepNames, k) {
				stepNames = append(stepNames, k)
			}
		}
	}
	stepNames = sortedKeys(toSet(stepNames), "extract", "transform", "load", "publish")
	timing := []Series{{Label: "whole run", Values: mapRuns(history, RunRow.Seconds)}}
	for _, s := range stepNames {
		timing = append(timing, Series{Label: s, Values: mapRuns(history, func(r RunRow) float64 { return stepOrNaN(r, s) })})
	}
	used := map[string]bool{}
	pick := func(label, col string) Series {
		used[col] = true
		return series(history, label, col)
	}
	dp.Charts = []chart{
		{"Volumes", "records per run", LineChart("Volumes", "records", x, []Series{
			pick("extracted", "records_extracted"), pick("source records", "source_records"),
			pick("golden records", "golden_records"), pick("pushed", "records_pushed")})},
		{"Error rate", "push errors / (records pushed + push errors), per run", LineChart("Error rate", "%", x, []Series{
			{Label: "push error rate", Values: mapRuns(history, errorRate)}})},
		{"Run and step durations", "wall time per run and per step (API latency adds to extract and load)", LineChart("Durations", "seconds", x, timing)},
		{"Duplicates", "source records merged into another record's golden record; pairs decided match", LineChart("Duplicates", "records", x, []Series{
			{Label: "duplicates merged", Values: mapRuns(history, duplicates)}, pick("matched pairs", "matched_pairs")})},
		{"Queue depths", "items waiting for a person or a retry after each run", LineChart("Queue depths", "items", x, []Series{
			pick("review queue", "review_items"), pick("conflicts", "conflicts"), pick("errors recorded", "errors_recorded")})},
	}
	dp.Charts = append(dp.Charts,
		chart{"API latency", "mean time per API call, both CRMs (sync_run_steps)", LineChart("API latency", "ms", x, []Series{
			series(history, "mean latency", "api_latency_ms")})},
		chart{"API calls and errors", "calls, failed calls and retries per run (sync_run_steps)", LineChart("API calls", "calls", x, []Series{
			series(history, "calls", "api_calls"), series(history, "errors", "api_errors"), series(history, "retries", "api_retries")})})
	used["push_errors"], used["outbox_fields"] = true, true
	dp.Charts = append(dp.Charts, chart{"Writes", "field writes planned and records pushed back", LineChart("Writes", "count", x, []Series{
		series(history, "field writes", "outbox_fields"), series(history, "push errors", "push_errors")})})
	// Every other numeric column of sync_runs (metrics added later) gets a
	// chart of its own, so nothing recorded goes unseen.
	for _, c := range numCols {
		if used[c] {
			continue
		}
		dp.Other = append(dp.Other, chart{c, "sync_runs." + c, LineChart(c, "", x, []Series{series(history, c, c)})})
	}
	return render(w, page{Title: "crmhub sync history", Generated: now.UTC(), Dashboard: dp})
}

func render(w io.Writer, p page) error {
	if err := tmpl.Execute(w, p); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func series(runs []RunRow, label, col string) Series {
	return Series{Label: label, Values: mapRuns(runs, func(r RunRow) float64 {
		v, ok := r.Numbers[col]
		if !ok {
			return math.NaN()
		}
		return v
	})}
}

func mapRuns(runs []RunRow, f func(RunRow) float64) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

func stepOrNaN(r RunRow, step string) float64 {
	if v, ok := r.Steps[step]; ok {
		return v
	}
	return math.NaN()
}

// errorRate is push errors over attempted records, in percent.
func errorRate(r RunRow) float64 {
	pushed, failed := r.Num("records_pushed"), r.Num("push_errors")
	if pushed+failed == 0 {
		return 0
	}
	return 100 * failed / (pushed + failed)
}

// duplicates counts source records folded into a golden record with others.
func duplicates(r RunRow) float64 {
	return math.Max(0, r.Num("source_records")-r.Num("golden_records"))
}

// runLabels names runs on the x axis by start time.
func runLabels(runs []RunRow) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.StartedAt.UTC().Format("01-02 15:04")
	}
	return out
}

func textKeys(m map[string]string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if strings.TrimSpace(v) != "" {
			out[k] = 0
		}
	}
	return out
}

func toSet(s []string) map[string]float64 {
	out := map[string]float64{}
	for _, k := range s {
		out[k] = 0
	}
	return out
}
