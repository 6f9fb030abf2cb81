// Package bench measures the matching models at scale: it generates data
// with ground truth, lands it in a temporary lake, runs the transform on
// DuckDB with a deliberate memory limit and reports time per model,
// candidate pairs per record, peak memory and quality.
package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/quality"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// Options size one benchmark run.
type Options struct {
	// People per system (gen.Options.People); companies and deals follow.
	People int
	// Seed of the generated data.
	Seed uint64
	// MemoryLimit is DuckDB's memory_limit, e.g. "5GB".
	MemoryLimit string
	// Threads caps DuckDB's threads; 0 means every core.
	Threads int
	// WorkDir holds the temporary lake and DuckDB's spill files ("" = os.TempDir).
	WorkDir string
	// DBPath, when set, keeps the DuckDB database in this file for
	// inspection after the run.
	DBPath string
	// MatchingOnly runs only the models that normalise, block, score and
	// cluster (with stand-ins for the published tables), not golden records,
	// outbox and reports.
	MatchingOnly bool
	// Pipeline supplies the matching settings (nil = defaults).
	Pipeline *pipelines.Pipeline
	Logger   *slog.Logger
}

// Model is one model's figures.
type Model struct {
	Model   string  `json:"model"`
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	// BuildSeconds is the part of Seconds spent building the model; the
	// rest counts its rows and runs its data tests.
	BuildSeconds float64 `json:"build_seconds"`
	// CPUSeconds is the process's CPU time over Seconds, every thread's:
	// CPUSeconds / Seconds is how many cores the model kept busy.
	CPUSeconds float64 `json:"cpu_seconds"`
	// Statements times a script model's statements by their first line.
	Statements []StatementFig `json:"statements,omitempty"`
}

// StatementFig is one statement of a script model.
type StatementFig struct {
	Line    int     `json:"line"`
	Seconds float64 `json:"seconds"`
}

// Entity is one entity kind's figures.
type Entity struct {
	Entity            string  `json:"entity"`
	Records           int64   `json:"records"`
	CandidatePairs    int64   `json:"candidate_pairs"`
	PairsPerRecord    float64 `json:"candidate_pairs_per_record"`
	Golden            int64   `json:"golden_records"`
	Precision         float64 `json:"precision"`
	Recall            float64 `json:"recall"`
	F1                float64 `json:"f1"`
	TruePairs         int64   `json:"true_pairs"`
	PredictedPairs    int64   `json:"predicted_pairs"`
	MatchingSeconds   float64 `json:"matching_seconds"`
	MatchingModelList string  `json:"matching_models"`
}

// Report is one run's figures.
type Report struct {
	People       int       `json:"people_per_system"`
	Seed         uint64    `json:"seed"`
	CPUs         int       `json:"cpus"`
	Arch         string    `json:"arch"`
	MemoryLimit  string    `json:"memory_limit"`
	Threads      int       `json:"threads"`
	StartedAt    time.Time `json:"started_at"`
	GenerateSec  float64   `json:"generate_seconds"`
	ExtractSec   float64   `json:"extract_seconds"`
	TransformSec float64   `json:"transform_seconds"`
	MatchingSec  float64   `json:"matching_seconds"`
	PeakRSSGen   int64     `json:"peak_rss_generate_bytes"`
	PeakRSSRun   int64     `json:"peak_rss_run_bytes"`
	// CPUSec is the process's user+system CPU time over extract and
	// transform: on a shared machine a steadier figure than wall time.
	CPUSec float64 `json:"cpu_seconds_run"`
	// LoadAvg is /proc/loadavg's 1-minute figure at start and end of the run.
	LoadAvgStart   float64  `json:"load_average_start"`
	LoadAvgEnd     float64  `json:"load_average_end"`
	ReviewItems    int64    `json:"review_items"`
	MatchedPairs   int64    `json:"matched_pairs"`
	Entities       []Entity `json:"entities"`
	Models         []Model  `json:"models"`
	PeakRSSResetOK bool     `json:"peak_rss_reset"`
}

// matching lists the models that normalise, block, score and cluster each
// entity: the part of the transform issue #5 times.
var matching = map[string][]string{
	"person":  {"stg_persons", "person_candidates", "person_pairs", "person_clusters"},
	"company": {"stg_companies", "company_candidates", "company_pairs", "company_clusters"},
	"deal":    {"stg_deals", "deal_candidates", "deal_pairs", "deal_clusters"},
}

