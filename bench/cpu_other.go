//go:build !unix

package bench

import "time"

// processCPU is 0: there is no getrusage here, and the CPU figures are left out.
func processCPU() time.Duration { return 0 }
