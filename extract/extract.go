// Package extract lands CRM objects in the lake as Parquet: a full read on
// the first run, then incremental reads by modification time. Files become
// visible only when their manifest is committed, and the cursor lives in the
// manifest, so a killed run leaves nothing half-counted and simply re-reads.
package extract

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
)

// Source reads one CRM object.
type Source interface {
	System() string
	Object() string
	// Schema lists the object's fields from the API's schema, typed.
	Schema(ctx context.Context) ([]Column, error)
	// ReadAll emits every record, archived ones included.
	ReadAll(ctx context.Context, cols []Column, out Sink) error
	// ReadSince emits records modified (or archived) at or after since.
	ReadSince(ctx context.Context, cols []Column, since time.Time, out Sink) error
}

// Sink receives a source's pages as they arrive.
type Sink interface {
	// Write lands one page of rows; the rows are not kept after it returns.
	Write(rows []Row) error
	// Expect adds to the number of records the API said it will return
	// (HubSpot search total, Salesforce totalSize), for progress.
	Expect(n int64)
}

// Metered is a source whose client counts its calls; Run reports each
// object's share.
type Metered interface {
	Calls() map[string]CallStats
}

// CallStats are the calls of one endpoint kind.
type CallStats struct {
	Calls   int           `json:"calls"`
	Errors  int           `json:"errors"`
	Retries int           `json:"retries"`
	Latency time.Duration `json:"latency"`
	Status  map[int]int   `json:"status,omitempty"` // HTTP status -> attempts
}

// Options controls a run.
type Options struct {
	Store   lake.Store
	RunID   string
	Sources []Source
	// Full forces a full read even where a cursor exists.
	Full bool
	// Overlap is re-read before the cursor to catch late commits and clock skew.
	Overlap time.Duration
	// TempDir holds files before they move into the lake.
	TempDir string
	Logger  *slog.Logger
	// Progress, when set, is told of every page landed.
	Progress func(system, object string, records int64)
	// ProgressTotal, when set, is told of every page landed with the
	// expected total (0 when unknown), for a rate and an ETA.
	ProgressTotal func(system, object string, records, total int64)
	// LogEvery is how often a progress line is logged; default 15 s.
	LogEvery time.Duration
	Now      func() time.Time
}

// Result reports one object's extract.
type Result struct {
	System   string
	Object   string
	Mode     string
	Records  int64 // rows landed, tombstones included
	Expected int64 // records the API announced, 0 when it does not say
	// Tombstones are rows marking merged-away (HubSpot) or purged
	// (Salesforce deleted window) records.
	Tombstones int64
	Since      time.Time
	Cursor     time.Time
	Duration   time.Duration
	// SchemaChanges lists fields added, removed or retyped since the last
	// committed extract of the object.
	SchemaChanges []SchemaChange
	// Invalid counts values per field that did not parse as their type;
	// they are kept as text in the _invalid column. InvalidSamples names
	// the first few records.
	Invalid        map[string]int64
	InvalidSamples []InvalidValue
	// Calls are the API calls made for this object, by endpoint kind.
	Calls map[string]CallStats
}

// Run extracts every source, the two systems' sources in parallel and each
// system's objects in order.
func Run(ctx context.Context, opts Options) ([]Result, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LogEvery <= 0 {
		opts.LogEvery = 15 * time.Second
	}
	bySystem := map[string][]Source{}
	var order []string
	if err := lake.Segment(opts.RunID); err != nil {
		return nil, fmt.Errorf("extract: run id: %w", err)
	}
	for _, s := range opts.Sources {
		// system and object name lake keys: raw/SYSTEM/OBJECT/
		for _, part := range []string{s.System(), s.Object()} {
			if err := lake.Segment(part); err != nil {
				return nil, fmt.Errorf("extract %s %s: %w", s.System(), s.Object(), err)
			}
		}
		if _, ok := bySystem[s.System()]; !ok {
			order = append(order, s.System())
		}
		bySystem[s.System()] = append(bySystem[s.System()], s)
	}
	results := make([][]Result, len(order))
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, sys := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, src := range bySystem[sys] {
				r, err := extractOne(ctx, opts, src)
				if err != nil {
					errs[i] = err
					return
				}
				results[i] = append(results[i], r)
			}
		}()
	}
	wg.Wait()
	var out []Result
	for i := range order {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, results[i]...)
	}
	return out, nil
}

