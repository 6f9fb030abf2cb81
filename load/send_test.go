package load

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// parallel is a Target that takes concurrent calls: its first calls wait
// until width of them are in flight (so a load that sends one at a time is
// caught), it records the batches it got and the most calls in flight, and
// fails the batch that starts with failOn as a whole.
type parallel struct {
	system   string
	width    int
	failOn   string
	mu       sync.Mutex
	batches  []string
	inFlight atomic.Int32
	most     atomic.Int32
	wide     chan struct{} // closed once width calls were in flight
	once     sync.Once
	narrow   atomic.Bool // a call gave up waiting for the others
}

func newParallel(system string, width int, failOn string) *parallel {
	return &parallel{system: system, width: width, failOn: failOn, wide: make(chan struct{})}
}

func (p *parallel) System() string                                     { return p.system }
func (p *parallel) BatchSize() int                                     { return 2 }
func (p *parallel) Concurrency() int                                   { return p.width }
func (p *parallel) Prepare(context.Context, map[string][]string) error { return nil }
func (p *parallel) Apply(ctx context.Context, object string, batch []Change) ([]RecordError, error) {
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		m := p.most.Load()
		if n <= m || p.most.CompareAndSwap(m, n) {
			break
		}
	}
	if int(n) >= p.width {
		p.once.Do(func() { close(p.wide) })
	}
	if batch[0].Kind == KindCreate { // creates are sent one at a time
		p.record(batch)
		return nil, nil
	}
	select {
	case <-p.wide:
	case <-time.After(10 * time.Second): // the load never had width calls in flight
		p.narrow.Store(true)
	}
	// a call takes a millisecond, as a network call blocks: with none,
	// Go's scheduler can run the other slot's goroutines for a whole time
	// slice before the failing one records its error, and every batch goes
	p.record(batch)
	time.Sleep(time.Millisecond)
	if batch[0].RecordID == p.failOn {
		return nil, errors.New("503 service unavailable")
	}
	return []RecordError{{System: p.system, Object: object, RecordID: batch[0].RecordID, Code: "X", Message: "refused"}}, nil
}

func (p *parallel) record(batch []Change) {
	ids := make([]string, len(batch))
	for i, c := range batch {
		ids[i] = c.RecordID
	}
	p.mu.Lock()
	p.batches = append(p.batches, strings.Join(ids, ","))
	p.mu.Unlock()
}

// TestRunCreatesInOrder: creates go one batch at a time even to a
// Concurrent target, so the CRM hands out ids in the same order every run.
func TestRunCreatesInOrder(t *testing.T) {
	in := changes("hubspot", "contacts", 20)
	for i := range in {
		in[i].Kind = KindCreate
	}
	hs := newParallel("hubspot", 4, "")
	if _, err := Run(context.Background(), in, Options{Targets: []Target{hs}, Logger: slog.New(slog.DiscardHandler),
		Guard: Guard{MaxShare: 1, MaxCount: 100}, Totals: map[string]int64{"hubspot": 20}}); err != nil {
		t.Fatal(err)
	}
	if m := hs.most.Load(); m != 1 || len(hs.batches) != 10 || hs.batches[0] != "contacts-000,contacts-001" || hs.batches[9] != "contacts-018,contacts-019" {
		t.Errorf("creates: %d in flight at most, batches %q; want one at a time, in order", m, hs.batches)
	}
}

