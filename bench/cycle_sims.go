package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/seed"
)

// The credentials the benchmark's simulators accept (loopback only).
const (
	simToken        = "bench-token"
	simClientID     = "bench-client"
	simClientSecret = "bench-secret"
)

// SimHostOptions size the data a simulator host generates.
type SimHostOptions struct {
	People    int    `json:"people"`
	Companies int    `json:"companies"`
	Deals     int    `json:"deals"`
	Seed      uint64 `json:"seed"`
}

// SimFigures are the simulator host's own figures.
type SimFigures struct {
	GenerateSec float64 `json:"generate_seconds"`
	LoadSec     float64 `json:"load_seconds"`
	MutateSec   float64 `json:"mutate_seconds,omitempty"`
	// PeakRSS is the simulators' peak resident set: the host process's
	// VmHWM when they run in a child process, else 0 (they share the
	// benchmark's process and its figure).
	PeakRSS int64 `json:"peak_rss_bytes"`
	// Records per system and object as loaded.
	Records map[string]map[string]int `json:"records"`
}

// simHost runs both simulators on loopback and applies a day of edits
// between runs by snapshotting them, running gen.Mutate and reloading
// them on the same addresses with their clock moved a day ahead.
type simHost struct {
	opts   SimHostOptions
	log    *slog.Logger
	offset atomic.Int64 // clock offset in nanoseconds

	mu    sync.Mutex
	sims  *demo.Sims
	truth []seed.TruthRow
	fig   SimFigures
}

func (h *simHost) now() time.Time { return time.Now().Add(time.Duration(h.offset.Load())) }

func (h *simHost) config(hsAddr, sfAddr string) demo.SimConfig {
	return demo.SimConfig{HubSpotToken: simToken, SalesforceClientID: simClientID, SalesforceClientSecret: simClientSecret,
		HubSpotAddr: hsAddr, SalesforceAddr: sfAddr, Logger: h.log, Now: h.now}
}

// startSimHost generates the data and starts the simulators.
func startSimHost(o SimHostOptions, log *slog.Logger) (*simHost, error) {
	h := &simHost{opts: o, log: log}
	start := time.Now()
	d := gen.Generate(gen.Options{People: o.People, Companies: o.Companies, Deals: o.Deals, Seed: o.Seed, Now: time.Now()})
	h.fig.GenerateSec = time.Since(start).Seconds()
	h.fig.Records = counts(d)
	h.truth = d.Truth
	start = time.Now()
	sims, err := demo.StartSims(d, h.config("", ""))
	if err != nil {
		return nil, err
	}
	h.fig.LoadSec = time.Since(start).Seconds()
	h.sims = sims
	// The generated dataset is garbage now (the simulators hold their own
	// copy): return it to the system before the first run, as mutate does
	// after each day of edits. Without this the host kept the heap goal of
	// generation, 4.8 GB resident at a million people where 1.9 GB is live,
	// beside crmhub's first run.
	d = nil
	runtime.GC()
	debug.FreeOSMemory()
	return h, nil
}

func counts(d *seed.Dataset) map[string]map[string]int {
	out := map[string]map[string]int{}
	for sys, objs := range d.Objects {
		out[sys] = map[string]int{}
		for obj, recs := range objs {
			out[sys][obj] = len(recs)
		}
	}
	return out
}

func (h *simHost) urls() (string, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sims.HubSpotURL, h.sims.SalesforceURL
}

