package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// CycleOptions size one whole-cycle benchmark (issue #9).
type CycleOptions struct {
	// People per system; Companies and Deals per system default to
	// People/10 and People/5 (100,000 and 200,000 at one million).
	People, Companies, Deals int
	Seed                     uint64
	// ChangeRate is the share of each object's records edited before the
	// nightly run (default 0.01).
	ChangeRate float64
	// Nights is how many of the three nights run: 1 the first run only,
	// 2 with the settle night, 0 or 3 all three (a first run at a million
	// people takes tens of minutes; its figures alone are worth having).
	Nights int
	// MemoryLimit is DuckDB's memory_limit, e.g. "5GB"; Threads caps its
	// threads (0: every core).
	MemoryLimit string
	Threads     int
	// WorkDir holds the lake and spill files ("" = os.TempDir); the lake
	// is removed afterwards unless KeepLake.
	WorkDir  string
	KeepLake bool
	// SimProcess runs the simulators in a child process (SimExe bench
	// cycle --sim-host; SimExe "" = this executable), so the peak memory
	// measured is crmhub's own; otherwise they run in this process.
	SimProcess bool
	SimExe     string
	Pipeline   *pipelines.Pipeline
	Logger     *slog.Logger
	// Progress, when set, receives a line per phase.
	Progress io.Writer
	// Checkpoint, when set, is a folder that receives a copy of the lake
	// as the last night's transform starts (its extract done):
	// `crmhub bench replay` runs that transform again from it (replay.go).
	Checkpoint string
}

// CycleReport is one size's figures.
type CycleReport struct {
	People      int       `json:"people_per_system"`
	Companies   int       `json:"companies_per_system"`
	Deals       int       `json:"deals_per_system"`
	Seed        uint64    `json:"seed"`
	Machine     Machine   `json:"machine"`
	MemoryLimit string    `json:"duckdb_memory_limit"`
	Threads     int       `json:"duckdb_threads"`
	SimMode     string    `json:"simulators"`
	StartedAt   time.Time `json:"started_at"`
	// SourceRecords is what the simulators held before the first run.
	SourceRecords int64      `json:"source_records"`
	Sims          SimFigures `json:"simulator_figures"`
	Runs          []RunFig   `json:"runs"`
	// Mutation is the day of edits before the nightly run, made at
	// ChangeRate (gen.MutateOptions: that share of each object's records
	// edited, a fifth of it created, a tenth archived, and the other
	// system's twin edited where an edit conflicts).
	Mutation   gen.Stats `json:"mutation"`
	ChangeRate float64   `json:"change_rate"`
	// PeakRSS is the benchmark process's VmHWM over both runs (without the
	// simulators when they run in a child process).
	PeakRSS   int64 `json:"peak_rss_bytes"`
	LakeBytes int64 `json:"lake_bytes"`
	// Limits estimates each run's wall time with the documented API
	// limits on (see ratelimits.go).
	Limits []LimitEstimate `json:"rate_limit_estimates"`
	// HubSpotWorkers and SalesforceWorkers are the write calls the load had
	// in flight per CRM (the pipeline's load.*_workers): the estimates
	// divide the write latencies by them.
	HubSpotWorkers    int `json:"hubspot_workers"`
	SalesforceWorkers int `json:"salesforce_workers"`
}

// Machine is where the figures were taken.
type Machine struct {
	CPUs      int    `json:"cpus"`
	Arch      string `json:"arch"`
	MemTotal  int64  `json:"mem_total_bytes"`
	GoVersion string `json:"go_version"`
	DuckDB    string `json:"duckdb_version"`
	Load1     string `json:"load_average_at_start"`
}