// TestRunConcurrent: a Concurrent target gets up to its width of batches at
// once, every record once, and a result counted in batch order.
func TestRunConcurrent(t *testing.T) {
	in := append(changes("hubspot", "contacts", 40), changes("salesforce", "Contact", 40)...)
	hs := newParallel("hubspot", 4, "")
	sf := newParallel("salesforce", 3, "")
	var mu sync.Mutex
	last := map[string]int{}
	res, err := Run(context.Background(), in, Options{Targets: []Target{hs, sf}, Logger: slog.New(slog.DiscardHandler),
		Guard: Guard{MaxShare: 1, MaxCount: 100}, Totals: map[string]int64{"hubspot": 40, "salesforce": 40},
		Progress: func(system string, done, total int) {
			mu.Lock()
			defer mu.Unlock()
			if done <= last[system] || total != 40 {
				t.Errorf("progress %s %d/%d after %d", system, done, total, last[system])
			}
			last[system] = done
		}})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []*parallel{hs, sf} {
		var ids []string
		for _, b := range p.batches {
			ids = append(ids, strings.Split(b, ",")...)
		}
		slices.Sort(ids)
		if len(ids) != 40 || len(slices.Compact(ids)) != 40 {
			t.Errorf("%s got records %v, want each of 40 once", p.system, ids)
		}
		if m := p.most.Load(); p.narrow.Load() || int(m) != p.width {
			t.Errorf("%s had at most %d calls in flight, want %d", p.system, m, p.width)
		}
		r := res[i]
		if r.Batches != 20 || r.Records != 20 || len(r.Errors) != 20 || last[p.system] != 40 {
			t.Errorf("%s result = %+v, progress %d", p.system, r, last[p.system])
		}
		if !slices.IsSortedFunc(r.Errors, func(a, b RecordError) int { return strings.Compare(a.RecordID, b.RecordID) }) {
			t.Errorf("%s errors not in batch order: %+v", p.system, r.Errors)
		}
	}
}

// TestRunConcurrentStops: a batch failing as a whole stops sending that
// system's later batches; the batches answered still count.
// How many start after the failure depends on scheduling: the calls in
// flight finish, and until the failing call's goroutine records its error
// the other slot goes on (CI once saw 12 batches go; with calls that took
// no time, every one of them could).
func TestRunConcurrentStops(t *testing.T) {
	hs := newParallel("hubspot", 2, "contacts-004")
	res, err := Run(context.Background(), changes("hubspot", "contacts", 400), Options{Targets: []Target{hs},
		Logger: slog.New(slog.DiscardHandler), Guard: Guard{MaxShare: 1, MaxCount: 1000}, Totals: map[string]int64{"hubspot": 400}})
	if err == nil || !strings.Contains(err.Error(), "batch of 2 from record contacts-004: 503") {
		t.Fatalf("error = %v", err)
	}
	if n := len(hs.batches); n < 3 || n > 10 {
		t.Errorf("sent %d of 200 batches after a failure at the third, want 3 to 10 (those in flight finish)", n)
	}
	if res[0].Batches != len(hs.batches)-1 || res[0].Records != res[0].Batches {
		t.Errorf("result = %+v after %d batches", res[0], len(hs.batches))
	}
}

// bulky is a parallel target that also takes bulk jobs.
type bulky struct{ *parallel }

func (b bulky) ApplyBulk(ctx context.Context, object string, changes []Change) ([]RecordError, error) {
	return nil, nil
}

// TestPlanSplitsBulkJobs: a group above the bulk threshold goes in jobs of
// at most bulkJobMax records (one upload per job, at most 100 MB), small
// groups in batches.
func TestPlanSplitsBulkJobs(t *testing.T) {
	todo := append(changes("salesforce", "Contact", 2*bulkJobMax+1), changes("salesforce", "Lead", 3)...)
	var res Result
	calls := plan(bulky{newParallel("salesforce", 2, "")}, todo, Options{BulkThreshold: 10}, &res)
	var got []int
	for _, c := range calls {
		n := len(c.changes)
		if !c.bulk {
			n = -n
		}
		got = append(got, n)
	}
	if want := []int{bulkJobMax, bulkJobMax, 1, -2, -1}; !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v (bulk positive, batches negative)", got, want)
	}
	if res.MinBatches != 5 {
		t.Errorf("MinBatches = %d, want 5", res.MinBatches)
	}
}
