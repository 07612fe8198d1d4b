package sanitize_test

import (
	"sync"
	"testing"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/sanitize"
)

// TestNoGoroutineLeak exercises every entry point concurrently and checks that no goroutine
// outlives the calls: the package starts none, and must not start to (issue 13's review).
func TestNoGoroutineLeak(t *testing.T) {
	check := testenv.CheckGoroutines(t)
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
	check()
}