// sink writes pages to the raw file, tracks the cursor and reports progress.
type sink struct {
	opts     Options
	sys, obj string
	w        *RawWriter
	maxSeen  time.Time
	expected int64
	estimate int64 // previous size of the object, until the API says
	tombs    int64
	started  time.Time
	lastLog  time.Time
}

func (s *sink) Expect(n int64) { s.expected += n }

func (s *sink) Write(rows []Row) error {
	for i := range rows {
		if rows[i].UpdatedAt.After(s.maxSeen) {
			s.maxSeen = rows[i].UpdatedAt
		}
		if rows[i].Tombstone {
			s.tombs++
		}
	}
	if err := s.w.Write(rows); err != nil {
		return err
	}
	n := s.w.Rows()
	total := s.expected
	if total == 0 {
		total = s.estimate
	}
	if s.opts.Progress != nil {
		s.opts.Progress(s.sys, s.obj, n)
	}
	if s.opts.ProgressTotal != nil {
		s.opts.ProgressTotal(s.sys, s.obj, n, total)
	}
	if now := time.Now(); now.Sub(s.lastLog) >= s.opts.LogEvery {
		s.lastLog = now
		elapsed := now.Sub(s.started).Seconds()
		rate := float64(n) / max(elapsed, 1e-9)
		args := []any{"system", s.sys, "object", s.obj, "records", n, "rate_per_s", int64(rate)}
		if total > n && rate > 0 {
			args = append(args, "total", total, "eta", time.Duration(float64(total-n)/rate*float64(time.Second)).Round(time.Second))
		}
		s.opts.Logger.Info("extract progress", args...)
	}
	return nil
}

