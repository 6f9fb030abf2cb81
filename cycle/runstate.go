package cycle

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"sync"
	"time"

	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
)

// Keys of run state in the lake.
const (
	// LockKey is the lease that keeps two runs off one lake.
	LockKey = "runs/_lock.json"
	// OpenKey names the run that has started and not finished; a later run
	// resumes it.
	OpenKey = "runs/_open.json"
)

// ErrLocked: another run holds the lake (exit code 4 in crmhub run).
var ErrLocked = lake.ErrLocked

// Step statuses.
const (
	StepRunning   = "running"
	StepSucceeded = "succeeded"
	StepFailed    = "failed"
	StepSkipped   = "skipped" // done by an earlier attempt of the same run
)

// APIStats are one system's cumulative API counters.
type APIStats struct {
	Calls   int64         `json:"calls"`
	Errors  int64         `json:"errors"`
	Retries int64         `json:"retries"`
	Latency time.Duration `json:"latency_ns"`
}

// StepRecord is one step of one attempt of a run.
type StepRecord struct {
	Name       string              `json:"name"`
	Attempt    int                 `json:"attempt"`
	Status     string              `json:"status"`
	StartedAt  time.Time           `json:"started_at"`
	FinishedAt time.Time           `json:"finished_at,omitzero"`
	Records    int64               `json:"records"`
	Errors     int64               `json:"errors"`
	Error      string              `json:"error,omitempty"`
	API        map[string]APIStats `json:"api,omitempty"`
	// Extract keeps the extract results, so a resumed run reports them.
	Extract []extract.Result `json:"extract,omitempty"`
}

// RunState is runs/RUN/state.json: the run's steps over its attempts.
type RunState struct {
	RunID     string       `json:"run_id"`
	Pipeline  string       `json:"pipeline"`
	StartedAt time.Time    `json:"started_at"`
	Attempt   int          `json:"attempt"`
	Status    string       `json:"status"`
	Steps     []StepRecord `json:"steps"`
}

// Done reports whether step succeeded in an earlier attempt.
func (s *RunState) Done(step string) (StepRecord, bool) {
	for i := len(s.Steps) - 1; i >= 0; i-- {
		if r := s.Steps[i]; r.Name == step && (r.Status == StepSucceeded || r.Status == StepSkipped) {
			return r, true
		}
	}
	return StepRecord{}, false
}

func stateKey(runID string) string { return path.Join("runs", runID, "state.json") }

// ReadRunState reads a run's state.
func ReadRunState(ctx context.Context, store lake.Store, runID string) (*RunState, error) {
	b, err := lake.ReadAll(ctx, store, stateKey(runID))
	if err != nil {
		return nil, err
	}
	var st RunState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", stateKey(runID), err)
	}
	return &st, nil
}

// Session is a run holding the lake's lock: its id, state and lease.
type Session struct {
	RunID   string
	Resumed bool
	State   *RunState
	store   lake.Store
	lease   *lake.Lease
	mu      sync.Mutex
	stop    context.CancelFunc
	done    chan struct{}
	lost    error
}

// SessionOptions configure Start.
type SessionOptions struct {
	Pipeline string
	// LockTTL is the lease duration (renewed every third of it).
	LockTTL time.Duration
	// Resume continues the unfinished run, if any, instead of a new one.
	Resume bool
	Now    func() time.Time
	Logger *slog.Logger
	// OnLost is called when the lease is lost mid-run (the caller cancels
	// the run); nil logs only.
	OnLost func(error)
}

type openRun struct {
	RunID string `json:"run_id"`
}

