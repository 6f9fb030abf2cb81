//go:build !unix

package transform

import "time"

// processCPU is unknown here: the models' CPU figures read 0.
func processCPU() time.Duration { return 0 }