// Run generates, lands and transforms one dataset and reports the figures.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.People < 1 {
		return nil, errors.New("bench: people must be at least 1")
	}
	if o.Pipeline == nil {
		o.Pipeline = pipelines.Default()
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rep := &Report{People: o.People, Seed: o.Seed, CPUs: runtime.NumCPU(), Arch: runtime.GOARCH,
		MemoryLimit: o.MemoryLimit, Threads: o.Threads, StartedAt: time.Now().UTC()}
	tmp, err := os.MkdirTemp(o.WorkDir, "crmhub-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	d := gen.Generate(gen.Options{People: o.People, Seed: o.Seed})
	rep.GenerateSec = time.Since(start).Seconds()
	truth := d.Truth
	rep.PeakRSSGen = PeakRSS()

	store, err := lake.OpenLocal(filepath.Join(tmp, "lake"))
	if err != nil {
		return nil, err
	}
	sources := releaseAfterRead(cycle.SeedSources(d))
	d = nil
	runtime.GC()
	debug.FreeOSMemory()
	rep.PeakRSSResetOK = ResetPeakRSS() == nil

	cpu0 := CPUSeconds()
	rep.LoadAvgStart = LoadAverage()
	var models fs.FS = sqlmodels.Models
	if o.MatchingOnly {
		if models, err = matchingOnly(models); err != nil {
			return nil, err
		}
	}
	res, err := cycle.Run(ctx, cycle.Config{Store: store, Pipeline: o.Pipeline, Models: models,
		Sources: sources, Truth: truth, DryRun: true, WorkDir: tmp, Logger: log,
		Engine: transform.EngineConfig{Path: o.DBPath, MemoryLimit: o.MemoryLimit, Threads: o.Threads, TempDir: filepath.Join(tmp, "spill")}})
	rep.PeakRSSRun = PeakRSS()
	rep.CPUSec = CPUSeconds() - cpu0
	rep.LoadAvgEnd = LoadAverage()
	if res == nil {
		return rep, err
	}
	// a failed run still reports the models it finished
	runErr := err
	for _, s := range res.Steps {
		switch s.Name {
		case "extract":
			rep.ExtractSec = s.Duration.Seconds()
		case "transform":
			rep.TransformSec = s.Duration.Seconds()
		}
	}
	rows := map[string]int64{}
	secs := map[string]float64{}
	for _, m := range res.Models {
		rep.Models = append(rep.Models, Model{Model: m.Model, Rows: m.Rows, Seconds: m.Duration.Seconds(), BuildSeconds: m.Build.Seconds(), CPUSeconds: m.CPU.Seconds()})
		rows[m.Model], secs[m.Model] = m.Rows, m.Duration.Seconds()
	}
	q := map[string]quality.Scores{}
	for _, s := range res.Quality {
		q[s.Entity] = s
	}
	for _, ent := range []string{"person", "company", "deal"} {
		e := Entity{Entity: ent, Records: res.Counts.Records[ent], Golden: res.Counts.Golden[ent],
			CandidatePairs: rows[ent+"_candidates"], MatchingModelList: strings.Join(matching[ent], ",")}
		if e.Records > 0 {
			e.PairsPerRecord = float64(e.CandidatePairs) / float64(e.Records)
		}
		for _, m := range matching[ent] {
			e.MatchingSeconds += secs[m]
		}
		rep.MatchingSec += e.MatchingSeconds
		if s, ok := q[ent]; ok {
			e.Precision, e.Recall, e.F1, e.TruePairs, e.PredictedPairs = s.Precision, s.Recall, s.F1, s.TruePairs, s.PredictedPairs
		}
		rep.Entities = append(rep.Entities, e)
	}
	rep.ReviewItems, rep.MatchedPairs = res.Counts.ReviewItems, res.Counts.MatchedPairs
	return rep, runErr
}

// Print writes the report as text.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "people per system %d (seed %d), %d CPUs %s, DuckDB memory_limit %q threads %d\n",
		r.People, r.Seed, r.CPUs, r.Arch, r.MemoryLimit, r.Threads)
	fmt.Fprintf(w, "generate %.1fs  extract %.1fs  transform %.1fs  (matching models %.1fs)\n",
		r.GenerateSec, r.ExtractSec, r.TransformSec, r.MatchingSec)
	fmt.Fprintf(w, "peak RSS: generate %s, extract+transform %s\n", gib(r.PeakRSSGen), gib(r.PeakRSSRun))
	fmt.Fprintf(w, "CPU (user+system) extract+transform %.1fs; load average %.2f at start, %.2f at end\n", r.CPUSec, r.LoadAvgStart, r.LoadAvgEnd)
	fmt.Fprintf(w, "\n%-8s %10s %12s %9s %10s %9s %9s %9s %8s\n", "entity", "records", "candidates", "per rec", "golden", "P", "R", "F1", "match s")
	for _, e := range r.Entities {
		fmt.Fprintf(w, "%-8s %10d %12d %9.2f %10d %9.4f %9.4f %9.4f %8.1f\n", e.Entity, e.Records, e.CandidatePairs,
			e.PairsPerRecord, e.Golden, e.Precision, e.Recall, e.F1, e.MatchingSeconds)
	}
	fmt.Fprintf(w, "matched pairs %d, review items %d\n\n", r.MatchedPairs, r.ReviewItems)
	fmt.Fprintf(w, "%-24s %12s %9s\n", "model", "rows", "seconds")
	for _, m := range r.Models {
		fmt.Fprintf(w, "%-24s %12d %9.2f\n", m.Model, m.Rows, m.Seconds)
	}
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func gib(b int64) string { return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30)) }

// PeakRSS is the process's peak resident set (VmHWM), in bytes; 0 where
// /proc is missing.
func PeakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// CPUSeconds is the process's user plus system CPU time so far; 0 where
// getrusage fails.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// LoadAverage is the 1-minute load average from /proc/loadavg; 0 where it
// cannot be read.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// ResetPeakRSS resets VmHWM to the current RSS (Linux: "5" to clear_refs),
// so a phase's peak can be read on its own.
func ResetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
