package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"
)

// ErrGuard marks a load refused by a safeguard; the message names the counts.
var ErrGuard = errors.New("load refused by safeguard")

// Target writes changes to one CRM.
type Target interface {
	System() string
	// Prepare makes sure the fields crmhub writes exist (custom properties,
	// external-id fields), creating them through the API when missing.
	Prepare(ctx context.Context, fieldsByObject map[string][]string) error
	// Apply writes one batch of changes to one object and returns the
	// records that failed with the API's reason.
	Apply(ctx context.Context, object string, batch []Change) ([]RecordError, error)
	// BatchSize is the most changes Apply takes at once.
	BatchSize() int
}

// RecordError is one record the CRM refused.
type RecordError struct {
	System   string `json:"system"`
	Object   string `json:"object"`
	RecordID string `json:"record_id"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// Guard is the mass-update safeguard.
type Guard struct {
	MaxShare float64
	MaxCount int
	// Approved lets this run past the guard; Reason is recorded.
	Approved bool
	Reason   string
}

// Options controls a load.
type Options struct {
	Targets []Target
	Guard   Guard
	// Totals are the records per system, the base of the share limit.
	Totals map[string]int64
	Logger *slog.Logger
	// Progress, when set, is told after each batch.
	Progress func(system string, done, total int)
}

// Result reports what one system received.
type Result struct {
	System   string
	Records  int
	Fields   int
	Batches  int
	Errors   []RecordError
	Duration time.Duration
}

// Check applies the safeguard to the changes without writing anything.
func (g Guard) Check(changes []Change, totals map[string]int64) error {
	per := map[string]int{}
	for _, c := range changes {
		per[c.System]++
	}
	systems := make([]string, 0, len(per))
	for sys := range per {
		systems = append(systems, sys)
	}
	sort.Strings(systems) // one message order run after run
	var errs []error
	for _, sys := range systems {
		n := per[sys]
		limit := g.MaxCount
		if share := int(g.MaxShare * float64(totals[sys])); share < limit {
			limit = share
		}
		if n > limit && !g.Approved {
			errs = append(errs, fmt.Errorf("%w: %s: %d of %d records would be updated, above the limit of %d (max_update_share %.0f%%, max_updates %d); approve this run with --approve \"reason\"",
				ErrGuard, sys, n, totals[sys], limit, g.MaxShare*100, g.MaxCount))
		}
	}
	return errors.Join(errs...)
}

// Run checks the guard, then sends each system's changes in batches. A batch
// that fails as a whole stops that system (it is retried on the next run);
// records refused one by one are reported and the load goes on.
func Run(ctx context.Context, changes []Change, opts Options) ([]Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := opts.Guard.Check(changes, opts.Totals); err != nil {
		return nil, err
	}
	var results []Result
	for _, t := range opts.Targets {
		start := time.Now()
		res := Result{System: t.System()}
		var mine []Change
		fields := map[string]map[string]bool{}
		for _, c := range changes {
			if c.System != t.System() {
				continue
			}
			mine = append(mine, c)
			if fields[c.Object] == nil {
				fields[c.Object] = map[string]bool{}
			}
			for f := range c.Values {
				fields[c.Object][f] = true
			}
		}
		if len(mine) > 0 {
			byObject := map[string][]string{}
			for obj, fs := range fields {
				for f := range fs {
					byObject[obj] = append(byObject[obj], f)
				}
				sort.Strings(byObject[obj])
			}
			if err := t.Prepare(ctx, byObject); err != nil {
				return results, fmt.Errorf("load %s: prepare fields: %w", t.System(), err)
			}
		}
		size := t.BatchSize()
		for i := 0; i < len(mine); {
			j := i + 1
			for j < len(mine) && j-i < size && mine[j].Object == mine[i].Object {
				j++
			}
			batch := mine[i:j]
			errs, err := t.Apply(ctx, batch[0].Object, batch)
			if err != nil {
				res.Duration = time.Since(start)
				results = append(results, res)
				return results, fmt.Errorf("load %s %s: batch of %d from record %s: %w", t.System(), batch[0].Object, len(batch), batch[0].RecordID, err)
			}
			res.Batches++
			res.Records += len(batch) - len(errs)
			for _, c := range batch {
				res.Fields += len(c.Values)
			}
			res.Errors = append(res.Errors, errs...)
			if opts.Progress != nil {
				opts.Progress(t.System(), j, len(mine))
			}
			i = j
		}
		res.Duration = time.Since(start)
		log.Info("loaded", "system", t.System(), "records", res.Records, "batches", res.Batches, "errors", len(res.Errors), "duration", res.Duration)
		results = append(results, res)
	}
	return results, nil
}
