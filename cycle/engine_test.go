package cycle

import (
	"path/filepath"
	"testing"

	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/transform"
)

// TestEngineConfig: a caller's setting wins field by field over the
// pipeline's engine section; the spill directory defaults to the work dir.
func TestEngineConfig(t *testing.T) {
	p := pipelines.Default()
	p.Engine.Threads = 3
	for _, tc := range []struct {
		name     string
		override transform.EngineConfig
		pl       *pipelines.Pipeline
		want     transform.EngineConfig
	}{
		{"pipeline", transform.EngineConfig{}, p, transform.EngineConfig{MemoryLimit: "5GB", Threads: 3, TempDir: filepath.Join("w", "duckdb-tmp")}},
		{"override", transform.EngineConfig{MemoryLimit: "2GB", TempDir: "/spill"}, p, transform.EngineConfig{MemoryLimit: "2GB", Threads: 3, TempDir: "/spill"}},
		{"no pipeline", transform.EngineConfig{Threads: 1}, nil, transform.EngineConfig{Threads: 1, TempDir: filepath.Join("w", "duckdb-tmp")}},
	} {
		if got := engineConfig(tc.override, tc.pl, "w"); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
