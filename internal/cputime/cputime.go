// Package cputime reads CPU-time clocks for benchmarks that run on shared machines.
//
// Wall time counts the time a benchmark waits for a core while other work runs; CPU time does
// not, so benchmarks report CPU time per operation beside ns/op. [Process] covers every thread
// of the process (garbage collection included); [Thread] covers only the calling OS thread, so
// its callers lock their goroutine to the thread first ([LockThread]). Both return 0 where the
// platform offers no such clock, and callers then report no CPU figure.
//
// The package serves rampart's tests and benchmarks only.
package cputime

import "runtime"

// LockThread locks the calling goroutine to its OS thread, so that [Thread] measures the
// goroutine's own work, and returns the function that unlocks it.
func LockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