func extractOne(ctx context.Context, opts Options, src Source) (Result, error) {
	start := opts.Now()
	sys, obj := src.System(), src.Object()
	res := Result{System: sys, Object: obj, Mode: ModeFull}
	var before map[string]CallStats
	if m, ok := src.(Metered); ok {
		before = m.Calls()
	}
	prev, err := Current(ctx, opts.Store, sys, obj)
	if err != nil {
		return res, err
	}
	var prevCursor time.Time
	var prevCols []Column
	var estimate int64
	if len(prev) > 0 {
		prevCols = prev[len(prev)-1].Columns()
		estimate = prev[0].Records
	}
	if len(prev) > 0 && !opts.Full {
		prevCursor = prev[len(prev)-1].Cursor
		res.Mode = ModeIncremental
		res.Since = prevCursor.Add(-opts.Overlap)
		estimate = 0
	}
	cols, err := src.Schema(ctx)
	if err != nil {
		return res, fmt.Errorf("extract %s %s: schema: %w", sys, obj, err)
	}
	res.SchemaChanges = DiffSchema(prevCols, cols)
	for _, ch := range res.SchemaChanges {
		level := slog.LevelWarn
		if ch.Change == "added" && crmhubField(ch.Field) {
			level = slog.LevelInfo // the previous run's load created it
		}
		opts.Logger.Log(ctx, level, "schema changed", "system", sys, "object", obj, "field", ch.Field, "change", ch.Change, "old", ch.Old, "new", ch.New)
	}
	tmpDir := opts.TempDir
	if tmpDir == "" {
		tmpDir = os.TempDir()
	}
	tmp, err := os.CreateTemp(tmpDir, "crmhub-raw-*.parquet")
	if err != nil {
		return res, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	w, err := NewTypedRawWriter(tmp.Name(), cols, opts.RunID, start)
	if err != nil {
		return res, fmt.Errorf("extract %s %s: %w", sys, obj, err)
	}
	sk := &sink{opts: opts, sys: sys, obj: obj, w: w, estimate: estimate, started: time.Now(), lastLog: time.Now()}
	if res.Mode == ModeFull {
		err = src.ReadAll(ctx, cols, sk)
	} else {
		err = src.ReadSince(ctx, cols, res.Since, sk)
	}
	if err != nil {
		w.Abort()
		return res, fmt.Errorf("extract %s %s: %w", sys, obj, err)
	}
	res.Records, res.Expected, res.Tombstones = w.Rows(), sk.expected, sk.tombs
	res.Invalid, res.InvalidSamples = w.Invalid()
	if err := w.Close(); err != nil {
		return res, err
	}
	for field, n := range res.Invalid {
		opts.Logger.Warn("values kept as text: they do not parse as their field's type", "system", sys, "object", obj, "field", field, "count", n)
	}
	for _, v := range res.InvalidSamples {
		opts.Logger.Warn("invalid value", "system", sys, "object", obj, "record", v.Record, "field", v.Field, "type", v.Type, "value", v.Value)
	}
	key := path.Join(ObjectPrefix(sys, obj), opts.RunID+".parquet")
	if err := opts.Store.PutFile(ctx, key, tmp.Name()); err != nil {
		return res, fmt.Errorf("extract %s %s: store %s: %w", sys, obj, filepath.Base(key), err)
	}
	res.Cursor = nextCursor(res.Mode, prevCursor, sk.maxSeen, start)
	res.Duration = opts.Now().Sub(start)
	if m, ok := src.(Metered); ok {
		res.Calls = callsDelta(before, m.Calls())
	}
	m := Manifest{System: sys, Object: obj, RunID: opts.RunID, Mode: res.Mode, Files: []string{key},
		Records: res.Records, Fields: columnNames(cols), Schema: cols, SchemaChanges: res.SchemaChanges,
		Invalid: res.Invalid, Tombstones: res.Tombstones,
		Since: res.Since, Cursor: res.Cursor, StartedAt: start, FinishedAt: opts.Now()}
	// The manifest commits the file and the cursor together, after the
	// file is durable in the lake.
	if err := writeManifest(ctx, opts.Store, m); err != nil {
		return res, fmt.Errorf("extract %s %s: commit manifest: %w", sys, obj, err)
	}
	opts.Logger.Info("extracted", "system", sys, "object", obj, "mode", res.Mode, "records", res.Records,
		"tombstones", res.Tombstones, "since", res.Since, "cursor", res.Cursor, "duration", res.Duration,
		"schema_changes", len(res.SchemaChanges), "calls", totalCalls(res.Calls))
	return res, nil
}

// nextCursor is where the next incremental read starts: the newest
// modification seen, but never after this run's start (a record changed
// while the run read others could otherwise be skipped), and never behind
// the previous cursor.
func nextCursor(mode string, prev, maxSeen, start time.Time) time.Time {
	c := maxSeen
	if c.After(start) {
		c = start
	}
	if mode == ModeIncremental && c.Before(prev) {
		c = prev
	}
	return c
}

func callsDelta(before, after map[string]CallStats) map[string]CallStats {
	out := map[string]CallStats{}
	for k, a := range after {
		b := before[k]
		d := CallStats{Calls: a.Calls - b.Calls, Errors: a.Errors - b.Errors, Retries: a.Retries - b.Retries,
			Latency: a.Latency - b.Latency}
		for st, n := range a.Status {
			if n -= b.Status[st]; n > 0 {
				if d.Status == nil {
					d.Status = map[int]int{}
				}
				d.Status[st] = n
			}
		}
		if d.Calls > 0 || d.Retries > 0 {
			out[k] = d
		}
	}
	return out
}

func totalCalls(c map[string]CallStats) int {
	n := 0
	for _, s := range c {
		n += s.Calls
	}
	return n
}

// SumCalls adds the calls of several results, by endpoint kind.
func SumCalls(results []Result) map[string]CallStats {
	out := map[string]CallStats{}
	for _, r := range results {
		for k, c := range r.Calls {
			s := out[k]
			s.Calls += c.Calls
			s.Errors += c.Errors
			s.Retries += c.Retries
			s.Latency += c.Latency
			for st, n := range c.Status {
				if s.Status == nil {
					s.Status = map[int]int{}
				}
				s.Status[st] += n
			}
			out[k] = s
		}
	}
	return out
}

// crmhubField reports whether a CRM field is one crmhub's load creates
// (HubSpot crmhub_* properties, Salesforce HubSpot_Id__c and Crmhub_*__c).
func crmhubField(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "crmhub_") || n == "hubspot_id__c"
}