// RunFig is one run of the cycle.
type RunFig struct {
	Name       string           `json:"name"` // first, settle, nightly
	Seconds    float64          `json:"seconds"`
	Steps      []StepFig        `json:"steps"`
	Models     []Model          `json:"models"`
	Extract    []ExtractFig     `json:"extract"`
	Load       []LoadFig        `json:"load"`
	API        []APICalls       `json:"api_calls"`
	Golden     map[string]int64 `json:"golden_records"`
	Conflicts  int64            `json:"conflicts"`
	Outbox     int64            `json:"outbox_fields"`
	PeakRSS    int64            `json:"peak_rss_bytes"`
	LakeBytes  int64            `json:"lake_bytes_after"`
	GuardError string           `json:"guard_error,omitempty"`
	// Transform is how the run built its golden persons (full or
	// incremental) and why.
	Transform string `json:"transform,omitempty"`
	// TransformPhases split the transform step (prepare inputs, models,
	// counts, export, quality).
	TransformPhases []StepFig `json:"transform_phases,omitempty"`
	// Exports split the export phase by published table.
	Exports []StepFig `json:"exports,omitempty"`
	// Outside times the run's work outside its steps (cycle.Report.Outside),
	// and "close": the rest of the run's seconds, closing the engine and
	// removing the work folder.
	Outside []StepFig `json:"outside,omitempty"`
	// CheckpointSeconds is the copy of the lake --checkpoint took in this
	// night: the benchmark's own work, not in Seconds or Outside.
	CheckpointSeconds float64 `json:"checkpoint_seconds,omitempty"`
	// Phases are the peak resident sets sampled per step and model.
	Phases []PhaseRSS `json:"phase_rss"`
}

// StepFig is one step of a run.
type StepFig struct {
	Step      string  `json:"step"`
	Seconds   float64 `json:"seconds"`
	Records   int64   `json:"records"`
	PerSecond float64 `json:"records_per_second"`
}

// ExtractFig is one object's extract with its API calls against the
// least the object needed: ceil(records / page size) plus one schema call
// (plus one archived-list call on HubSpot).
type ExtractFig struct {
	System    string         `json:"system"`
	Object    string         `json:"object"`
	Mode      string         `json:"mode"`
	Records   int64          `json:"records"`
	Seconds   float64        `json:"seconds"`
	PerSecond float64        `json:"records_per_second"`
	Calls     int            `json:"calls"`
	MinCalls  int            `json:"min_calls"`
	ByKind    map[string]int `json:"calls_by_kind"`
}

// LoadFig is one system's load: write calls against ceil(records / batch).
type LoadFig struct {
	System     string  `json:"system"`
	Records    int     `json:"records"`
	Fields     int     `json:"fields"`
	Creates    int     `json:"creates"`
	Bulk       int     `json:"bulk_records"`
	Batches    int     `json:"write_calls"`
	MinBatches int     `json:"min_write_calls"`
	Errors     int     `json:"errors"`
	Seconds    float64 `json:"seconds"`
}

// APICalls counts one system's calls of one kind in a run.
type APICalls struct {
	System string `json:"system"`
	Kind   string `json:"kind"`
	Calls  int    `json:"calls"`
}

