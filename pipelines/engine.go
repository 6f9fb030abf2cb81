package pipelines

import (
	"fmt"
	"regexp"
)

// Engine sets the resources of DuckDB, which runs the SQL models. The
// memory limit is set deliberately rather than left at DuckDB's default
// (80% of the machine): past it DuckDB spills sorts, joins and windows to
// temp_dir, and crmhub's own Go memory (the load's outbox, the extract's row
// groups) comes on top.
type Engine struct {
	MemoryLimit string `yaml:"memory_limit"`
	Threads     int    `yaml:"threads"`
	TempDir     string `yaml:"temp_dir"`
}

var memorySizeRe = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

func engineSpec() Field {
	return Field{Name: "engine", Kind: "object", Description: "DuckDB, the engine that runs the SQL models: its memory, threads and spill directory.", Fields: []Field{
		{Name: "memory_limit", Kind: "string", Default: "5GB", Description: "DuckDB's memory_limit. Above it DuckDB spills to temp_dir instead of growing. DuckDB's resident set runs about 1.4 GiB above this limit (allocations outside its buffer pool) and crmhub's own memory comes on top, so 5GB keeps a million-people run under 8 GiB (6.96 GiB measured; 6GB reached 8.33 GiB). Raise it on a bigger machine; an empty value leaves DuckDB's default, 80% of RAM.",
			Check: func(v any) string {
				s, _ := v.(string)
				if s == "" || memorySizeRe.MatchString(s) {
					return ""
				}
				return fmt.Sprintf("%q: want a size such as 6GB or 512MiB", s)
			}},
		{Name: "threads", Kind: "int", Default: "0", Min: num(0), Max: num(1024), Description: "DuckDB worker threads; 0 uses every core."},
		{Name: "temp_dir", Kind: "string", Description: "Where DuckDB spills; empty: duckdb-tmp in the run's work directory. Needs free disk of a few times the lake's size at a million records."},
	}}
}
