package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// A checkpoint is a copy of a benchmark's lake taken as its last night's
// transform starts: that night's extract is in it and recorded as done in
// the unfinished run's state, and the last run's published tables and
// match state beside it. Replaying runs that transform again (resuming
// the run past its extract, with the CRMs left alone), so a change to the
// models or the engine can be timed on the nightly run of a million people
// in minutes, without generating, loading and running the two nights
// before it again.
//
// Layout: DIR/checkpoint.json (checkpointInfo) and DIR/lake/.
const checkpointInfoFile = "checkpoint.json"

// checkpointInfo is what a replay needs besides the lake: the run clock's
// offset (the benchmark's nights run days ahead) and the sizes, for the
// report.
type checkpointInfo struct {
	People      int           `json:"people"`
	Day         int           `json:"day"`
	ClockOffset time.Duration `json:"clock_offset_ns"`
	MemoryLimit string        `json:"memory_limit"`
	TakenAt     time.Time     `json:"taken_at"`
	Seconds     float64       `json:"copy_seconds"`
}

// checkpointer passes progress on and copies the lake to dir when the
// transform step starts: the extract's files and run state are written by
// then and nothing else writes to the lake until the transform publishes.
type checkpointer struct {
	cycle.Progress
	lake, dir string
	info      checkpointInfo
	taken     bool
	took      time.Duration // the copy's time, which the night's total leaves out
	err       error
}

// Step is called on the run's goroutine before each step starts.
func (c *checkpointer) Step(name string) {
	if name == "transform" && !c.taken {
		c.taken = true
		c.took, c.err = saveCheckpoint(c.lake, c.dir, c.info)
	}
	c.Progress.Step(name)
}

// result is the copy's error, or an error when the run never reached its
// transform (nothing was copied).
func (c *checkpointer) result() error {
	switch {
	case c.err != nil:
		return fmt.Errorf("checkpoint: %w", c.err)
	case !c.taken:
		return errors.New("checkpoint: the run ended before its transform; nothing was copied")
	}
	return nil
}

// saveCheckpoint copies the lake to dir/lake and writes dir/checkpoint.json
// last (a folder without it is an interrupted copy). dir must be empty or
// absent. It returns the copy's time, which checkpoint.json records too.
func saveCheckpoint(lakeDir, dir string, info checkpointInfo) (time.Duration, error) {
	start := time.Now()
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return 0, fmt.Errorf("%s is not empty", dir)
	}
	if err := copyTree(lakeDir, filepath.Join(dir, "lake")); err != nil {
		return time.Since(start), err
	}
	took := time.Since(start)
	info.TakenAt, info.Seconds = time.Now().UTC(), took.Seconds()
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return took, err
	}
	return took, os.WriteFile(filepath.Join(dir, checkpointInfoFile), append(b, '\n'), 0o644)
}

// copyTree copies the regular files under src to dst, folders included.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ReplayOptions replay a checkpoint's transform.
type ReplayOptions struct {
	// Checkpoint is the folder `crmhub bench cycle --checkpoint` wrote.
	Checkpoint string
	// WorkDir receives the copy of the checkpoint's lake the replay runs
	// on, and the spill files ("" = os.TempDir); removed afterwards unless
	// KeepLake.
	WorkDir  string
	KeepLake bool
	// MemoryLimit and Threads as in CycleOptions ("" = the checkpoint's
	// benchmark's memory limit).
	MemoryLimit string
	Threads     int
	// ProfileDir receives DuckDB's JSON profile of each model (of each
	// statement of a script model).
	ProfileDir string
	// Models is the sql/ tree to run (nil: the embedded one). The last
	// run's state is taken as this tree's: the replay is incremental even
	// where the tree differs from the one that wrote the state, so a
	// change must still read the state it finds.
	Models   fs.FS
	Pipeline *pipelines.Pipeline
	Logger   *slog.Logger
}