// RunCycle benchmarks the whole cycle at one size: a first run (full
// extract, transform, load, publish), a day of edits, a nightly run.
func RunCycle(ctx context.Context, o CycleOptions) (*CycleReport, error) {
	if o.People < 1 {
		return nil, errors.New("bench: people must be at least 1")
	}
	if o.Companies == 0 {
		o.Companies = max(1, o.People/10)
	}
	if o.Deals == 0 {
		o.Deals = max(1, o.People/5)
	}
	if o.ChangeRate <= 0 {
		o.ChangeRate = 0.01
	}
	if o.Pipeline == nil {
		o.Pipeline = pipelines.Default()
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	say := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "[%s] people=%d: %s\n", time.Now().Format("15:04:05"), o.People, fmt.Sprintf(format, a...))
		}
	}
	rep := &CycleReport{People: o.People, Companies: o.Companies, Deals: o.Deals, Seed: o.Seed, MemoryLimit: o.MemoryLimit,
		Threads: o.Threads, StartedAt: time.Now().UTC(), Machine: machine(ctx), SimMode: "in-process"}
	if o.SimProcess {
		rep.SimMode = "child process"
	}
	tmp, err := os.MkdirTemp(o.WorkDir, fmt.Sprintf("crmhub-bench-cycle-%d-", o.People))
	if err != nil {
		return nil, err
	}
	if !o.KeepLake {
		defer os.RemoveAll(tmp)
	}

	say("generating and loading the simulators (%s)", rep.SimMode)
	ho := SimHostOptions{People: o.People, Companies: o.Companies, Deals: o.Deals, Seed: o.Seed}
	var s sims
	if o.SimProcess {
		c, err := startChildSims(ctx, o.SimExe, ho)
		if err != nil {
			return nil, err
		}
		s = c
	} else {
		h, err := startSimHost(ho, log)
		if err != nil {
			return nil, err
		}
		s = localSims{h}
	}
	defer s.Close()
	if rep.Sims, err = s.Figures(ctx); err != nil {
		return rep, err
	}
	for _, objs := range rep.Sims.Records {
		for _, n := range objs {
			rep.SourceRecords += int64(n)
		}
	}
	say("%d records in the simulators (generate %.1fs, load %.1fs)", rep.SourceRecords, rep.Sims.GenerateSec, rep.Sims.LoadSec)

	store, err := lake.OpenLocal(filepath.Join(tmp, "lake"))
	if err != nil {
		return rep, err
	}
	runtime.GC()
	debug.FreeOSMemory()
	_ = ResetPeakRSS()

	// Each night follows a day of edits. The first run's load writes
	// cross-system ids to most records, so the second night re-reads them
	// all ("settle"); the third is a nightly run in its steady state.
	nights := []string{"first", "settle", "nightly"}
	if o.Nights > 0 && o.Nights < len(nights) {
		nights = nights[:o.Nights]
	}
	for day, name := range nights {
		if day > 0 {
			say("a day of edits (change rate %g)", o.ChangeRate)
			rep.ChangeRate = o.ChangeRate
			if rep.Mutation, err = s.Mutate(ctx, day, o.ChangeRate); err != nil {
				return rep, err
			}
			runtime.GC()
			debug.FreeOSMemory()
		}
		say("%s run", name)
		var checkpoint string
		if day == len(nights)-1 {
			checkpoint = o.Checkpoint
		}
		fig, err := runOnce(ctx, o, s, store, tmp, day, checkpoint, log)
		if fig != nil {
			fig.Name = name
			fig.LakeBytes = dirSize(filepath.Join(tmp, "lake"))
			rep.Runs = append(rep.Runs, *fig)
			rep.PeakRSS = max(rep.PeakRSS, fig.PeakRSS)
			say("%s run: %.1fs, peak RSS %s", name, fig.Seconds, gib(fig.PeakRSS))
		}
		if err != nil {
			return rep, fmt.Errorf("%s run: %w", name, err)
		}
	}
	rep.LakeBytes = dirSize(filepath.Join(tmp, "lake"))
	if f, err := s.Figures(ctx); err == nil {
		rep.Sims = f
	}
	rep.HubSpotWorkers, rep.SalesforceWorkers = o.Pipeline.Load.HubSpotWorkers, o.Pipeline.Load.SalesforceWorkers
	rep.Limits = estimateLimits(rep)
	return rep, nil
}

