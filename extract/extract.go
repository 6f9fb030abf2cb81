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
	"sync"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
)

// Source reads one CRM object.
type Source interface {
	System() string
	Object() string
	// Fields lists the object's fields from the API's schema.
	Fields(ctx context.Context) ([]string, error)
	// ReadAll emits every record, archived ones included.
	ReadAll(ctx context.Context, fields []string, emit func([]Row) error) error
	// ReadSince emits records modified (or archived) at or after since.
	ReadSince(ctx context.Context, fields []string, since time.Time, emit func([]Row) error) error
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
	Now      func() time.Time
}

// Result reports one object's extract.
type Result struct {
	System   string
	Object   string
	Mode     string
	Records  int64
	Since    time.Time
	Cursor   time.Time
	Duration time.Duration
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
	bySystem := map[string][]Source{}
	var order []string
	for _, s := range opts.Sources {
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

func extractOne(ctx context.Context, opts Options, src Source) (Result, error) {
	start := opts.Now()
	sys, obj := src.System(), src.Object()
	res := Result{System: sys, Object: obj, Mode: ModeFull}
	prev, err := Current(ctx, opts.Store, sys, obj)
	if err != nil {
		return res, err
	}
	var cursor time.Time
	if len(prev) > 0 && !opts.Full {
		cursor = prev[len(prev)-1].Cursor
		res.Mode = ModeIncremental
		res.Since = cursor.Add(-opts.Overlap)
	}
	fields, err := src.Fields(ctx)
	if err != nil {
		return res, fmt.Errorf("extract %s %s: schema: %w", sys, obj, err)
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
	w, err := NewRawWriter(tmp.Name(), fields, opts.RunID, start)
	if err != nil {
		return res, fmt.Errorf("extract %s %s: %w", sys, obj, err)
	}
	emit := func(rows []Row) error {
		for i := range rows {
			if rows[i].UpdatedAt.After(cursor) {
				cursor = rows[i].UpdatedAt
			}
		}
		if err := w.Write(rows); err != nil {
			return err
		}
		if opts.Progress != nil {
			opts.Progress(sys, obj, w.Rows())
		}
		return nil
	}
	if res.Mode == ModeFull {
		err = src.ReadAll(ctx, fields, emit)
	} else {
		err = src.ReadSince(ctx, fields, res.Since, emit)
	}
	if err != nil {
		w.Close()
		return res, fmt.Errorf("extract %s %s: %w", sys, obj, err)
	}
	res.Records = w.Rows()
	if err := w.Close(); err != nil {
		return res, err
	}
	key := path.Join(ObjectPrefix(sys, obj), opts.RunID+".parquet")
	if err := opts.Store.PutFile(ctx, key, tmp.Name()); err != nil {
		return res, fmt.Errorf("extract %s %s: store %s: %w", sys, obj, filepath.Base(key), err)
	}
	res.Cursor = cursor
	res.Duration = opts.Now().Sub(start)
	m := Manifest{System: sys, Object: obj, RunID: opts.RunID, Mode: res.Mode, Files: []string{key},
		Records: res.Records, Fields: fields, Since: res.Since, Cursor: cursor, StartedAt: start, FinishedAt: opts.Now()}
	if err := writeManifest(ctx, opts.Store, m); err != nil {
		return res, fmt.Errorf("extract %s %s: commit manifest: %w", sys, obj, err)
	}
	opts.Logger.Info("extracted", "system", sys, "object", obj, "mode", res.Mode, "records", res.Records,
		"since", res.Since, "cursor", cursor, "duration", res.Duration)
	return res, nil
}