// Replay copies a checkpoint's lake and runs its last night's transform
// (and publish) again on the copy, the CRMs left alone (a dry run: no
// extract, no load). The figures are those of the bench's runs.
func Replay(ctx context.Context, o ReplayOptions) (*RunFig, error) {
	b, err := os.ReadFile(filepath.Join(o.Checkpoint, checkpointInfoFile))
	if err != nil {
		return nil, fmt.Errorf("replay: %s is not a complete checkpoint: %w", o.Checkpoint, err)
	}
	var info checkpointInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("replay: %s: %w", checkpointInfoFile, err)
	}
	if o.Models == nil {
		o.Models = sqlmodels.Models
	}
	if o.Pipeline == nil {
		o.Pipeline = pipelines.Default()
	}
	if o.MemoryLimit == "" {
		o.MemoryLimit = info.MemoryLimit
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tmp, err := os.MkdirTemp(o.WorkDir, "crmhub-bench-replay-")
	if err != nil {
		return nil, err
	}
	if !o.KeepLake {
		defer os.RemoveAll(tmp)
	}
	lakeDir := filepath.Join(tmp, "lake")
	if err := copyTree(filepath.Join(o.Checkpoint, "lake"), lakeDir); err != nil {
		return nil, fmt.Errorf("replay: copy the lake: %w", err)
	}
	// the benchmark's run held the lake's lock when the copy was taken
	if err := os.Remove(filepath.Join(lakeDir, filepath.FromSlash(cycle.LockKey))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	store, err := lake.OpenLocal(lakeDir)
	if err != nil {
		return nil, err
	}
	if err := adoptState(ctx, store, o.Models, o.Pipeline); err != nil {
		return nil, err
	}
	now := func() time.Time { return time.Now().Add(info.ClockOffset) }
	sess, err := cycle.Start(ctx, store, cycle.SessionOptions{Resume: true, Now: now, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer sess.Close(context.WithoutCancel(ctx))
	if _, done := sess.State.Done("extract"); !sess.Resumed || !done {
		return nil, errors.New("replay: the checkpoint holds no unfinished run past its extract")
	}
	cfg := cycle.Config{
		Store: store, Pipeline: o.Pipeline, Models: o.Models, Session: sess, DryRun: true,
		WorkDir: tmp, Logger: log, Now: now, ProfileDir: o.ProfileDir,
		Engine: transform.EngineConfig{MemoryLimit: o.MemoryLimit, Threads: o.Threads, TempDir: filepath.Join(tmp, "spill")},
	}
	_ = ResetPeakRSS()
	watch := watchRSS(100*time.Millisecond, 0)
	cfg.Progress = watch
	start := time.Now()
	res, err := cycle.Run(ctx, cfg)
	fig := runFigure(res, time.Since(start), watch)
	fig.Name = "replay"
	fig.LakeBytes = dirSize(lakeDir)
	return fig, err
}

// adoptState stamps the last run's transform state with this models tree's
// and pipeline's fingerprint, so the replayed run is incremental as the
// benchmark's night was. A first night's checkpoint has none to stamp.
func adoptState(ctx context.Context, store lake.Store, models fs.FS, p *pipelines.Pipeline) error {
	latest, err := cycle.ReadLatest(ctx, store)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if latest == nil {
		// a first night's checkpoint: nothing published yet, the replayed
		// transform is a full one, as that night's was
		return nil
	}
	if latest.Transform == nil {
		return errors.New("replay: the checkpoint's lake has no published run with a transform state")
	}
	if latest.Transform.Fingerprint, err = cycle.Fingerprint(models, p); err != nil {
		return err
	}
	b, err := json.MarshalIndent(latest, "", "  ")
	if err != nil {
		return err
	}
	return store.Put(ctx, cycle.LatestKey, bytes.NewReader(b))
}

// ReplayMarkdown writes a replay's figures: the run as the bench reports
// its nights, then the slowest statements of the script models.
func ReplayMarkdown(w io.Writer, fig *RunFig) {
	fig.markdown(w)
	type statement struct {
		model string
		StatementFig
	}
	var top []statement
	for _, m := range fig.Models {
		for _, st := range m.Statements {
			top = append(top, statement{m.Model, st})
		}
	}
	sort.SliceStable(top, func(i, j int) bool { return top[i].Seconds > top[j].Seconds })
	fmt.Fprintln(w, "| script statement (model:line) | seconds |")
	fmt.Fprintln(w, "|---|---:|")
	for _, t := range top[:min(30, len(top))] {
		fmt.Fprintf(w, "| %s:%d | %.2f |\n", t.model, t.Line, t.Seconds)
	}
	fmt.Fprintln(w)
}

// WriteFiles writes a replay's figures as JSON to jsonPath and as Markdown
// (ReplayMarkdown) to mdPath.
func (f *RunFig) WriteFiles(jsonPath, mdPath string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
		return err
	}
	var md bytes.Buffer
	fmt.Fprintln(&md, "# crmhub bench replay")
	fmt.Fprintln(&md)
	ReplayMarkdown(&md, f)
	return os.WriteFile(mdPath, md.Bytes(), 0o644)
}
