//go:build unix

package transform

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process has used so
// far, over all its threads: DuckDB's workers included. A model's share of
// it over its wall time says how many cores its queries kept busy.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
