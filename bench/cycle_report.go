package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// CycleReports are the figures of one `crmhub bench cycle` invocation,
// one report per size, smallest first.
type CycleReports []*CycleReport

// WriteJSON writes the reports to path.
func (rs CycleReports) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteMarkdownFile writes the Markdown report to path.
func (rs CycleReports) WriteMarkdownFile(path string) error {
	var b strings.Builder
	rs.Markdown(&b)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func (r *CycleReport) run(name string) *RunFig {
	for i := range r.Runs {
		if r.Runs[i].Name == name {
			return &r.Runs[i]
		}
	}
	return nil
}

func (f *RunFig) step(name string) float64 {
	if f == nil {
		return math.NaN()
	}
	for _, s := range f.Steps {
		if s.Step == name {
			return s.Seconds
		}
	}
	return 0
}

func secs(s float64) string {
	switch {
	case math.IsNaN(s):
		return "–"
	case s >= 120:
		return fmt.Sprintf("%.1f min", s/60)
	default:
		return fmt.Sprintf("%.1f s", s)
	}
}

// Markdown writes the whole report.
func (rs CycleReports) Markdown(w io.Writer) {
	if len(rs) == 0 {
		return
	}
	m := rs[0].Machine
	fmt.Fprintf(w, "# crmhub bench cycle\n\nMachine: %d CPUs %s, %s RAM, %s; load average at start %s. DuckDB %s, memory_limit %q, threads %d. Simulators: %s.\n\n",
		m.CPUs, m.Arch, gib(m.MemTotal), m.GoVersion, m.Load1, m.DuckDB, rs[0].MemoryLimit, rs[0].Threads, rs[0].SimMode)
	fmt.Fprintln(w, "## Summary")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| people/system | source records | first run | second night (re-reads the first load's writes) | records changed before the nightly run | nightly | peak RSS crmhub | peak RSS simulators | lake |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		t := func(name string) float64 {
			if f := r.run(name); f != nil {
				return f.Seconds
			}
			return math.NaN()
		}
		changed := "-"
		if r.run("nightly") != nil {
			n, share := r.changed()
			changed = fmt.Sprintf("%d (%.2f%%)", n, 100*share)
		}
		fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.People, r.SourceRecords, secs(t("first")), secs(t("settle")), changed,
			secs(t("nightly")), gib(r.PeakRSS), gib(r.Sims.PeakRSS), mib(r.LakeBytes))
	}
	fmt.Fprintln(w)
	if len(rs) > 1 {
		rs.growth(w)
	}
	for _, r := range rs {
		r.markdown(w)
	}
}

