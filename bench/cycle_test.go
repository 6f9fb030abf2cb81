package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/internal/testenv"
)

// TestRunCycleSmall runs the whole-cycle benchmark at 300 people with the
// simulators in process and checks the report is complete: three runs, the
// nightly one incremental, API calls at least the minimum, load figures,
// estimates, and both report files.
func TestRunCycleSmall(t *testing.T) {
	dir := t.TempDir()
	rep, err := RunCycle(context.Background(), CycleOptions{People: 300, Seed: 1, MemoryLimit: "1GB", Threads: 2, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Companies != 30 || rep.Deals != 60 || rep.SourceRecords == 0 {
		t.Fatalf("sizes: %+v", rep)
	}
	if len(rep.Runs) != 3 || rep.Runs[2].Name != "nightly" {
		t.Fatalf("runs: %+v", rep.Runs)
	}
	if rep.Mutation.Total().Updated == 0 {
		t.Errorf("no edits before the nightly run: %+v", rep.Mutation)
	}
	for _, run := range rep.Runs {
		if len(run.Steps) != 4 || len(run.Models) == 0 || len(run.Extract) != 7 || run.PeakRSS <= 0 || len(run.Phases) == 0 {
			t.Errorf("%s run incomplete: steps %d models %d extract %d rss %d phases %d", run.Name, len(run.Steps), len(run.Models), len(run.Extract), run.PeakRSS, len(run.Phases))
		}
		// the steps and the parts outside them add up to the run
		var parts []string
		sum := 0.0
		for _, st := range run.Steps {
			sum += st.Seconds
		}
		for _, o := range run.Outside {
			parts, sum = append(parts, o.Step), sum+o.Seconds
		}
		if want := "start engine release restore finish report close"; strings.Join(parts, " ") != want || math.Abs(sum-run.Seconds) > 0.01 {
			t.Errorf("%s run: outside the steps %v (%.3f s with the steps, run %.3f s); want %s adding up", run.Name, parts, sum, run.Seconds, want)
		}
		for _, e := range run.Extract {
			wantMode := "full"
			if run.Name != "first" {
				wantMode = "incremental"
			}
			if e.Mode != wantMode || e.Calls < e.MinCalls-1 || e.MinCalls < 2 {
				t.Errorf("%s %s %s: mode %s calls %d minimum %d", run.Name, e.System, e.Object, e.Mode, e.Calls, e.MinCalls)
			}
		}
	}
	first, nightly := rep.Runs[0], rep.Runs[2]
	if len(first.Load) != 2 || first.Load[0].Batches == 0 {
		t.Errorf("first load: %+v", first.Load)
	}
	var firstRead, nightRead int64
	for i := range first.Extract {
		firstRead += first.Extract[i].Records
		nightRead += nightly.Extract[i].Records
	}
	if nightRead == 0 || nightRead*2 > firstRead {
		t.Errorf("the nightly run read %d records, the first %d: not incremental", nightRead, firstRead)
	}
	// the records the day changed: edited (conflicting twins included),
	// created and archived, each once
	changed, share := rep.changed()
	if tot := rep.Mutation.Total(); rep.ChangeRate != 0.01 || tot.Updated == 0 || changed != tot.Updated+tot.Created+tot.Archived ||
		share != float64(changed)/float64(rep.SourceRecords) {
		t.Errorf("change rate %g: %d records changed (%.4f of the source), edits %+v", rep.ChangeRate, changed, share, tot)
	}
	if len(rep.Limits) != 3 || rep.Limits[0].WallSec <= 0 || rep.Limits[0].HubSpotCalls == 0 || rep.Limits[0].Bound == "" {
		t.Errorf("estimates: %+v", rep.Limits)
	}
	rs := CycleReports{rep, rep}
	if err := rs.WriteJSON(filepath.Join(dir, "r.json")); err != nil {
		t.Fatal(err)
	}
	if err := rs.WriteMarkdownFile(filepath.Join(dir, "r.md")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back []CycleReport
	if err := json.Unmarshal(b, &back); err != nil || len(back) != 2 {
		t.Fatalf("json: %v", err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "r.md"))
	// the engine's release is named: it moves every model's time
	if !strings.HasPrefix(rep.Machine.DuckDB, "v") {
		t.Errorf("machine: DuckDB version %q", rep.Machine.DuckDB)
	}
	for _, want := range []string{"## Growth", "### first run", "DuckDB " + rep.Machine.DuckDB + ",", "### nightly run", "| person_pairs |", fmt.Sprintf(": %d records changed, %.2f%% of the source records", changed, 100*share), "Outside the steps: start", "With the documented API limits on"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// A first-run-only benchmark (--nights 1) reports that night alone.
func TestRunCycleFirstNightOnly(t *testing.T) {
	rep, err := RunCycle(context.Background(), CycleOptions{People: 200, Seed: 2, Nights: 1, MemoryLimit: "1GB", Threads: 2, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Name != "first" || rep.Mutation.Total().Updated != 0 {
		t.Fatalf("runs %+v, edits %+v", rep.Runs, rep.Mutation)
	}
	var b strings.Builder
	CycleReports{rep}.Markdown(&b)
	if strings.Contains(b.String(), "Day of edits") || !strings.Contains(b.String(), "### first run") {
		t.Errorf("report:\n%s", b.String())
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		a, b, n1, n2 float64
		want         string
	}{
		{1, 10, 1e5, 1e6, "≤ linear"},
		{1, 11.5, 1e5, 1e6, "≤ n log n"},
		{1, 20, 1e5, 1e6, "worse than n log n"},
		{0, 1, 1e5, 1e6, "–"},
		{math.NaN(), 1, 1e5, 1e6, "–"},
	} {
		if got := verdict(c.a, c.b, c.n1, c.n2); !strings.Contains(got, c.want) {
			t.Errorf("verdict(%v, %v, %v, %v) = %q, want %q", c.a, c.b, c.n1, c.n2, got, c.want)
		}
	}
}

func TestMinExtractCalls(t *testing.T) {
	for _, c := range []struct {
		sys, mode string
		n         int64
		want      int
	}{
		{"hubspot", "full", 0, 2},
		{"hubspot", "full", 1001, 13},
		{"hubspot", "incremental", 401, 5},
		{"salesforce", "full", 4000, 3},
		{"salesforce", "incremental", 4001, 4},
	} {
		if got := minExtractCalls(c.sys, c.mode, c.n); got != c.want {
			t.Errorf("minExtractCalls(%s, %s, %d) = %d, want %d", c.sys, c.mode, c.n, got, c.want)
		}
	}
}

// crmhubBuild is the crmhub binary TestRunCycleSimProcess runs as its
// simulator host, built once and removed by TestMain.
var crmhubBuild testenv.Binary

func TestMain(m *testing.M) { os.Exit(testenv.RunWithBinary(m, &crmhubBuild)) }

// With the simulators in a child process (the built crmhub's bench cycle
// --sim-host, as the 1M benchmarks run them) each phase also samples that
// process's resident set, and the report gives its peak per step.
func TestRunCycleSimProcess(t *testing.T) {
	rep, err := RunCycle(context.Background(), CycleOptions{People: 200, Seed: 3, Nights: 2, MemoryLimit: "1GB", Threads: 2,
		WorkDir: t.TempDir(), SimProcess: true, SimExe: crmhubBuild.Path(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || rep.Sims.PeakRSS <= 0 {
		t.Fatalf("runs %d, simulators' peak %d", len(rep.Runs), rep.Sims.PeakRSS)
	}
	for _, run := range rep.Runs {
		var sampled int
		for _, p := range run.Phases {
			if p.SimsRSS > 0 {
				sampled++
			}
			// the host's own high-water mark (VmHWM) bounds what was
			// sampled, up to the kernel's lazily synced counters (a few
			// pages: CI saw 8 KiB above it)
			if p.SimsRSS > rep.Sims.PeakRSS+rep.Sims.PeakRSS/20 {
				t.Errorf("%s run, %s: simulators at %d, above their peak %d", run.Name, p.Phase, p.SimsRSS, rep.Sims.PeakRSS)
			}
		}
		if sampled == 0 {
			t.Errorf("%s run: the simulators' process was never sampled: %+v", run.Name, run.Phases)
		}
	}
	var b strings.Builder
	CycleReports{rep}.Markdown(&b)
	if !strings.Contains(b.String(), "The simulators' process beside it, highest per step: extract ") {
		t.Errorf("report lacks the simulators' resident set:\n%s", b.String())
	}
}

func TestSimsRSSBySteps(t *testing.T) {
	for _, c := range []struct {
		phases []PhaseRSS
		want   string
	}{
		{nil, ""},
		{[]PhaseRSS{{Phase: "extract", PeakRSS: 1}}, ""},
		{[]PhaseRSS{{Phase: "extract", SimsRSS: 1 << 30}, {Phase: "transform: model a", SimsRSS: 2 << 30},
			{Phase: "transform: model b", SimsRSS: 3 << 30}, {Phase: "load", SimsRSS: 1 << 29}},
			"extract 1.00 GiB; transform 3.00 GiB; load 0.50 GiB"},
	} {
		if got := simsRSSBySteps(c.phases); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.phases, got, c.want)
		}
	}
}
