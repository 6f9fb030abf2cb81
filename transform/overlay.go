package transform

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// Overlay lays a project folder over the embedded models: a file at the same
// relative path replaces the embedded one (a model, a test, ref/*.csv), a new
// file adds to them. The folder is read when the models are loaded, so a
// change needs no rebuild.
func Overlay(base fs.FS, dir string) (fs.FS, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("models folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("models folder %s is not a folder", dir)
	}
	return overlayFS{top: os.DirFS(dir), base: base}, nil
}

// OverlayFiles lists the files of dir an overlay takes, and which of them
// replace a file of base.
func OverlayFiles(base fs.FS, dir string) (added, replaced []string, err error) {
	err = fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if _, err := fs.Stat(base, p); err == nil {
			replaced = append(replaced, p)
		} else {
			added = append(added, p)
		}
		return nil
	})
	return added, replaced, err
}

type overlayFS struct{ top, base fs.FS }

func (o overlayFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	ti, terr := fs.Stat(o.top, name)
	bi, berr := fs.Stat(o.base, name)
	switch {
	case terr == nil && !ti.IsDir():
		return o.top.Open(name)
	case terr == nil && berr == nil && bi.IsDir():
		entries, err := o.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &overlayDir{info: ti, entries: entries}, nil
	case terr == nil:
		return o.top.Open(name)
	case berr == nil:
		return o.base.Open(name)
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadDir merges both folders; the top's entry wins on a shared name.
func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	top, terr := fs.ReadDir(o.top, name)
	base, berr := fs.ReadDir(o.base, name)
	if terr != nil && berr != nil {
		if errors.Is(terr, fs.ErrNotExist) {
			return nil, berr
		}
		return nil, terr
	}
	seen := map[string]bool{}
	out := make([]fs.DirEntry, 0, len(top)+len(base))
	for _, e := range top {
		seen[e.Name()] = true
		out = append(out, e)
	}
	for _, e := range base {
		if !seen[e.Name()] {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

func (o overlayFS) ReadFile(name string) ([]byte, error) {
	f, err := o.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// overlayDir is a merged folder opened with Open.
type overlayDir struct {
	info    fs.FileInfo
	entries []fs.DirEntry
	off     int
}

func (d *overlayDir) Stat() (fs.FileInfo, error) { return dirInfo{d.info}, nil }
func (d *overlayDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}
func (d *overlayDir) Close() error { return nil }

func (d *overlayDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}

type dirInfo struct{ fs.FileInfo }

func (dirInfo) ModTime() time.Time { return time.Time{} }
