package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
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
	Field    string `json:"field,omitempty"` // set when one value was refused before the call
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// Guard is the mass-write safeguard: per system, updates, creates and
// archives (merges count as archives) are each held to MaxShare of the
// system's records or MaxCount, whichever is lower.
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
	// BulkThreshold: a target that can (BulkTarget) writes more records than
	// this of one object and kind in bulk jobs (of up to 100,000 records
	// each); 0 never.
	BulkThreshold int
	Logger        *slog.Logger
	// Progress, when set, is told after each batch.
	Progress func(system string, done, total int)
}

// Result reports what one system received.
type Result struct {
	System   string
	Records  int // records written (any kind)
	Fields   int
	Creates  int
	Archives int // archives and merges
	Batches  int // write calls (a bulk job counts as one)
	// MinBatches is the least number of write calls the changes needed:
	// per object and kind, ceil(records / batch size), with the bulk job
	// size for bulk jobs.
	MinBatches int
	Bulk       int // records sent through bulk jobs
	// Created maps each created record's outbox id (new:GOLDEN) to the id
	// the CRM gave it, per object: the next run tells the values crmhub
	// created it with from user edits.
	Created  []Created
	Errors   []RecordError
	Duration time.Duration
}

// Created is one record a load created.
type Created struct {
	Object   string
	RecordID string // the outbox's id, new:GOLDEN
	ID       string // the CRM's id
}

func kindOf(c Change) string {
	switch c.Kind {
	case KindCreate, KindArchive, KindMerge:
		return c.Kind
	}
	return KindUpdate
}

// Check applies the safeguard to the changes without writing anything.
func (g Guard) Check(changes []Change, totals map[string]int64) error {
	type key struct{ sys, kind string }
	per := map[key]int{}
	for _, c := range changes {
		k := kindOf(c)
		if k == KindMerge {
			k = KindArchive
		}
		per[key{c.System, k}]++
	}
	keys := make([]key, 0, len(per))
	for k := range per {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { // one message order run after run
		if keys[i].sys != keys[j].sys {
			return keys[i].sys < keys[j].sys
		}
		return keys[i].kind > keys[j].kind
	})
	verb := map[string]string{KindUpdate: "updated", KindCreate: "created", KindArchive: "archived"}
	var errs []error
	for _, k := range keys {
		n := per[k]
		limit := g.MaxCount
		if share := int(g.MaxShare * float64(totals[k.sys])); share < limit {
			limit = share
		}
		if n > limit && !g.Approved {
			errs = append(errs, fmt.Errorf("%w: %s: %d of %d records would be %s, above the limit of %d (max_update_share %.0f%%, max_updates %d); approve this run with --approve \"reason\"",
				ErrGuard, k.sys, n, totals[k.sys], verb[k.kind], limit, g.MaxShare*100, g.MaxCount))
		}
	}
	return errors.Join(errs...)
}

// BulkTarget is a Target that can also write many records of one object
// and kind in one bulk job (Salesforce Bulk API 2.0).
type BulkTarget interface {
	ApplyBulk(ctx context.Context, object string, changes []Change) ([]RecordError, error)
}

// Run checks the guard, then writes in three phases over every target:
// creates (upserts keyed on the golden id, so a retried batch creates
// nothing twice), then updates with the created records' ids written back
// to their sources, then merges and archives. A batch that fails as a whole
// stops that system (it is retried on the next run); records refused one by
// one are reported and the load goes on.
func Run(ctx context.Context, changes []Change, opts Options) ([]Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := opts.Guard.Check(changes, opts.Totals); err != nil {
		return nil, err
	}
	results := make([]Result, len(opts.Targets))
	mine := make([][]Change, len(opts.Targets))
	failed := make([]error, len(opts.Targets))
	index := map[string]int{}
	for i, t := range opts.Targets {
		results[i].System = t.System()
		index[t.System()] = i
	}
	for _, c := range changes {
		if i, ok := index[c.System]; ok {
			mine[i] = append(mine[i], c)
		}
	}
	start := time.Now()
	// the cross-id fields that receive created records' ids (backrefs) are
	// written in the update phase: prepare them too, or a missing one is
	// created only on the next run and every write-back fails until then
	backRefs := map[string][]Change{}
	for _, c := range changes {
		if c.Kind == KindCreate && c.BackRef != nil {
			backRefs[c.BackRef.System] = append(backRefs[c.BackRef.System], Change{Object: c.BackRef.Object,
				Values: map[string]string{c.BackRef.Field: ""}})
		}
	}
	for i, t := range opts.Targets {
		fields := fieldsByObject(mine[i], backRefs[t.System()])
		if len(fields) == 0 {
			continue
		}
		if err := t.Prepare(ctx, fields); err != nil {
			return results, fmt.Errorf("load %s: prepare fields: %w", t.System(), err)
		}
	}
	done := make([]int, len(opts.Targets))
	opts.Progress = serialProgress(opts.Progress)
	for _, phase := range [][]string{{KindCreate}, {KindUpdate}, {KindMerge, KindArchive}} {
		if phase[0] == KindUpdate {
			mine = addBackRefs(mine, index)
		}
		eachTarget(opts.Targets, func(i int, t Target) {
			if failed[i] != nil {
				return
			}
			var todo []Change
			for _, c := range mine[i] {
				if slices.Contains(phase, kindOf(c)) {
					todo = append(todo, c)
				}
			}
			// only updates go several at a time: creates stay in order so a
			// CRM hands out the same ids run after run (a resumed run must
			// end as an uninterrupted one), and a merge can give its primary
			// a new id that the next merge into it must name
			width := 1
			if phase[0] == KindUpdate {
				width = concurrency(t)
			}
			if err := apply(ctx, t, todo, opts, width, &results[i], &done[i], len(mine[i])); err != nil {
				failed[i] = err
			}
			created := map[recordKey]string{}
			for _, c := range todo {
				if c.CreatedID != "" {
					created[recordKey{c.Object, c.RecordID}] = c.CreatedID
					results[i].Created = append(results[i].Created, Created{Object: c.Object, RecordID: c.RecordID, ID: c.CreatedID})
				}
			}
			if len(created) == 0 {
				return
			}
			for k := range mine[i] {
				if id, ok := created[recordKey{mine[i][k].Object, mine[i][k].RecordID}]; ok {
					mine[i][k].CreatedID = id
				}
			}
		})
	}
	for i := range results {
		results[i].Duration = time.Since(start)
		log.Info("loaded", "system", results[i].System, "records", results[i].Records, "batches", results[i].Batches,
			"min_batches", results[i].MinBatches, "errors", len(results[i].Errors), "duration", results[i].Duration)
	}
	return results, errors.Join(failed...)
}

