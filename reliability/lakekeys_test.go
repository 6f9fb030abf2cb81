package reliability

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
)

// nameSource is a source whose system and object names come from outside
// (a custom object discovered at run time, a record value).
type nameSource struct{ sys, obj string }

func (s nameSource) System() string { return s.sys }
func (s nameSource) Object() string { return s.obj }
func (s nameSource) Schema(context.Context) ([]extract.Column, error) {
	return []extract.Column{{Name: "email", Type: "string"}}, nil
}
func (s nameSource) ReadAll(_ context.Context, _ []extract.Column, out extract.Sink) error {
	return out.Write([]extract.Row{{ID: "1", UpdatedAt: time.Now(), Values: map[string]string{"email": "a@b.c"}}})
}
func (s nameSource) ReadSince(ctx context.Context, cols []extract.Column, _ time.Time, out extract.Sink) error {
	return s.ReadAll(ctx, cols, out)
}

// TestLakeKeysStayUnderTheirPrefix: names that reach lake keys at the
// extract and publish call sites (system, object, run id) cannot climb out
// of raw/SYSTEM/OBJECT/, runs/ or published/: the call fails with
// lake.ErrBadKey and writes nothing.
func TestLakeKeysStayUnderTheirPrefix(t *testing.T) {
	ctx := context.Background()
	bad := []string{"../../published/evil", "..", ".", "", "a/b", `a\b`, "x\x00y"}
	for _, name := range bad {
		for _, src := range []nameSource{{"hubspot", name}, {name, "contacts"}} {
			dir := t.TempDir()
			store, err := lake.OpenLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = extract.Run(ctx, extract.Options{Store: store, RunID: "r1", Sources: []extract.Source{src}, TempDir: t.TempDir()})
			if !errors.Is(err, lake.ErrBadKey) {
				t.Errorf("extract %q/%q: error %v, want lake.ErrBadKey", src.sys, src.obj, err)
			}
			assertEmpty(t, dir)
		}
		if name == "" {
			continue // an empty run id is the caller's mistake, tested below
		}
		dir := t.TempDir()
		store, _ := lake.OpenLocal(dir)
		_, err := extract.Run(ctx, extract.Options{Store: store, RunID: name, Sources: []extract.Source{nameSource{"hubspot", "contacts"}}, TempDir: t.TempDir()})
		if !errors.Is(err, lake.ErrBadKey) {
			t.Errorf("extract with run id %q: error %v, want lake.ErrBadKey", name, err)
		}
		assertEmpty(t, dir)
	}
	// a good name lands under its prefix
	dir := t.TempDir()
	store, _ := lake.OpenLocal(dir)
	if _, err := extract.Run(ctx, extract.Options{Store: store, RunID: "r1", Sources: []extract.Source{nameSource{"hubspot", "contacts"}}, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "raw", "hubspot", "contacts", "r1.parquet")); err != nil {
		t.Error(err)
	}

	// the run id a resumed run reads from the lake (runs/_open.json) names
	// runs/RUN/ and published/RUN/ keys
	dir = t.TempDir()
	store, _ = lake.OpenLocal(dir)
	if err := os.MkdirAll(filepath.Join(dir, "runs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runs", "_open.json"), []byte(`{"run_id": "../published/evil"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := cycle.Start(ctx, store, cycle.SessionOptions{Resume: true, LockTTL: time.Minute})
	if !errors.Is(err, lake.ErrBadKey) || !strings.Contains(err.Error(), "--fresh") {
		t.Errorf("resume of run id ../published/evil: %v, want lake.ErrBadKey naming --fresh", err)
	}
	// the lock was released: a fresh run starts
	s, err := cycle.Start(ctx, store, cycle.SessionOptions{Resume: false, LockTTL: time.Minute})
	if err != nil {
		t.Fatalf("fresh run after the refusal: %v", err)
	}
	s.Close(ctx)
	if _, err := os.Stat(filepath.Join(dir, "published")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("something was written under published/: %v", err)
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("file written: %s", p)
		}
		return nil
	})
}
