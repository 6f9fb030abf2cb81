package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Binary is the crmhub command built once per test process, for tests that
// run it as users do. The zero value is ready; Remove deletes the build (a
// package's TestMain calls it after m.Run, or every test process leaves a
// 140 MB binary behind in the temp folder).
type Binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Path builds ./cmd/crmhub on first use and returns the binary's path.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "crmhub-bin-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "crmhub")
		_, file, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-o", b.path, "./cmd/crmhub")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Remove deletes the build, if there is one.
func (b *Binary) Remove() {
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// RunWithBinary runs a package's tests and then removes b's build; a
// TestMain is `func TestMain(m *testing.M) { os.Exit(testenv.RunWithBinary(m, &bin)) }`.
func RunWithBinary(m *testing.M, b *Binary) int {
	code := m.Run()
	b.Remove()
	return code
}