// Start takes the lake's lock (ErrLocked when another run holds it) and
// picks the run: the unfinished one when opts.Resume, else a new one.
func Start(ctx context.Context, store lake.Store, opts SessionOptions) (*Session, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockTTL <= 0 {
		opts.LockTTL = 10 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	host, _ := os.Hostname()
	var owner [8]byte
	_, _ = rand.Read(owner[:])
	info := lake.LeaseInfo{Owner: hex.EncodeToString(owner[:]), Host: host, PID: os.Getpid()}
	lease, err := lake.AcquireLease(ctx, store, LockKey, info, opts.LockTTL, opts.Now)
	if err != nil {
		return nil, err
	}
	s := &Session{store: store, lease: lease, done: make(chan struct{})}
	fail := func(err error) (*Session, error) {
		_ = lease.Release(context.WithoutCancel(ctx))
		return nil, err
	}
	var open openRun
	b, err := lake.ReadAll(ctx, store, OpenKey)
	switch {
	case errors.Is(err, lake.ErrNotFound):
	case err != nil:
		return fail(err)
	default:
		if err := json.Unmarshal(b, &open); err != nil {
			return fail(fmt.Errorf("%s: %w", OpenKey, err))
		}
	}
	if open.RunID != "" && opts.Resume {
		if err := lake.Segment(open.RunID); err != nil {
			return fail(fmt.Errorf("%s names no run to resume (start a new one with --fresh): %w", OpenKey, err))
		}
		st, err := ReadRunState(ctx, store, open.RunID)
		if err != nil && !errors.Is(err, lake.ErrNotFound) {
			return fail(err)
		}
		if st != nil {
			st.Attempt++
			st.Status = StepRunning
			s.RunID, s.State, s.Resumed = st.RunID, st, true
			log.Info("resuming run", "run_id", st.RunID, "attempt", st.Attempt)
		}
	} else if open.RunID != "" {
		log.Warn("abandoning unfinished run; it will not be resumed", "abandoned_run_id", open.RunID)
	}
	if s.State == nil {
		now := opts.Now().UTC()
		s.RunID = NewRunID(now)
		s.State = &RunState{RunID: s.RunID, Pipeline: opts.Pipeline, StartedAt: now, Attempt: 1, Status: StepRunning}
		ob, _ := json.Marshal(openRun{RunID: s.RunID})
		if err := store.Put(ctx, OpenKey, bytes.NewReader(ob)); err != nil {
			return fail(err)
		}
	}
	if err := s.save(ctx); err != nil {
		return fail(err)
	}
	// keep the lease alive for the session
	kctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	go func() {
		defer close(s.done)
		lease.KeepAlive(kctx, func(err error) {
			s.mu.Lock()
			s.lost = err
			s.mu.Unlock()
			log.Error("lake lock lost", "run_id", s.RunID, "err", err)
			if opts.OnLost != nil {
				opts.OnLost(err)
			}
		})
	}()
	return s, nil
}

// Lost returns the error that lost the lease, or nil.
func (s *Session) Lost() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost
}

// save writes runs/RUN/state.json.
func (s *Session) save(ctx context.Context) error {
	s.mu.Lock()
	b, err := json.MarshalIndent(s.State, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.store.Put(ctx, stateKey(s.RunID), bytes.NewReader(b))
}

// Record adds or replaces this attempt's record of a step and saves the
// state.
func (s *Session) Record(ctx context.Context, r StepRecord) error {
	s.mu.Lock()
	r.Attempt = s.State.Attempt
	replaced := false
	for i := range s.State.Steps {
		if s.State.Steps[i].Name == r.Name && s.State.Steps[i].Attempt == r.Attempt {
			s.State.Steps[i], replaced = r, true
		}
	}
	if !replaced {
		s.State.Steps = append(s.State.Steps, r)
	}
	s.mu.Unlock()
	return s.save(ctx)
}

// Steps returns a copy of the step records.
func (s *Session) Steps() []StepRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]StepRecord(nil), s.State.Steps...)
}

// Finish records the run's outcome: a succeeded run is no longer open; a
// failed one stays open for the next run to resume.
func (s *Session) Finish(ctx context.Context, status string) error {
	s.mu.Lock()
	s.State.Status = status
	s.mu.Unlock()
	if err := s.save(ctx); err != nil {
		return err
	}
	if status == StepSucceeded {
		return s.store.Delete(ctx, OpenKey)
	}
	return nil
}

// Close stops renewing and releases the lock.
func (s *Session) Close(ctx context.Context) error {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	return s.lease.Release(context.WithoutCancel(ctx))
}

// apiDelta is after minus before, per system.
func apiDelta(before, after map[string]APIStats) map[string]APIStats {
	out := map[string]APIStats{}
	for sys, a := range after {
		b := before[sys]
		d := APIStats{Calls: a.Calls - b.Calls, Errors: a.Errors - b.Errors, Retries: a.Retries - b.Retries, Latency: a.Latency - b.Latency}
		if d.Calls != 0 || d.Errors != 0 {
			out[sys] = d
		}
	}
	return out
}

// pendingSources drops the sources whose extract this run already
// committed (a resumed run's extract step) and returns their results from
// the manifests: extracting them again would replace the committed file.
func pendingSources(ctx context.Context, store lake.Store, runID string, sources []extract.Source) ([]extract.Source, []extract.Result, error) {
	var todo []extract.Source
	var done []extract.Result
	for _, src := range sources {
		ms, err := extract.Manifests(ctx, store, src.System(), src.Object())
		if err != nil {
			return nil, nil, err
		}
		var mine *extract.Manifest
		for i := range ms {
			if ms[i].RunID == runID {
				mine = &ms[i]
			}
		}
		if mine == nil {
			todo = append(todo, src)
			continue
		}
		done = append(done, extract.Result{System: mine.System, Object: mine.Object, Mode: mine.Mode, Records: mine.Records,
			Since: mine.Since, Cursor: mine.Cursor, Duration: mine.FinishedAt.Sub(mine.StartedAt)})
	}
	return todo, done, nil
}
