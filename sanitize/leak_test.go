package sanitize_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/sanitize"
)

// TestNoGoroutineLeak exercises every entry point concurrently and checks that no goroutine
// outlives the calls: the package starts none, and must not start to (issue 13's review).
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_ = sanitize.HTML(`<a href="https://example.com/" onclick="x()">a</a><script>x</script>`)
			_ = sanitize.StripHTML(`<p>a<br>b</p>`)
			_ = sanitize.EscapeHTML(`<&>`)
			_, _ = sanitize.Rule{Identifier: true}.Check("Ａdmin")
			_, _ = sanitize.Email("a@bücher.example")
			_, _ = sanitize.URLRule{}.Check("https://example.com/?q=<")
			_ = sanitize.FileNameRule{}.Check("CON.txt")
			_, _ = sanitize.JoinPath("/srv", "a/b")
			var v struct{ Name string }
			_ = sanitize.DecodeJSON(nil, jsonRequest(`{"name":"a"}`), &v)
		})
	}
	wg.Wait()
	// wg.Wait returns when the workers call Done, a moment before they exit: give them (up
	// to a second of yielding, not sleeping) to finish, then demand the count is back.
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
