package load

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Concurrent is a Target that takes several Apply and ApplyBulk calls at
// once: its client is safe for concurrent use and keeps to the API's rate
// limit itself. A Target without it gets one call at a time.
type Concurrent interface {
	// Concurrency is the most write calls in flight at once.
	Concurrency() int
}

// concurrency is how many write calls t takes at once.
func concurrency(t Target) int {
	if c, ok := t.(Concurrent); ok {
		return max(1, c.Concurrency())
	}
	return 1
}

// eachTarget runs fn for every target: side by side when every target takes
// concurrent calls (the CRMs are independent), else one after the other, so
// a plain target sees its calls, and Progress its counts, in order.
func eachTarget(targets []Target, fn func(i int, t Target)) {
	side := len(targets) > 1
	for _, t := range targets {
		side = side && concurrency(t) > 1
	}
	if !side {
		for i, t := range targets {
			fn(i, t)
		}
		return
	}
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { fn(i, t) })
	}
	wg.Wait()
}

// serialProgress makes a Progress callback safe to call from several
// goroutines.
func serialProgress(fn func(system string, done, total int)) func(system string, done, total int) {
	if fn == nil {
		return nil
	}
	var mu sync.Mutex
	return func(system string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		fn(system, done, total)
	}
}

// call is one write call: a batch, or a whole group in one bulk job.
type call struct {
	changes []Change
	bulk    bool
	errs    []RecordError
	sent    bool // the CRM answered; changes and errs count
}

// bulkJobMax is the most records one bulk job takes. Bulk API 2.0 takes
// one upload per job of at most 100 MB of CSV (150 MB once base64-encoded);
// 100,000 rows stay far below it, and each job is a checkpoint of the
// ledger and can run beside the others.
const bulkJobMax = 100_000

// plan cuts one phase's changes of a target into write calls: per object
// and kind, bulk jobs of up to bulkJobMax above the threshold, else batches
// of BatchSize.
// It counts the least calls the changes need in res.MinBatches.
func plan(t Target, todo []Change, opts Options, res *Result) []*call {
	sort.SliceStable(todo, func(a, b int) bool {
		if todo[a].Object != todo[b].Object {
			return todo[a].Object < todo[b].Object
		}
		return kindOf(todo[a]) < kindOf(todo[b])
	})
	_, canBulk := t.(BulkTarget)
	size := t.BatchSize()
	var calls []*call
	for i := 0; i < len(todo); {
		j := i + 1
		for j < len(todo) && todo[j].Object == todo[i].Object && kindOf(todo[j]) == kindOf(todo[i]) {
			j++
		}
		group := todo[i:j]
		if canBulk && opts.BulkThreshold > 0 && len(group) > opts.BulkThreshold && kindOf(group[0]) != KindMerge {
			res.MinBatches += (len(group) + bulkJobMax - 1) / bulkJobMax
			for k := 0; k < len(group); k += bulkJobMax {
				calls = append(calls, &call{changes: group[k:min(k+bulkJobMax, len(group))], bulk: true})
			}
		} else {
			res.MinBatches += (len(group) + size - 1) / size
			for k := 0; k < len(group); k += size {
				calls = append(calls, &call{changes: group[k:min(k+size, len(group))]})
			}
		}
		i = j
	}
	return calls
}

// send makes one write call.
func send(ctx context.Context, t Target, c *call) ([]RecordError, error) {
	obj := c.changes[0].Object
	if c.bulk {
		errs, err := t.(BulkTarget).ApplyBulk(ctx, obj, c.changes)
		if err != nil {
			return nil, fmt.Errorf("load %s %s: bulk job of %d: %w", t.System(), obj, len(c.changes), err)
		}
		return errs, nil
	}
	errs, err := t.Apply(ctx, obj, c.changes)
	if err != nil {
		return nil, fmt.Errorf("load %s %s: batch of %d from record %s: %w", t.System(), obj, len(c.changes), c.changes[0].RecordID, err)
	}
	return errs, nil
}

// apply sends one phase's changes of one target, up to width calls at once.
// The first call that fails as a whole stops sending (calls in flight
// finish and count) and is returned. Results are counted in plan order
// whatever order the answers came in, so a run's report is repeatable.
func apply(ctx context.Context, t Target, todo []Change, opts Options, width int, res *Result, done *int, total int) error {
	calls := plan(t, todo, opts, res)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	slots := make(chan struct{}, width)
	for _, c := range calls {
		slots <- struct{}{}
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			errs, err := send(ctx, t, c)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			c.errs, c.sent = errs, true
			if !c.bulk {
				*done += len(c.changes)
				if opts.Progress != nil {
					opts.Progress(t.System(), *done, total)
				}
			}
		})
	}
	wg.Wait()
	for _, c := range calls {
		if !c.sent {
			continue
		}
		res.Batches++
		if c.bulk {
			res.Bulk += len(c.changes)
		}
		count(res, c.changes, c.errs)
	}
	return first
}
