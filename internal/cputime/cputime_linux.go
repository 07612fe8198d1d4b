//go:build linux

package cputime

import (
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTimeID is CLOCK_THREAD_CPUTIME_ID from <time.h>: the calling thread's CPU time,
// at nanosecond resolution (getrusage's RUSAGE_THREAD is much coarser).
const clockThreadCPUTimeID = 3

// Thread returns the CPU time the calling OS thread has used so far.
func Thread() time.Duration {
	var ts syscall.Timespec
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0) // #nosec G103 -- clock_gettime writes into ts, which outlives the call
	if errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