// mutate applies day's edits (rate of each object's live records) to the
// running simulators, whose clock then reads day days ahead: it runs
// gen.Mutate on a snapshot and loads the records it touched back (a
// reload from scratch would lose what the runs changed in the schemas,
// such as unique and External ID fields).
func (h *simHost) mutate(day int, rate float64) (gen.Stats, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	start := time.Now()
	d := h.sims.Snapshot()
	d.Truth = h.truth
	h.offset.Store(int64(time.Duration(day) * 24 * time.Hour))
	now := h.now().UTC().Truncate(time.Millisecond)
	st := gen.Mutate(d, gen.MutateOptions{Day: day, Seed: h.opts.Seed, Now: now, ChangeRate: rate})
	h.truth = d.Truth
	since := now.Add(-24 * time.Hour)
	for _, sys := range []string{seed.HubSpot, seed.Salesforce} {
		for obj, recs := range d.Objects[sys] {
			var changed []seed.Record
			for _, r := range recs {
				if r.UpdatedAt.After(since) {
					// the snapshot's modification properties are the old ones
					delete(r.Values, "lastmodifieddate")
					delete(r.Values, "hs_lastmodifieddate")
					delete(r.Values, "LastModifiedDate")
					delete(r.Values, "SystemModstamp")
					changed = append(changed, r)
				}
			}
			if len(changed) == 0 {
				continue
			}
			var err error
			if sys == seed.HubSpot {
				err = h.sims.HubSpot.Load(obj, changed)
			} else {
				err = h.sims.Salesforce.Load(obj, changed)
			}
			if err != nil {
				return st, fmt.Errorf("apply the day's edits to %s %s: %w", sys, obj, err)
			}
		}
	}
	h.fig.MutateSec = time.Since(start).Seconds()
	d = nil
	runtime.GC()
	debug.FreeOSMemory()
	return st, nil
}

func (h *simHost) figures() SimFigures {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fig
}

func (h *simHost) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sims != nil {
		h.sims.Close()
	}
}

// sims is what the benchmark needs from its simulators, in process or in
// a child process.
type sims interface {
	URLs() (hubspot, salesforce string)
	// PID is the simulators' process when it is not this one, else 0.
	PID() int
	Mutate(ctx context.Context, day int, rate float64) (gen.Stats, error)
	Figures(ctx context.Context) (SimFigures, error)
	Close()
}

// localSims are simulators in the benchmark's own process.
type localSims struct{ h *simHost }

func (l localSims) URLs() (string, string) { return l.h.urls() }
func (l localSims) PID() int               { return 0 }
func (l localSims) Mutate(_ context.Context, day int, rate float64) (gen.Stats, error) {
	return l.h.mutate(day, rate)
}
func (l localSims) Figures(context.Context) (SimFigures, error) { return l.h.figures(), nil }
func (l localSims) Close()                                      { l.h.close() }

// hello is the first line a child simulator host prints.
type hello struct {
	HubSpot    string `json:"hubspot"`
	Salesforce string `json:"salesforce"`
	Control    string `json:"control"`
}

