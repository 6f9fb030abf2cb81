package bench

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	sqlmodels "github.com/crmhub/crmhub/sql"
)

// TestReplay takes a checkpoint of a small benchmark's nightly run and
// replays its transform: the replay must be incremental and rebuild and
// compare exactly what the night did (the same inputs and state), also
// with a models tree that differs from the one that wrote the state (a
// comment added), and its script models must be timed by statement.
func TestReplay(t *testing.T) {
	dir := t.TempDir()
	cp := filepath.Join(dir, "cp")
	rep, err := RunCycle(context.Background(), CycleOptions{People: 200, Seed: 3, MemoryLimit: "1GB", Threads: 2, WorkDir: dir, Checkpoint: cp})
	if err != nil {
		t.Fatal(err)
	}
	night := rep.Runs[len(rep.Runs)-1]
	if !strings.HasPrefix(night.Transform, "incremental") {
		t.Fatalf("the nightly run was not incremental: %s", night.Transform)
	}
	if _, err := os.Stat(filepath.Join(cp, checkpointInfoFile)); err != nil {
		t.Fatal(err)
	}
	// the copy is timed apart, named in the report, and left out of the
	// night's time (the outside phases are the rest of that time)
	var md strings.Builder
	night.markdown(&md)
	if night.CheckpointSeconds <= 0 || !strings.Contains(md.String(), "copied the lake for --checkpoint") {
		t.Errorf("checkpoint copy %.3f s, report:\n%s", night.CheckpointSeconds, md.String())
	}

	changed := fstest.MapFS{}
	if err := copyFS(sqlmodels.Models, changed); err != nil {
		t.Fatal(err)
	}
	f := changed["match/person_pairs.sql"]
	f.Data = append(append([]byte(nil), f.Data...), []byte("\n-- a comment: another tree, the same state\n")...)

	for name, models := range map[string]fstest.MapFS{"embedded": nil, "changed": changed} {
		t.Run(name, func(t *testing.T) {
			o := ReplayOptions{Checkpoint: cp, WorkDir: dir, Threads: 2}
			if models != nil {
				o.Models = models
			}
			fig, err := Replay(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if fig.Transform != night.Transform {
				t.Errorf("replay: %s\nnight:  %s", fig.Transform, night.Transform)
			}
			for k, n := range night.Golden {
				if fig.Golden[k] != n {
					t.Errorf("golden %s: replay %d, night %d", k, fig.Golden[k], n)
				}
			}
			var timed bool
			for _, m := range fig.Models {
				timed = timed || (m.Model == "person_candidates" && len(m.Statements) > 5)
			}
			if !timed {
				t.Error("person_candidates has no statement times")
			}
			var b bytes.Buffer
			ReplayMarkdown(&b, fig)
			if !strings.Contains(b.String(), "### replay run") || !strings.Contains(b.String(), "| person_candidates:") {
				t.Errorf("report:\n%s", b.String())
			}
		})
	}

	// a folder without checkpoint.json is no checkpoint
	if _, err := Replay(context.Background(), ReplayOptions{Checkpoint: dir}); err == nil || !strings.Contains(err.Error(), "not a complete checkpoint") {
		t.Errorf("replay of a non-checkpoint: %v", err)
	}
	// and a checkpoint is never written into a folder holding files
	if _, err := saveCheckpoint(filepath.Join(cp, "lake"), cp, checkpointInfo{}); err == nil {
		t.Error("checkpoint written over a full folder")
	}
}

// TestReplayFirstNight: a checkpoint of a first night (nothing published
// yet) replays as a full transform that builds what the night built.
func TestReplayFirstNight(t *testing.T) {
	dir := t.TempDir()
	cp := filepath.Join(dir, "cp")
	rep, err := RunCycle(context.Background(), CycleOptions{People: 200, Seed: 3, Nights: 1, MemoryLimit: "1GB", Threads: 2, WorkDir: dir, Checkpoint: cp})
	if err != nil {
		t.Fatal(err)
	}
	night := rep.Runs[0]
	fig, err := Replay(context.Background(), ReplayOptions{Checkpoint: cp, WorkDir: dir, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if fig.Transform != night.Transform || strings.HasPrefix(fig.Transform, "incremental") {
		t.Errorf("replay: %s\nnight:  %s", fig.Transform, night.Transform)
	}
	if len(night.Golden) == 0 {
		t.Fatal("the night built no golden records")
	}
	for k, n := range night.Golden {
		if fig.Golden[k] != n {
			t.Errorf("golden %s: replay %d, night %d", k, fig.Golden[k], n)
		}
	}
}

// copyFS copies every file of src into dst.
func copyFS(src fs.FS, dst fstest.MapFS) error {
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(src, p)
		if err == nil {
			dst[p] = &fstest.MapFile{Data: b}
		}
		return err
	})
}