// runOnce runs the cycle once against the simulators, day days ahead; with
// checkpoint set, the lake is copied there as the transform starts.
func runOnce(ctx context.Context, o CycleOptions, s sims, store lake.Store, tmp string, day int, checkpoint string, log *slog.Logger) (*RunFig, error) {
	hsURL, sfURL := s.URLs()
	// rate limits off: the client-side limiters far above anything a
	// loopback simulator can serve
	hs, err := hubspot.New(hubspot.Config{BaseURL: hsURL, Token: simToken, RequestsPer10s: 10_000_000, SearchPerSecond: 1_000_000, Logger: log})
	if err != nil {
		return nil, err
	}
	sf, err := salesforce.New(salesforce.Config{LoginURL: sfURL, ClientID: simClientID, ClientSecret: simClientSecret,
		SlowdownAt: 1, StopAt: 1, BulkPollInterval: 50 * time.Millisecond, Logger: log})
	if err != nil {
		return nil, err
	}
	offset := time.Duration(day) * 24 * time.Hour
	p := o.Pipeline
	cfg := cycle.Config{
		Store: store, Pipeline: p, Models: sqlmodels.Models, Sources: demo.Sources(hs, sf),
		Targets: []load.Target{&load.HubSpotTarget{Client: hs, Batch: p.Load.HubSpotBatchSize, Workers: p.Load.HubSpotWorkers}, &load.SalesforceTarget{Client: sf, Batch: p.Load.SalesforceBatchSize, Workers: p.Load.SalesforceWorkers}},
		Approve: "crmhub bench cycle: simulated data", WorkDir: tmp, Logger: log,
		Now:    func() time.Time { return time.Now().Add(offset) },
		Engine: transform.EngineConfig{MemoryLimit: o.MemoryLimit, Threads: o.Threads, TempDir: filepath.Join(tmp, "spill")},
	}
	_ = ResetPeakRSS()
	watch := watchRSS(100*time.Millisecond, s.PID())
	cfg.Progress = watch
	var cp *checkpointer
	if checkpoint != "" {
		cp = &checkpointer{Progress: watch, lake: filepath.Join(tmp, "lake"), dir: checkpoint,
			info: checkpointInfo{People: o.People, Day: day, ClockOffset: offset, MemoryLimit: o.MemoryLimit}}
		cfg.Progress = cp
	}
	start := time.Now()
	res, err := cycle.Run(ctx, cfg)
	took := time.Since(start)
	if cp != nil {
		// the copy ran inside the night (between its extract and transform)
		took -= cp.took
	}
	fig := runFigure(res, took, watch)
	if cp != nil {
		fig.CheckpointSeconds = cp.took.Seconds()
		if err == nil {
			err = cp.result()
		}
	}
	if res == nil {
		return fig, err
	}
	for sys, calls := range map[string]map[string]int{"hubspot": hubspotCalls(hs), "salesforce": salesforceCalls(sf)} {
		for k, n := range calls {
			fig.API = append(fig.API, APICalls{System: sys, Kind: k, Calls: n})
		}
	}
	sort.Slice(fig.API, func(i, j int) bool {
		if fig.API[i].System != fig.API[j].System {
			return fig.API[i].System < fig.API[j].System
		}
		return fig.API[i].Kind < fig.API[j].Kind
	})
	return fig, err
}