// recordKey names one record of one system: object and record id.
type recordKey struct{ object, id string }

// indexUpdates maps each record to the position of its first update.
func indexUpdates(changes []Change) map[recordKey]int {
	out := make(map[recordKey]int, len(changes))
	for k, c := range changes {
		if kindOf(c) != KindUpdate {
			continue
		}
		key := recordKey{c.Object, c.RecordID}
		if _, seen := out[key]; !seen {
			out[key] = k
		}
	}
	return out
}

// fieldsByObject lists the fields each object's changes write, over one or
// more lists of changes (not joined into one: a first run's are millions).
func fieldsByObject(lists ...[]Change) map[string][]string {
	fields := map[string]map[string]bool{}
	for _, changes := range lists {
		for _, c := range changes {
			if fields[c.Object] == nil {
				fields[c.Object] = map[string]bool{}
			}
			for f := range c.Values {
				if !strings.HasPrefix(f, "_") { // _archive, _merge_into, _delete are operations
					fields[c.Object][f] = true
				}
			}
		}
	}
	out := map[string][]string{}
	for obj, fs := range fields {
		out[obj] = slices.Sorted(maps.Keys(fs))
	}
	return out
}

// addBackRefs turns every created record's id into an update of its source
// record's cross-id field, merged into that record's update when it has one.
// Updates are found through an index per system: a scan per created record
// was quadratic (34 s of a 100k-person load).
func addBackRefs(mine [][]Change, index map[string]int) [][]Change {
	updates := make([]map[recordKey]int, len(mine)) // built on first use
	for i := range mine {
		for _, c := range mine[i] {
			if c.Kind != KindCreate || c.CreatedID == "" || c.BackRef == nil {
				continue
			}
			j, ok := index[c.BackRef.System]
			if !ok {
				continue
			}
			if updates[j] == nil {
				updates[j] = indexUpdates(mine[j])
			}
			k := recordKey{c.BackRef.Object, c.BackRef.RecordID}
			if at, ok := updates[j][k]; ok {
				mine[j][at].Values[c.BackRef.Field] = c.CreatedID
				continue
			}
			updates[j][k] = len(mine[j])
			mine[j] = append(mine[j], Change{System: c.BackRef.System, Object: c.BackRef.Object, RecordID: c.BackRef.RecordID,
				GoldenID: c.GoldenID, Kind: KindUpdate, Values: map[string]string{c.BackRef.Field: c.CreatedID}})
		}
	}
	for i := range mine { // batches stay grouped by object and repeatable
		sort.SliceStable(mine[i], func(a, b int) bool {
			if mine[i][a].Object != mine[i][b].Object {
				return mine[i][a].Object < mine[i][b].Object
			}
			return mine[i][a].RecordID < mine[i][b].RecordID
		})
	}
	return mine
}

func count(res *Result, batch []Change, errs []RecordError) {
	bad := map[string]bool{}
	for _, e := range errs {
		if e.Field == "" { // a refused field alone does not fail the record
			bad[e.RecordID] = true
		}
	}
	for _, c := range batch {
		if bad[c.RecordID] {
			continue
		}
		res.Records++
		res.Fields += len(c.Values)
		switch kindOf(c) {
		case KindCreate:
			res.Creates++
		case KindArchive, KindMerge:
			res.Archives++
		}
	}
	res.Errors = append(res.Errors, errs...)
}
