package sanitize_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/rampart-go/rampart/sanitize"
)

// doc10K is a 10 KiB user document: formatted paragraphs, links, lists, a table, code,
// and a sprinkling of hostile markup.
var doc10K = func() string {
	var b strings.Builder
	for i := 0; b.Len() < 10<<10; i++ {
		fmt.Fprintf(&b, `<h2>Section %d</h2><p>Some <b>bold</b> and <em>emphasised</em> text with a `+
			`<a href="https://example.com/page/%d?ref=x">link</a> and <code>x &lt; y</code>.</p>`+
			`<ul><li>one</li><li onclick="x()">two</li></ul>`+
			`<p style="color:red">styled <img src="https://example.com/%d.png" alt="img" onerror="alert(1)"></p>`+
			`<script>alert(%d)</script><table><tr><td>a</td><td>b</td></tr></table>`, i, i, i, i)
	}
	return b.String()[:10<<10]
}()

// BenchmarkHTML compares the wrappers with calling bluemonday directly with the same
// policies; the target is at most 5% overhead.
func BenchmarkHTML(b *testing.B) {
	rich := sanitize.RichTextPolicy()
	strict := bluemonday.StrictPolicy()
	strict.AddSpaceWhenStrippingTag(true)
	_ = sanitize.HTML(doc10K) // build the shared policies outside the timing
	_ = sanitize.StripHTML(doc10K)
	cases := []struct {
		name string
		fn   func(string) string
	}{
		{"rich/bluemonday", rich.Sanitize},
		{"rich/sanitize.HTML", sanitize.HTML},
		{"strict/bluemonday", strict.Sanitize},
		{"strict/sanitize.StripHTML", sanitize.StripHTML},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc10K)))
			b.ReportAllocs()
			for b.Loop() {
				_ = c.fn(doc10K)
			}
		})
	}
}

func BenchmarkEscapeHTML(b *testing.B) {
	for _, s := range []string{"plain ascii text with nothing to escape", `<a href="x">Tom & Jerry's</a>`} {
		b.Run(fmt.Sprintf("len%d", len(s)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = sanitize.EscapeHTML(s)
			}
		})
	}
}

// BenchmarkRuleCheck: validating a valid ASCII field must not allocate.
func BenchmarkRuleCheck(b *testing.B) {
	cases := []struct {
		name  string
		rule  sanitize.Rule
		value string
	}{
		{"ascii/free-text", sanitize.Rule{MaxLen: 200}, "A perfectly ordinary comment, with punctuation!"},
		{"ascii/identifier", username, "alice_01"},
		{"ascii/pattern", sanitize.Rule{Required: true, Allow: sanitize.ASCIILetters | sanitize.ASCIIDigits,
			Pattern: regexp.MustCompile(`^[a-z][a-z0-9]{2,15}$`)}, "alice01"},
		{"unicode/identifier", username, "Ｓtraße"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var errs sanitize.Errors
			for b.Loop() {
				_ = errs.Check("f", c.value, c.rule)
			}
			if len(errs) != 0 {
				b.Fatal(errs)
			}
		})
	}
}

type benchItem struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Email string   `json:"email"`
	Tags  []string `json:"tags"`
	Score float64  `json:"score"`
	OK    bool     `json:"ok"`
}

type benchBody struct {
	Request string      `json:"request"`
	Items   []benchItem `json:"items"`
}

// body4K is a 4 KiB JSON request body.
var body4K = func() []byte {
	v := benchBody{Request: "bench"}
	for i := 0; ; i++ {
		v.Items = append(v.Items, benchItem{ID: i, Name: fmt.Sprintf("user número %d", i),
			Email: fmt.Sprintf("user%d@example.com", i), Tags: []string{"a", "bb", "ccc"}, Score: float64(i) * 1.5, OK: i%2 == 0})
		b, _ := json.Marshal(v)
		if len(b) > 4<<10 {
			v.Items = v.Items[:len(v.Items)-1]
			b, _ = json.Marshal(v)
			return b
		}
	}
}()

// BenchmarkDecodeJSON compares JSON.Decode with a plain json.Decoder on a 4 KiB body; the
// target is at most 1.5x.
func BenchmarkDecodeJSON(b *testing.B) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = int64(len(body4K))
	w := httptest.NewRecorder()
	b.Run("plain-json.Decoder", func(b *testing.B) {
		b.SetBytes(int64(len(body4K)))
		b.ReportAllocs()
		for b.Loop() {
			r.Body = io.NopCloser(bytes.NewReader(body4K))
			var v benchBody
			if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sanitize.DecodeJSON", func(b *testing.B) {
		b.SetBytes(int64(len(body4K)))
		b.ReportAllocs()
		for b.Loop() {
			r.Body = io.NopCloser(bytes.NewReader(body4K))
			var v benchBody
			if err := sanitize.DecodeJSON(w, r, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEmail(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = sanitize.Email("alice.smith@example.com")
	}
}

func BenchmarkURLRuleCheck(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = sanitize.URLRule{}.Check("https://example.com/path?q=1")
	}
}

// pairedRatio runs base and wrapped alternately, so that load from other processes on a
// shared machine hits both alike, and reports wrapped's time over base's: as the ratio of
// the totals and of the fastest runs (the least disturbed by load).
func pairedRatio(b *testing.B, base, wrapped func()) {
	b.Helper()
	var totBase, totWrapped time.Duration
	minBase, minWrapped := time.Duration(1<<62), time.Duration(1<<62)
	for b.Loop() {
		t0 := time.Now()
		base()
		t1 := time.Now()
		wrapped()
		t2 := time.Now()
		totBase += t1.Sub(t0)
		totWrapped += t2.Sub(t1)
		minBase = min(minBase, t1.Sub(t0))
		minWrapped = min(minWrapped, t2.Sub(t1))
	}
	b.ReportMetric(float64(totWrapped)/float64(totBase), "x-total")
	b.ReportMetric(float64(minWrapped)/float64(minBase), "x-fastest")
}

// BenchmarkHTMLOverhead measures the wrappers against bluemonday with the same policy on
// the 10 KiB document, interleaved. Target: at most 1.05x.
func BenchmarkHTMLOverhead(b *testing.B) {
	rich := sanitize.RichTextPolicy()
	strict := bluemonday.StrictPolicy()
	strict.AddSpaceWhenStrippingTag(true)
	_, _ = sanitize.HTML(doc10K), sanitize.StripHTML(doc10K)
	b.Run("HTML", func(b *testing.B) {
		b.ReportAllocs()
		pairedRatio(b, func() { _ = rich.Sanitize(doc10K) }, func() { _ = sanitize.HTML(doc10K) })
	})
	b.Run("StripHTML", func(b *testing.B) {
		b.ReportAllocs()
		pairedRatio(b, func() { _ = strict.Sanitize(doc10K) }, func() { _ = sanitize.StripHTML(doc10K) })
	})
}

// BenchmarkDecodeJSONRatio measures DecodeJSON against a plain json.Decoder on the 4 KiB
// body, interleaved. Target: at most 1.5x.
func BenchmarkDecodeJSONRatio(b *testing.B) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = int64(len(body4K))
	w := httptest.NewRecorder()
	b.ReportAllocs()
	pairedRatio(b, func() {
		r.Body = io.NopCloser(bytes.NewReader(body4K))
		var v benchBody
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			b.Fatal(err)
		}
	}, func() {
		r.Body = io.NopCloser(bytes.NewReader(body4K))
		var v benchBody
		if err := sanitize.DecodeJSON(w, r, &v); err != nil {
			b.Fatal(err)
		}
	})
}