// runFigure is what a cycle report gives of one run, its API calls aside:
// steps, models, extract, load, counts, transform phases and exports.
func runFigure(res *cycle.Report, took time.Duration, watch *rssWatch) *RunFig {
	fig := &RunFig{Seconds: took.Seconds(), PeakRSS: PeakRSS(), Phases: watch.stop()}
	if res == nil {
		return fig
	}
	stepRecords := map[string]int64{}
	for _, r := range res.StepRecords {
		stepRecords[r.Name] = r.Records
	}
	for _, st := range res.Steps {
		f := StepFig{Step: st.Name, Seconds: st.Duration.Seconds(), Records: stepRecords[st.Name]}
		if f.Seconds > 0 {
			f.PerSecond = float64(f.Records) / f.Seconds
		}
		fig.Steps = append(fig.Steps, f)
	}
	for _, m := range res.Models {
		mf := Model{Model: m.Model, Rows: m.Rows, Seconds: m.Duration.Seconds(), BuildSeconds: m.Build.Seconds(), CPUSeconds: m.CPU.Seconds()}
		for _, st := range m.Statements {
			mf.Statements = append(mf.Statements, StatementFig{Line: st.Line, Seconds: st.Duration.Seconds()})
		}
		fig.Models = append(fig.Models, mf)
	}
	for _, e := range res.Extract {
		f := ExtractFig{System: e.System, Object: e.Object, Mode: e.Mode, Records: e.Records, Seconds: e.Duration.Seconds(), ByKind: map[string]int{}}
		for k, c := range e.Calls {
			f.ByKind[k] = c.Calls
			f.Calls += c.Calls
		}
		f.MinCalls = minExtractCalls(e.System, e.Mode, e.Records)
		if f.Seconds > 0 {
			f.PerSecond = float64(f.Records) / f.Seconds
		}
		fig.Extract = append(fig.Extract, f)
	}
	for _, l := range res.Load {
		fig.Load = append(fig.Load, LoadFig{System: l.System, Records: l.Records, Fields: l.Fields, Creates: l.Creates, Bulk: l.Bulk,
			Batches: l.Batches, MinBatches: l.MinBatches, Errors: len(l.Errors), Seconds: l.Duration.Seconds()})
	}
	fig.Golden, fig.Conflicts, fig.Outbox = res.Counts.Golden, res.Counts.Conflicts, res.Counts.OutboxFields
	if t := res.Transform; t != nil {
		fig.Transform = t.Mode + ": " + t.Reason
	}
	for _, ph := range res.TransformPhases {
		fig.TransformPhases = append(fig.TransformPhases, StepFig{Step: ph.Name, Seconds: ph.Duration.Seconds()})
	}
	for _, ex := range res.Exports {
		fig.Exports = append(fig.Exports, StepFig{Step: ex.Name, Seconds: ex.Duration.Seconds()})
	}
	fig.Outside = outsideFigs(fig.Seconds, res)
	if res.GuardError != nil {
		fig.GuardError = res.GuardError.Error()
	}
	return fig
}

func hubspotCalls(c *hubspot.Client) map[string]int {
	out := map[string]int{}
	for k, v := range c.Calls() {
		out[k] = v.Calls
	}
	return out
}

func salesforceCalls(c *salesforce.Client) map[string]int {
	out := map[string]int{}
	for k, v := range c.Calls() {
		out[k] = v.Count
	}
	return out
}

// Page sizes the extract asks for.
const (
	hubspotListPage   = 100
	hubspotSearchPage = 200
	salesforcePage    = 2000
)

// minExtractCalls is the least calls an object's extract needs: its pages
// plus one schema call, plus HubSpot's archived list (a separate endpoint).
func minExtractCalls(system, mode string, records int64) int {
	page := int64(salesforcePage)
	extra := 1
	if system == "hubspot" {
		page, extra = hubspotListPage, 2
		if mode != "full" {
			page = hubspotSearchPage
		}
	}
	return int((records+page-1)/page) + extra
}

func machine(ctx context.Context) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Arch: runtime.GOARCH, GoVersion: runtime.Version(), DuckDB: "unknown"}
	if v, err := transform.Version(ctx); err == nil {
		m.DuckDB = v
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil && len(b) > 0 {
		m.Load1 = string(b[:len(b)-1])
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemTotal = kb * 1024
		}
	}
	return m
}

// dirSize sums the sizes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// outsideFigs are a run's seconds outside its steps: the parts the run
// timed, then "close", what is left of total.
func outsideFigs(total float64, res *cycle.Report) []StepFig {
	var out []StepFig
	rest := total
	for _, st := range res.Steps {
		rest -= st.Duration.Seconds()
	}
	for _, o := range res.Outside {
		out = append(out, StepFig{Step: o.Name, Seconds: o.Duration.Seconds()})
		rest -= o.Duration.Seconds()
	}
	return append(out, StepFig{Step: "close", Seconds: max(rest, 0)})
}
