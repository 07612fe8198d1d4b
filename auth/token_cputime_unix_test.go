//go:build unix

package auth_test

import (
	"syscall"
	"time"
)

// tokenCPUTime returns the CPU time (user and system) the test process has used. Unlike wall
// time it does not grow while the process waits for a CPU, so the token benchmarks report it
// as cpu-ns/op: a figure a busy machine disturbs far less.
func tokenCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
