package bench

import (
	"crypto/rand"
	"net/http"
	"runtime"
	"testing"

	"github.com/rampart-go/rampart/internal/cputime"
)

// randBytes returns n random bytes, failing the benchmark if the system's random source fails.
func randBytes(tb testing.TB, n int) []byte {
	tb.Helper()
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// discardWriter is an http.ResponseWriter that a benchmark reuses across iterations, so that the
// cost measured is the middleware's, not the recorder's.
type discardWriter struct {
	h    http.Header
	code int
}

func newDiscardWriter() *discardWriter { return &discardWriter{h: make(http.Header)} }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }

func (d *discardWriter) reset() {
	clear(d.h)
	d.code = http.StatusOK
}

// reportCPU starts counting the process's CPU time and returns a function that reports it per
// operation as cpu-ns/op. On a shared machine wall-clock ns/op includes the time spent waiting
// for a core, which inflates every implementation by the same factor only on average; CPU time
// does not, so the report computes its ratios from cpu-ns/op where every row has it. It counts
// every goroutine of the process, so a library's background work (sweepers, GC) is charged to
// it, as it should be. Call it right before the timed loop and the returned function right after.
func reportCPU(b *testing.B) func() {
	start := cputime.Process()
	return func() {
		if end := cputime.Process(); b.N > 0 && start > 0 && end > start {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
