package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/microcosm-cc/bluemonday"
	"github.com/rampart-go/rampart/sanitize"
)

// htmlDoc is a 10 KiB user document: formatted paragraphs, links, lists, a table, code, and a
// sprinkling of hostile markup (event handlers, style, script).
var htmlDoc = func() string {
	var b strings.Builder
	for i := 0; b.Len() < 10<<10; i++ {
		fmt.Fprintf(&b, `<h2>Section %d</h2><p>Some <b>bold</b> and <em>emphasised</em> text with a `+
			`<a href="https://example.com/page/%d?ref=x">link</a> and <code>x &lt; y</code>.</p>`+
			`<ul><li>one</li><li onclick="x()">two</li></ul>`+
			`<p style="color:red">styled <img src="https://example.com/%d.png" alt="img" onerror="alert(1)"></p>`+
			`<script>alert(%d)</script><table><tr><td>a</td><td>b</td></tr></table>`, i, i, i, i)
	}
	return b.String()
}()

// BenchmarkHTML sanitizes the same document with rampart's functions and with bluemonday called
// directly: rich text (sanitize.HTML against the same policy through bluemonday, and against
// bluemonday's own UGCPolicy, the usual pick) and plain text (sanitize.StripHTML against
// bluemonday's StrictPolicy).
func BenchmarkHTML(b *testing.B) {
	rich := sanitize.RichTextPolicy()
	ugc := bluemonday.UGCPolicy()
	strict := bluemonday.StrictPolicy()
	strict.AddSpaceWhenStrippingTag(true)
	_ = sanitize.HTML(htmlDoc) // builds rampart's shared policies outside the timing
	_ = sanitize.StripHTML(htmlDoc)
	for _, c := range []struct {
		name string
		fn   func(string) string
	}{
		{"rich/rampart", sanitize.HTML},
		{"rich/bluemonday-same-policy", rich.Sanitize},
		{"rich/bluemonday-UGCPolicy", ugc.Sanitize},
		{"strip/rampart", sanitize.StripHTML},
		{"strip/bluemonday-StrictPolicy", strict.Sanitize},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(htmlDoc)))
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if c.fn(htmlDoc) == "" {
					b.Fatal("empty output")
				}
			}
		})
	}
}
