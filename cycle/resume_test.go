package cycle_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
)

// recordingTarget is a real target that remembers what it sent and fails
// the failAt-th batch (0: never), as a network cut mid-load would.
type recordingTarget struct {
	load.Target
	mu     sync.Mutex
	calls  int
	failAt int
	sent   []string
}

func (r *recordingTarget) Apply(ctx context.Context, object string, batch []load.Change) ([]load.RecordError, error) {
	r.mu.Lock()
	r.calls++
	fail := r.calls == r.failAt
	r.mu.Unlock()
	if fail {
		return nil, errors.New("connection reset (injected)")
	}
	errs, err := r.Target.Apply(ctx, object, batch)
	if err == nil {
		r.mu.Lock()
		for _, c := range batch {
			r.sent = append(r.sent, c.Object+"/"+c.RecordID)
		}
		r.mu.Unlock()
	}
	return errs, err
}

func TestFailedRunResumesFromFailedStep(t *testing.T) {
	ctx := context.Background()
	f := newSimFixture(t, 300, nil)
	hs, sf, store := f.hs, f.sf, f.store
	p := pipelines.Default()
	p.Load.HubSpotBatchSize = 10
	run := func(sess *cycle.Session, hsT, sfT *recordingTarget) (*cycle.Report, error) {
		cfg := f.config(t, p, 10)
		cfg.Targets, cfg.Approve, cfg.Session = []load.Target{hsT, sfT}, "test", sess
		return cycle.Run(ctx, cfg)
	}

	// attempt 1: the third HubSpot batch fails
	sess1, err := cycle.Start(ctx, store, cycle.SessionOptions{Pipeline: p.Name, Resume: true, LockTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	hs1 := &recordingTarget{Target: &load.HubSpotTarget{Client: hs, Batch: 10}, failAt: 3}
	sf1 := &recordingTarget{Target: &load.SalesforceTarget{Client: sf, Batch: 200}}
	if _, err := run(sess1, hs1, sf1); err == nil {
		t.Fatal("attempt 1 should fail in the load")
	}
	// the lock keeps a second run off the lake meanwhile
	if _, err := cycle.Start(ctx, store, cycle.SessionOptions{Resume: true}); !errors.Is(err, lake.ErrLocked) {
		t.Fatalf("second Start while the first holds the lake: %v, want ErrLocked", err)
	}
	if err := sess1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := cycle.ReadRunState(ctx, store, sess1.RunID)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, s := range st.Steps {
		status[s.Name] = s.Status
	}
	if status["extract"] != cycle.StepSucceeded || status["load"] != cycle.StepFailed || status["publish"] != "" {
		t.Fatalf("state after attempt 1: %v", status)
	}
	if len(hs1.sent) == 0 || len(hs1.sent) > 20 {
		t.Fatalf("attempt 1 sent %d HubSpot changes, want two batches of at most 10", len(hs1.sent))
	}

	// attempt 2 resumes: same run id, extract skipped, nothing sent twice
	sess2, err := cycle.Start(ctx, store, cycle.SessionOptions{Pipeline: p.Name, Resume: true, LockTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if sess2.RunID != sess1.RunID || !sess2.Resumed || sess2.State.Attempt != 2 {
		t.Fatalf("resume picked run %s attempt %d (resumed %v), want %s attempt 2", sess2.RunID, sess2.State.Attempt, sess2.Resumed, sess1.RunID)
	}
	hs2 := &recordingTarget{Target: &load.HubSpotTarget{Client: hs, Batch: 10}}
	sf2 := &recordingTarget{Target: &load.SalesforceTarget{Client: sf, Batch: 200}}
	rep, err := run(sess2, hs2, sf2)
	if err != nil {
		t.Fatalf("attempt 2: %v", err)
	}
	sess2.Close(ctx)
	if len(rep.Resumed) != 1 || rep.Resumed[0] != "extract" || len(rep.Extract) == 0 {
		t.Errorf("attempt 2 resumed %v with %d extract results; want extract skipped and reported", rep.Resumed, len(rep.Extract))
	}
	if want := int64(len(hs1.sent) + len(sf1.sent)); rep.LoadSkipped != want {
		t.Errorf("attempt 2 skipped %d changes, want the %d sent before", rep.LoadSkipped, want)
	}
	if len(hs2.sent) == 0 {
		t.Error("attempt 2 sent nothing to HubSpot")
	}
	seen := map[string]bool{}
	for _, k := range append(append(append(append([]string{}, hs1.sent...), hs2.sent...), sf1.sent...), sf2.sent...) {
		if seen[k] {
			t.Errorf("%s sent twice", k)
		}
		seen[k] = true
	}
	var pushed int
	for _, l := range rep.Load {
		if l.System == "hubspot" {
			pushed = l.Records + len(l.Errors)
		}
	}
	if pushed != len(hs1.sent)+len(hs2.sent) {
		t.Errorf("report counts %d HubSpot records, attempts sent %d+%d", pushed, len(hs1.sent), len(hs2.sent))
	}
	if rep.Published == nil || rep.Published.Tables[cycle.StepsTable] == "" {
		t.Fatal("attempt 2 did not publish sync_run_steps")
	}
	if _, err := lake.ReadAll(ctx, store, cycle.OpenKey); !errors.Is(err, lake.ErrNotFound) {
		t.Errorf("the finished run is still open: %v", err)
	}
	attempts := map[int]int{}
	for _, s := range rep.StepRecords {
		attempts[s.Attempt]++
		if s.Name == "load" && s.Attempt == 2 && (s.API["hubspot"].Calls == 0 && s.Records == 0) {
			t.Errorf("load step record lacks counts: %+v", s)
		}
	}
	if attempts[1] < 2 || attempts[2] < 3 {
		t.Errorf("step records per attempt %v", attempts)
	}

	// the next run is a new one
	sess3, err := cycle.Start(ctx, store, cycle.SessionOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sess3.Close(ctx)
	if sess3.Resumed || sess3.RunID == sess1.RunID {
		t.Errorf("run after a finished one resumed %s", sess3.RunID)
	}
}
