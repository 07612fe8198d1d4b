//go:build linux

package logredact_test

import (
	"runtime"
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD from <sys/resource.h>: the calling thread only.
const rusageThread = 1

// threadCPU returns the CPU time consumed so far by the calling OS thread. Benchmarks on a
// machine shared with other work use it instead of wall time: time spent descheduled is not
// counted. Callers lock the goroutine to its thread first.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