// growth compares each step's time between consecutive sizes with the
// linear and n log n ratios.
func (rs CycleReports) growth(w io.Writer) {
	fmt.Fprintln(w, "## Growth")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Time ratio between consecutive sizes against the size ratio (linear) and the n log n ratio; \"≤ n log n\" means no worse.")
	fmt.Fprintln(w)
	type row struct{ run, step string }
	var rows []row
	for _, run := range []string{"first", "settle", "nightly"} {
		for _, s := range []string{"extract", "transform", "load", "publish", "total"} {
			rows = append(rows, row{run, s})
		}
	}
	fmt.Fprint(w, "| run | step |")
	for _, r := range rs {
		fmt.Fprintf(w, " %d |", r.People)
	}
	for i := 1; i < len(rs); i++ {
		fmt.Fprintf(w, " ×%d→%d |", rs[i-1].People, rs[i].People)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|---|")
	for range 2*len(rs) - 1 {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	at := func(r *CycleReport, run, step string) float64 {
		f := r.run(run)
		if f == nil {
			return math.NaN()
		}
		if step == "total" {
			return f.Seconds
		}
		return f.step(step)
	}
	for _, ro := range rows {
		fmt.Fprintf(w, "| %s | %s |", ro.run, ro.step)
		for _, r := range rs {
			fmt.Fprintf(w, " %s |", secs(at(r, ro.run, ro.step)))
		}
		for i := 1; i < len(rs); i++ {
			a, b := at(rs[i-1], ro.run, ro.step), at(rs[i], ro.run, ro.step)
			fmt.Fprintf(w, " %s |", verdict(a, b, float64(rs[i-1].SourceRecords), float64(rs[i].SourceRecords)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// verdict says how time grew from a to b while records grew from n1 to n2.
func verdict(a, b, n1, n2 float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || a <= 0 || n1 <= 1 {
		return "–"
	}
	t := b / a
	lin := n2 / n1
	nlogn := lin * math.Log(n2) / math.Log(n1)
	v := "≤ linear"
	switch {
	case t > nlogn*1.1:
		v = "**worse than n log n**"
	case t > lin*1.1:
		v = "≤ n log n"
	}
	return fmt.Sprintf("%.1f× (n %.0f×, n log n %.1f×) %s", t, lin, nlogn, v)
}

// changed is how many records the day of edits changed (each edited,
// created or archived record once, the twins its conflicting edits touched
// included) and their share of the source records: more than the change
// rate, which counts the edits of each object alone.
func (r *CycleReport) changed() (int, float64) {
	t := r.Mutation.Total()
	n := t.Updated + t.Created + t.Archived
	if r.SourceRecords == 0 {
		return n, 0
	}
	return n, float64(n) / float64(r.SourceRecords)
}

func (r *CycleReport) markdown(w io.Writer) {
	fmt.Fprintf(w, "## %d people per system\n\n", r.People)
	fmt.Fprintf(w, "%d companies and %d deals per system (before duplicates), seed %d; %d source records. Simulators: generate %.1f s, load %.1f s, day of edits %.1f s, peak RSS %s (%s).\n\n",
		r.Companies, r.Deals, r.Seed, r.SourceRecords, r.Sims.GenerateSec, r.Sims.LoadSec, r.Sims.MutateSec, gib(r.Sims.PeakRSS), r.SimMode)
	var objs []string
	for sys, m := range r.Sims.Records {
		for obj, n := range m {
			objs = append(objs, fmt.Sprintf("%s %s %d", sys, obj, n))
		}
	}
	sort.Strings(objs)
	fmt.Fprintf(w, "Records: %s.\n\n", strings.Join(objs, ", "))
	if r.run("nightly") != nil {
		t := r.Mutation.Total()
		n, share := r.changed()
		fmt.Fprintf(w, "Day of edits before the nightly run (change rate %g): %d updated (%d conflicting), %d created (%d duplicates), %d archived: %d records changed, %.2f%% of the source records.\n\n",
			r.ChangeRate, t.Updated, t.Conflicts, t.Created, t.Duplicates, t.Archived, n, 100*share)
	}
	for i := range r.Runs {
		r.Runs[i].markdown(w)
	}
	fmt.Fprintln(w, "### With the documented API limits on (estimate)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "HubSpot 190 requests/10 s and search 5/s; daily 650k (Professional) / 1M (Enterprise). Salesforce: no per-second limit, daily 100k + 1k per licence; Bulk API 2.0 for loads over the bulk threshold. Assumed latencies: HubSpot 0.3 s per read page, 0.5 s per batch write; Salesforce 1 s per query page or collection call, bulk jobs at 2,000 records/s.")
	fmt.Fprintf(w, "Write calls in flight per CRM (load.hubspot_workers, load.salesforce_workers): HubSpot %d, Salesforce %d; they divide the write latencies, not the rate limits.\n", max(1, r.HubSpotWorkers), max(1, r.SalesforceWorkers))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| run | HubSpot calls (search) | HubSpot at the limit | HubSpot at latency | Salesforce calls | Salesforce time | local (transform+publish) | estimated wall | HubSpot daily (Pro/Ent) | Salesforce daily (100k) | bound |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, e := range r.Limits {
		fmt.Fprintf(w, "| %s | %d (%d) | %s | %s | %d | %s | %s | %s | %.1f%% / %.1f%% | %.1f%% | %s |\n", e.Run, e.HubSpotCalls, e.HubSpotSearchCalls,
			secs(e.HubSpotLimitSec), secs(e.HubSpotLatencySec), e.SalesforceCalls, secs(e.SalesforceSec), secs(e.LocalSec), secs(e.WallSec),
			100*e.HubSpotDailyPro, 100*e.HubSpotDailyEnterprise, 100*e.SalesforceDailyBase, e.Bound)
	}
	fmt.Fprintln(w)
}

// markdown writes one run's section: steps, memory, extract, load, models.
func (f *RunFig) markdown(w io.Writer) {
	fmt.Fprintf(w, "### %s run: %s, peak RSS %s, lake %s after\n\n", f.Name, secs(f.Seconds), gib(f.PeakRSS), mib(f.LakeBytes))
	if f.CheckpointSeconds > 0 {
		fmt.Fprintf(w, "The benchmark copied the lake for --checkpoint as this night's transform started (%.1f s): not in the night's time.\n\n", f.CheckpointSeconds)
	}
	if f.GuardError != "" {
		fmt.Fprintf(w, "Guard refused the load: %s\n\n", f.GuardError)
	}
	if f.Transform != "" {
		fmt.Fprintf(w, "Golden persons built %s.\n\n", f.Transform)
	}
	fmt.Fprintln(w, "| step | seconds | records | records/s |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, s := range f.Steps {
		fmt.Fprintf(w, "| %s | %.1f | %d | %.0f |\n", s.Step, s.Seconds, s.Records, s.PerSecond)
	}
	fmt.Fprintln(w)
	if len(f.Phases) > 0 {
		ph := append([]PhaseRSS(nil), f.Phases...)
		sort.SliceStable(ph, func(i, j int) bool { return ph[i].PeakRSS > ph[j].PeakRSS })
		var parts []string
		for _, p := range ph[:min(8, len(ph))] {
			parts = append(parts, fmt.Sprintf("%s %s", p.Phase, gib(p.PeakRSS)))
		}
		fmt.Fprintf(w, "Highest resident set sampled per phase (every 100 ms): %s.\n\n", strings.Join(parts, "; "))
		if sims := simsRSSBySteps(f.Phases); sims != "" {
			fmt.Fprintf(w, "The simulators' process beside it, highest per step: %s.\n\n", sims)
		}
	}
	fmt.Fprintln(w, "| extract | mode | records | seconds | records/s | API calls | minimum | calls by kind |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---|")
	for _, e := range f.Extract {
		var kinds []string
		for k, n := range e.ByKind {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		fmt.Fprintf(w, "| %s %s | %s | %d | %.1f | %.0f | %d | %d | %s |\n", e.System, e.Object, e.Mode, e.Records, e.Seconds, e.PerSecond,
			e.Calls, e.MinCalls, strings.Join(kinds, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| load | records | fields | creates | bulk records | write calls | minimum | errors | seconds |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, l := range f.Load {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %.1f |\n", l.System, l.Records, l.Fields, l.Creates, l.Bulk, l.Batches, l.MinBatches, l.Errors, l.Seconds)
	}
	fmt.Fprintln(w)
	models := append([]Model(nil), f.Models...)
	sort.SliceStable(models, func(i, j int) bool { return models[i].Seconds > models[j].Seconds })
	var sum float64
	for _, m := range models {
		sum += m.Seconds
	}
	fmt.Fprintf(w, "SQL models: %.1f s in all (transform step %.1f s; the rest is preparing inputs, exporting tables and counts).\n\n", sum, f.step("transform"))
	if len(f.TransformPhases) > 0 {
		var parts []string
		for _, ph := range f.TransformPhases {
			parts = append(parts, fmt.Sprintf("%s %.1f s", ph.Step, ph.Seconds))
		}
		fmt.Fprintf(w, "Transform step by phase: %s.\n\n", strings.Join(parts, ", "))
	}
	if len(f.Exports) > 0 {
		var parts []string
		for _, ex := range f.Exports {
			parts = append(parts, fmt.Sprintf("%s %.1f s", ex.Step, ex.Seconds))
		}
		fmt.Fprintf(w, "Export by table: %s.\n\n", strings.Join(parts, ", "))
	}
	if len(f.Outside) > 0 {
		var parts []string
		for _, o := range f.Outside {
			parts = append(parts, fmt.Sprintf("%s %.1f s", o.Step, o.Seconds))
		}
		fmt.Fprintf(w, "Outside the steps: %s.\n\n", strings.Join(parts, ", "))
	}
	var checks, cpu float64
	for _, m := range models {
		checks += m.Seconds - m.BuildSeconds
		cpu += m.CPUSeconds
	}
	fmt.Fprintf(w, "Of the models' time, %.1f s went to counting their rows and running their data tests (the checks column). ", checks)
	fmt.Fprintf(w, "They used %.1f s of CPU, %.2f cores on average (cores: CPU seconds per second of the model, every thread of the process).\n\n", cpu, cpu/max(sum, 1e-9))
	fmt.Fprintln(w, "| model | rows | seconds | checks | cores | share |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, m := range models {
		share, cores := 0.0, 0.0
		if sum > 0 {
			share = 100 * m.Seconds / sum
		}
		if m.Seconds > 0 {
			cores = m.CPUSeconds / m.Seconds
		}
		fmt.Fprintf(w, "| %s | %d | %.2f | %.2f | %.2f | %.0f%% |\n", m.Model, m.Rows, m.Seconds, m.Seconds-m.BuildSeconds, cores, share)
	}
	fmt.Fprintln(w)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// simsRSSBySteps is the simulators' highest resident set per step (the
// transform's models folded into it), in order of first sight; "" when
// they shared crmhub's process.
func simsRSSBySteps(phases []PhaseRSS) string {
	var order []string
	peak := map[string]int64{}
	for _, p := range phases {
		if p.SimsRSS == 0 {
			continue
		}
		step, _, _ := strings.Cut(p.Phase, ":")
		if _, ok := peak[step]; !ok {
			order = append(order, step)
		}
		peak[step] = max(peak[step], p.SimsRSS)
	}
	parts := make([]string, 0, len(order))
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%s %s", s, gib(peak[s])))
	}
	return strings.Join(parts, "; ")
}
