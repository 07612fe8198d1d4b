//go:build unix

package auth

import (
	"syscall"
	"time"
)

// processCPUTime returns the CPU time (user and system) the process has used. Unlike wall
// time it does not grow while the process waits for a CPU, so benchmarks on a busy machine
// can compare CPU work precisely.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