// ServeSimHost is the child side: it generates the data, serves both
// simulators and a control endpoint (POST /mutate?day=&rate=, GET
// /figures) on loopback, prints their addresses as one JSON line on w and
// serves until ctx ends. `crmhub bench cycle --sim-host` runs it.
func ServeSimHost(ctx context.Context, o SimHostOptions, w io.Writer, log *slog.Logger) error {
	h, err := startSimHost(o, log)
	if err != nil {
		return err
	}
	defer h.close()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mutate", func(rw http.ResponseWriter, r *http.Request) {
		day, _ := strconv.Atoi(r.URL.Query().Get("day"))
		rate, _ := strconv.ParseFloat(r.URL.Query().Get("rate"), 64)
		st, err := h.mutate(day, rate)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(rw).Encode(st)
	})
	mux.HandleFunc("GET /figures", func(rw http.ResponseWriter, r *http.Request) {
		f := h.figures()
		f.PeakRSS = PeakRSS()
		_ = json.NewEncoder(rw).Encode(f)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	hs, sf := h.urls()
	b, _ := json.Marshal(hello{HubSpot: hs, Salesforce: sf, Control: "http://" + ln.Addr().String()})
	if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// childSims are simulators in a child process, so that the benchmark's
// peak memory is crmhub's own.
type childSims struct {
	cmd     *exec.Cmd
	hello   hello
	client  *http.Client
	stopped chan struct{}
}

// startChildSims runs `EXE bench cycle --sim-host ...` and waits for its
// addresses.
func startChildSims(ctx context.Context, exe string, o SimHostOptions) (*childSims, error) {
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(exe, "bench", "cycle", "--sim-host", "--people", strconv.Itoa(o.People),
		"--companies", strconv.Itoa(o.Companies), "--deals", strconv.Itoa(o.Deals), "--seed", strconv.FormatUint(o.Seed, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start simulator host: %w", err)
	}
	c := &childSims{cmd: cmd, client: &http.Client{Timeout: 30 * time.Minute}, stopped: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { _ = cmd.Wait(); close(c.stopped) }()
	select {
	case line, ok := <-lines:
		if !ok {
			c.Close()
			return nil, errors.New("simulator host exited before it was ready")
		}
		if err := json.Unmarshal([]byte(line), &c.hello); err != nil {
			c.Close()
			return nil, fmt.Errorf("simulator host said %q: %w", line, err)
		}
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
	return c, nil
}

func (c *childSims) URLs() (string, string) { return c.hello.HubSpot, c.hello.Salesforce }
func (c *childSims) PID() int               { return c.cmd.Process.Pid }

func (c *childSims) call(ctx context.Context, method, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.hello.Control+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("simulator host %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("simulator host %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (c *childSims) Mutate(ctx context.Context, day int, rate float64) (gen.Stats, error) {
	var st gen.Stats
	err := c.call(ctx, http.MethodPost, fmt.Sprintf("/mutate?day=%d&rate=%g", day, rate), &st)
	return st, err
}

func (c *childSims) Figures(ctx context.Context) (SimFigures, error) {
	var f SimFigures
	err := c.call(ctx, http.MethodGet, "/figures", &f)
	return f, err
}

func (c *childSims) Close() {
	if c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.stopped:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.stopped
	}
}

// rssWatch samples the process's resident set and keeps the peak per
// phase of the run (each step, and each model within the transform). With
// a simulator process it samples that one's too: the simulators share the
// machine, and what they hold is memory neither crmhub nor the page cache
// has. It is the run's cycle.Progress.
type rssWatch struct {
	simsPID   int
	mu        sync.Mutex
	phase     string
	peaks     map[string]int64
	simsPeaks map[string]int64
	order     []string
	done      chan struct{}
	wg        sync.WaitGroup
}

// watchRSS samples every interval; simsPID is the simulators' process
// (0: none apart from this one).
func watchRSS(every time.Duration, simsPID int) *rssWatch {
	w := &rssWatch{simsPID: simsPID, peaks: map[string]int64{}, simsPeaks: map[string]int64{}, done: make(chan struct{}), phase: "start"}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
				w.sample("")
			}
		}
	}()
	return w
}

// sample reads both resident sets into the current phase's peaks; with
// phase set, that phase begins first.
func (w *rssWatch) sample(phase string) {
	rss := processRSS("self")
	var sims int64
	if w.simsPID > 0 {
		sims = processRSS(strconv.Itoa(w.simsPID))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if phase != "" {
		w.phase = phase
	}
	if _, ok := w.peaks[w.phase]; !ok {
		w.order = append(w.order, w.phase)
	}
	w.peaks[w.phase] = max(w.peaks[w.phase], rss)
	w.simsPeaks[w.phase] = max(w.simsPeaks[w.phase], sims)
}

// set begins a phase with a sample of its own: a phase shorter than the
// ticker's interval (an extract at a few hundred records) is still in the
// report.
func (w *rssWatch) set(phase string) { w.sample(phase) }

func (w *rssWatch) Step(name string) { w.set(name) }
func (w *rssWatch) Count(label string, _, _ int64) {
	if strings.HasPrefix(label, "model ") {
		w.set("transform: " + label)
	}
}

// stop ends sampling and returns the peaks in order of first sight.
func (w *rssWatch) stop() []PhaseRSS {
	close(w.done)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]PhaseRSS, 0, len(w.order))
	for _, p := range w.order {
		out = append(out, PhaseRSS{Phase: p, PeakRSS: w.peaks[p], SimsRSS: w.simsPeaks[p]})
	}
	return out
}

// PhaseRSS is the highest resident set sampled during one phase: crmhub's,
// and the simulators' where they run in a process of their own.
type PhaseRSS struct {
	Phase   string `json:"phase"`
	PeakRSS int64  `json:"peak_rss_bytes"`
	SimsRSS int64  `json:"sims_rss_bytes,omitempty"`
}

// processRSS is a process's resident set (VmRSS) in bytes, pid "self" or a
// number; 0 where /proc cannot tell.
func processRSS(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
