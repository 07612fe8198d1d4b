package logredact_test

import (
	"bytes"
	"errors"
	"io"
	"log"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-go/rampart/logredact"
	"github.com/rampart-go/rampart/logredact/redacttest"
)

// TestWriterSplitWrites writes each planted secret in a line split at every possible position into
// two Write calls and requires the same output as one Write.
func TestWriterSplitWrites(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, p := range redacttest.Plants() {
		line := "ts=2026-01-02T03:04:05Z detail=" + p.Value + " end\n"
		want := r.Redact(line)
		for cut := 0; cut <= len(line); cut++ {
			var buf bytes.Buffer
			w := r.Writer(&buf)
			if _, err := io.WriteString(w, line[:cut]); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w, line[cut:]); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != want {
				t.Fatalf("%s split at %d: got %q, want %q", p.Kind, cut, buf.String(), want)
			}
			for _, leak := range p.Leaks {
				if strings.Contains(buf.String(), leak) {
					t.Fatalf("%s split at %d leaked %q: %q", p.Kind, cut, leak, buf.String())
				}
			}
		}
	}
}

// TestWriterFlushMidValue: a Flush in the middle of a sensitive value does not let the rest of the
// value through: a bare value is dropped up to the next space or quote, a value that runs to the
// end of its line up to the end of the line.
func TestWriterFlushMidValue(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	gh := redacttest.FakeGitHubToken()
	tests := []struct {
		name, before, after, want string
	}{
		{"bare", "auth ok token=" + gh[:10], gh[10:] + " user=bob\n", "auth ok token=[REDACTED:field] user=bob\n"},
		{"bare to the end of the line", "password=hunt", "er2\nnext\n", "password=[REDACTED:field]\nnext\n"},
		{"bare up to a quote", `{"q":"password=hunt`, `er2","u":"bob"}` + "\n", `{"q":"password=[REDACTED:field]","u":"bob"}` + "\n"},
		{"key: value", "X-Api-Key: k7Hq", "2mZpXw more\nnext\n", "X-Api-Key: [REDACTED:field]\nnext\n"},
		{"Authorization", "Authorization: Digest username=bob, resp", "onse=abc123\nnext\n", "Authorization: Digest [REDACTED:field]\nnext\n"},
		{"unclosed structured value", "token=[k7Hq", "2mZpXw] user=bob\nnext\n", "token=[REDACTED:field]\nnext\n"},
		{"bracket inside a structured value", "map[Password:[abc]", "def] rest\nnext\n", "map[Password:[[REDACTED:field]]\nnext\n"},
		{"bracket inside a bare value", `{"token":abc}`, `def}` + "\nnext\n", `{"token":[REDACTED:field]}` + "\nnext\n"},
		{"more brackets", "map[Password:[abc]", "]def] rest\n", "map[Password:[[REDACTED:field]]\n"},
		{"bracket that ends the value", "map[Password:[abc]", " User:bob]\n", "map[Password:[[REDACTED:field]] User:bob]\n"},
		{"bracket inside a key=value", "secret=[abc]", "def user=bob\n", "secret=[[REDACTED:field]] user=bob\n"},
		{"escaped quote cut in two", `{"msg":"{\"token\":\`, `"hunter2\",\"user\":1}"}` + "\n", `{"msg":"{\"token\":[REDACTED:field]\",\"user\":1}"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := writeFlushed(t, r, tt.before, tt.after); got != tt.want {
				t.Errorf("Write(%q), Flush, Write(%q) wrote %q, want %q", tt.before, tt.after, got, tt.want)
			}
		})
	}
}

// TestWriterFlushBeforeValue: a Flush (or a run of them) between a sensitive key's separator and
// the first byte of its value does not part the value from its key: the value that arrives next
// is redacted as Redact redacts the whole line.
func TestWriterFlushBeforeValue(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	tests := []struct {
		name  string
		parts []string // written with a Flush after each
		want  string
	}{
		{"bare", []string{"password=", "hunter2 user=bob\n"}, "password=[REDACTED:field] user=bob\n"},
		{"shortest key", []string{"pw=", "hunter2\n"}, "pw=[REDACTED:field]\n"},
		{"spaces before the value", []string{"password = ", "hunter2 user=bob\n"}, "password = [REDACTED:field] user=bob\n"},
		{"spaces in a later part", []string{"password=", "  ", " hunter2 user=bob\n"}, "password=   [REDACTED:field] user=bob\n"},
		{"=>", []string{"password =>", " hunter2 user=bob\n"}, "password => [REDACTED:field] user=bob\n"},
		{"key: value", []string{"token: ", "hunter2 rest\n"}, "token: [REDACTED:field]\n"},
		{"quoted key, quote in the next part", []string{`{"password": `, `"hunter2 two","user":"bob"}` + "\n"}, `{"password": "[REDACTED:field]","user":"bob"}` + "\n"},
		{"quoted value not started", []string{`{"password":"`, `hunter2","user":"bob"}` + "\n"}, `{"password":"[REDACTED:field]","user":"bob"}` + "\n"},
		{"escaped quotes", []string{`{"msg":"{\"token\":\"`, `hunter2\",\"user\":1}"}` + "\n"}, `{"msg":"{\"token\":\"[REDACTED:field]\",\"user\":1}"}` + "\n"},
		{"URL query", []string{"GET /cb?state=x&code=", "hunter2&next=%2F HTTP/1.1\n"}, "GET /cb?state=x&code=[REDACTED:query]&next=%2F HTTP/1.1\n"},
		{"structured", []string{"token=", "[hunter2] user=bob\n"}, "token=[[REDACTED:field]] user=bob\n"},
		{"Authorization: Bearer", []string{"Authorization: Bearer ", "abc.def\n"}, "Authorization: Bearer [REDACTED:bearer]\n"},
		{"Authorization, scheme not started", []string{"Authorization: ", "Bearer abc.def\n"}, "Authorization: Bearer [REDACTED:bearer]\n"},
		{"Authorization: Digest", []string{"Authorization: Digest ", "username=bob, response=abc123\n"}, "Authorization: Digest [REDACTED:field]\n"},
		{"key=Bearer", []string{"token=Bearer ", "abc x\n"}, "token=Bearer [REDACTED:bearer] x\n"},
		{"key: Basic", []string{"proxy_token: Basic ", "dXNlcjpwYXNz\n"}, "proxy_token: Basic [REDACTED:basic]\n"},
		{"free-text Bearer", []string{"sent Bearer ", "abcdefgh1 to upstream\n"}, "sent Bearer [REDACTED:bearer] to upstream\n"},
		{"after a redaction", []string{"mail jane@example.com password=", "hunter2 x=1\n"}, "mail [REDACTED:email] password=[REDACTED:field] x=1\n"},
		// Nothing follows on the line: the key is written as it is, and the next line is its own.
		{"line ends", []string{"password=", "\nhunter2\n"}, "password=\nhunter2\n"},
		{"line ends after a scheme", []string{"token: Bearer ", "\nabcdefgh\n"}, "token: Bearer \nabcdefgh\n"},
		{"not sensitive", []string{"user=", "bob password=", "x\n"}, "user=bob password=[REDACTED:field]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := writeFlushed(t, r, tt.parts...); got != tt.want {
				t.Errorf("Writer(%q), Flush after each = %q, want %q", tt.parts, got, tt.want)
			}
			if whole := strings.Join(tt.parts, ""); r.Redact(whole) != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", whole, r.Redact(whole), tt.want)
			}
		})
	}
	// A key that, seen without the '+' before it, starts with a card number: the key is written
	// already and cannot be redacted after all, so the rest of the line is dropped.
	var buf bytes.Buffer
	w := r.Writer(&buf)
	_, _ = io.WriteString(w, "+4111-1111-1111-1111-token=")
	_ = w.Flush()
	_, _ = io.WriteString(w, "hunter2 rest\nnext\n")
	_ = w.Close()
	if got, want := buf.String(), "+4111-1111-1111-1111-token=\nnext\n"; got != want {
		t.Errorf("Writer(%q), Flush, Write(%q) = %q, want %q", "+4111-1111-1111-1111-token=", "hunter2 rest\nnext\n", got, want)
	}
}

func TestWriterByteAtATime(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	in := "a=1 token=abc\nsecond " + redacttest.FakeStripeKey() + " x\nno newline a@b.example"
	var buf bytes.Buffer
	w := r.Writer(&buf)
	for i := 0; i < len(in); i++ {
		if _, err := w.Write([]byte{in[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() == 0 || strings.Contains(buf.String(), "no newline") {
		t.Fatalf("complete lines must be written at once and the partial line held: %q", buf.String())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "a=1 token=[REDACTED:field]\nsecond [REDACTED:stripe] x\nno newline [REDACTED:email]"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestWriterPEMAcrossLines(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	key := redacttest.FakePrivateKey()
	in := "loading key\nkey=" + key + " loaded\nnext line\n"
	for _, chunk := range []int{1, 3, 7, 64, len(in)} {
		var buf bytes.Buffer
		w := r.Writer(&buf)
		for i := 0; i < len(in); i += chunk {
			if _, err := io.WriteString(w, in[i:min(len(in), i+chunk)]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		want := "loading key\nkey=[REDACTED:private-key] loaded\nnext line\n"
		if buf.String() != want {
			t.Errorf("chunk %d: got %q, want %q", chunk, buf.String(), want)
		}
	}
}

// TestWriterPEMEdges: a one-line (JSON-escaped) key block ending exactly at the end of its line
// must not swallow the next line; a key block swallowed by a sensitive value is removed whole.
func TestWriterPEMEdges(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	key := redacttest.FakePrivateKey()
	oneLine := strings.ReplaceAll(key, "\n", `\n`)
	tests := []struct{ in, want string }{
		{"k=" + oneLine + "\nnext\n", "k=[REDACTED:private-key]\nnext\n"},
		{"pw: " + key + " tail\nnext\n", "pw: [REDACTED:private-key] tail\nnext\n"},
		{`{"password":"` + oneLine + `"}` + "\nnext\n", `{"password":"[REDACTED:field]"}` + "\nnext\n"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got  %q\n want %q", tt.in, got, tt.want)
		}
		var buf bytes.Buffer
		w := r.Writer(&buf)
		_, _ = io.WriteString(w, tt.in)
		_ = w.Close()
		if buf.String() != tt.want {
			t.Errorf("Writer(%q)\n got  %q\n want %q", tt.in, buf.String(), tt.want)
		}
	}
}

func TestWriterUnterminatedPEM(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	var buf bytes.Buffer
	w := r.Writer(&buf)
	key := redacttest.FakePrivateKey()
	body := key[:strings.Index(key, "-----END")]
	_, _ = io.WriteString(w, body+"bW9yZSBib2R5\n\nYW5kIG1vcmU=\n")
	_ = w.Close()
	if strings.Contains(buf.String(), "MIIB") || strings.Contains(buf.String(), "bW9y") || strings.Contains(buf.String(), "YW5k") {
		t.Errorf("a key block without END leaked: %q", buf.String())
	}
}

// TestWriterPlantedBEGIN: a BEGIN line an attacker plants (as a user name, say) must not silence
// the lines after it. A block with no END line ends at the first line that is not key material.
func TestWriterPlantedBEGIN(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	var buf bytes.Buffer
	w := r.Writer(&buf)
	lines := []string{
		"login failed user=-----BEGIN RSA PRIVATE KEY-----\n",
		"2026/01/02 03:04:05 admin password changed from 192.0.2.7\n",
		"2026/01/02 03:04:06 audit log cleared\n",
	}
	for _, l := range lines {
		_, _ = io.WriteString(w, l[:len(l)/2]) // in two writes, as a stream may arrive
		_, _ = io.WriteString(w, l[len(l)/2:])
	}
	_ = w.Close()
	want := "login failed user=[REDACTED:private-key]\n" + lines[1] + lines[2]
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
	// Redact alike: the block ends before the first line of ordinary text, and a header, blank and
	// base64 lines stay inside it.
	in := "-----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nDEK-Info: AES-128-CBC,00\r\n\r\nMIIEow+/=\r\nnext: line\n"
	if got, want := r.Redact(in), "[REDACTED:private-key]\nnext: line\n"; got != want {
		t.Errorf("Redact(%q) = %q, want %q", in, got, want)
	}
	planted := strings.Repeat("u=-----BEGIN PRIVATE KEY-----\nok then\n", 3)
	if got, want := r.Redact(planted), strings.Repeat("u=[REDACTED:private-key]\nok then\n", 3); got != want {
		t.Errorf("Redact(%q) = %q, want %q", planted, got, want)
	}
	yaml := "tls:\n  key: |\n    -----BEGIN EC PRIVATE KEY-----\n    MHcCAQEEI\n    -----END EC PRIVATE KEY-----\n  port: 443\n"
	if got, want := r.Redact(yaml), "tls:\n  key: |\n    [REDACTED:private-key]\n  port: 443\n"; got != want {
		t.Errorf("Redact(%q) = %q, want %q", yaml, got, want)
	}
	var yb bytes.Buffer
	yw := r.Writer(&yb)
	_, _ = io.WriteString(yw, strings.ReplaceAll(yaml, "-----END", "")) // no END: indented body still hidden
	_ = yw.Close()
	if strings.Contains(yb.String(), "MHcC") || !strings.Contains(yb.String(), "port: 443") {
		t.Errorf("Writer(YAML without END) = %q", yb.String())
	}
}

func TestWriterLongLines(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	gh := redacttest.FakeGitHubToken()
	var sb strings.Builder
	for sb.Len() < 5000 {
		sb.WriteString("word ")
		sb.WriteString(gh)
		sb.WriteString(" password=hunter2hunter2 user=bob card 4111 1111 1111 1111, Bearer abcdefgh12345678 ")
	}
	line := sb.String()
	for _, chunk := range []int{1, 100, 1000, len(line)} {
		var buf bytes.Buffer
		w := r.Writer(&buf)
		for i := 0; i < len(line); i += chunk {
			_, _ = io.WriteString(w, line[i:min(len(line), i+chunk)])
		}
		_, _ = io.WriteString(w, "\n")
		_ = w.Close()
		out := buf.String()
		for _, leak := range []string{gh[4:20], "hunter2", "4111 1111", "abcdefgh1234"} {
			if strings.Contains(out, leak) {
				t.Errorf("chunk %d: over-long line leaked %q", chunk, leak)
			}
		}
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
			t.Errorf("chunk %d: an over-long line must stay one line, got %d newlines", chunk, strings.Count(out, "\n"))
		}
		if n := strings.Count(out, "[REDACTED:github]"); n != strings.Count(line, gh) {
			t.Errorf("chunk %d: %d github markers, want %d", chunk, n, strings.Count(line, gh))
		}
	}
}

// TestWriterLongLineSpacedKey: the Writer does not cut an over-long line in the spaces between a
// key and its separator ("password      = hunter2"), which would part the key from its value.
func TestWriterLongLineSpacedKey(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	for pad := 0; pad < 24; pad++ {
		line := strings.Repeat("x", pad) + strings.Repeat(" w", 300) + strings.Repeat(" password            = hunter2", 100)
		var buf bytes.Buffer
		w := r.Writer(&buf)
		_, _ = io.WriteString(w, line+"\n")
		_ = w.Close()
		if strings.Contains(buf.String(), "hunter2") {
			t.Errorf("pad %d: a value after a spaced separator leaked across a cut", pad)
		}
	}
}

// TestWriterCutBeforeValue: the Writer may cut an over-long line after the spaces that follow a
// key's "=>" or an Authorization scheme; the value after the cut is still redacted. Each line is
// tried at many alignments, so that the cut lands just before the value.
func TestWriterCutBeforeValue(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	for _, tc := range []struct{ name, value, leak string }{
		{"=>", " password => " + strings.Repeat("hunter2", 30), "hunter2"},
		{"quoted =>", ` "password" => "` + strings.Repeat("hunter2", 30) + `"`, "hunter2"},
		{"Authorization: Digest", " Authorization: Digest response=" + strings.Repeat("abc123", 30), "abc123"},
	} {
		for pad := 0; pad < 64; pad++ {
			line := strings.Repeat("x", pad) + strings.Repeat(" w", 430) + tc.value + " end"
			var buf bytes.Buffer
			w := r.Writer(&buf)
			_, _ = io.WriteString(w, line+"\n")
			_ = w.Close()
			if got := buf.String(); strings.Contains(got, tc.leak) {
				t.Errorf("%s, pad %d: Writer(%q) = %q, leaks %q", tc.name, pad, line[len(line)-len(tc.value)-4:], got[max(0, len(got)-len(tc.value)-40):], tc.leak)
			}
		}
	}
}

func TestWriterOverlongRun(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	run := strings.Repeat("A", 3000) + redacttest.FakeGitHubToken() + strings.Repeat("B", 3000)
	var buf bytes.Buffer
	w := r.Writer(&buf)
	_, _ = io.WriteString(w, "start "+run+" tail\n")
	_ = w.Close()
	want := "start [REDACTED:overlong] tail\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

// TestWriterOverlongValue: an over-long run right after a sensitive key's separator is that key's
// value: it is replaced, and so is the rest of the line, where a quoted value goes on.
func TestWriterOverlongValue(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	in := `{"password": "` + strings.Repeat("S", 3000) + ` more words","user":"bob"}` + "\nnext\n"
	var buf bytes.Buffer
	w := r.Writer(&buf)
	_, _ = io.WriteString(w, in)
	_ = w.Close()
	if got, want := buf.String(), `{"password": [REDACTED:overlong]`+"\nnext\n"; got != want {
		t.Errorf("Writer(%q) = %q, want %q", in[:20]+"...", got, want)
	}
}

func TestWriterLongQuotedValue(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	val := strings.Repeat("secret words ", 300)
	var buf bytes.Buffer
	w := r.Writer(&buf)
	_, _ = io.WriteString(w, `{"msg":"x","password":"`+val+`","ok":true}`+"\n")
	_ = w.Close()
	if strings.Contains(buf.String(), "secret words") {
		t.Errorf("a long sensitive quoted value leaked: %q", buf.String())
	}
	if !strings.HasSuffix(buf.String(), `","ok":true}`+"\n") {
		t.Errorf("text after the value was lost: %q", buf.String())
	}
}

type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errDisk
}

func TestWriterErrors(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	fw := &failWriter{}
	w := r.Writer(fw)
	if _, err := io.WriteString(w, "line\n"); !errors.Is(err, errDisk) {
		t.Errorf("Write error = %v, want %v", err, errDisk)
	}
	if _, err := io.WriteString(w, "line\n"); !errors.Is(err, errDisk) {
		t.Errorf("second Write error = %v, want the sticky %v", err, errDisk)
	}
	if fw.n != 1 {
		t.Errorf("underlying writer called %d times after an error, want 1", fw.n)
	}
	var buf bytes.Buffer
	w = r.Writer(&buf)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := io.WriteString(w, "x\n"); !errors.Is(err, logredact.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}

func TestWriterConcurrent(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	var buf bytes.Buffer
	w := r.Writer(&buf)
	l := log.New(w, "", 0)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 100; i++ {
				l.Printf("worker token=%s n=%d", "abc123", i)
			}
		})
	}
	wg.Wait()
	_ = w.Close()
	if got := strings.Count(buf.String(), "token=[REDACTED:field] n="); got != 800 {
		t.Errorf("got %d redacted lines, want 800", got)
	}
}

func TestWriterRedacttest(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	redacttest.CheckWriter(t, func(w io.Writer) io.Writer { return r.Writer(w) })
}

// TestWriterRestOfLineAcrossCut: a "key: value" value runs to the end of its line, so when the
// Writer cuts a long line (or a Flush comes) after a space inside it, the rest of the line is
// still the value: it must not be written.
func TestWriterRestOfLineAcrossCut(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	for _, tc := range []struct{ name, line string }{
		{"key: value", "password: hunter2 " + strings.Repeat("word ", 300) + "zzsecretzz\n"},
		{"cookie", "Cookie: a=b; " + strings.Repeat("c=d; ", 300) + "sid=zzsecretzz\n"},
		{"Authorization parameters", "Authorization: Digest username=bob, " + strings.Repeat("x=y, ", 300) + "response=zzsecretzz\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := r.Writer(&buf)
			_, _ = io.WriteString(w, tc.line)
			_ = w.Close()
			if strings.Contains(buf.String(), "zzsecretzz") {
				t.Errorf("Write(%.40q...) leaked the end of the value: %.80q...", tc.line, buf.String()[max(0, buf.Len()-80):])
			}
		})
	}
	for _, tc := range []struct{ before, after string }{
		{"password: hunter2 ", "other=zzsecretzz\n"},
		{"Authorization: Digest username=bob, ", "response=zzsecretzz\n"},
	} {
		if got := writeFlushed(t, r, tc.before, tc.after); strings.Contains(got, "zzsecretzz") {
			t.Errorf("Write(%q), Flush, Write(%q) wrote %q", tc.before, tc.after, got)
		}
	}
}

// TestWriterFlushInsideCredentials: a Flush inside the credentials after a Bearer or Basic
// scheme keeps them open: the rest of them is dropped when it arrives.
func TestWriterFlushInsideCredentials(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, tc := range []struct{ before, after string }{
		{"Authorization: Bearer abcdefghijklmnopqrst", "zzsecretzz rest\n"},
		{"token=Bearer abcdefghijklmnopqrst", "zzsecretzz rest\n"},
		{"Authorization: Basic dXNlcjpw", "zzsecretzz== rest\n"},
		{"curl -H 'Authorization: Bearer abcdefghijklmnopqrst", "zzsecretzz' x\n"},
	} {
		if got := writeFlushed(t, r, tc.before, tc.after); strings.Contains(got, "zzsecretzz") || !strings.Contains(got, "rest") && !strings.Contains(got, " x") {
			t.Errorf("Write(%q), Flush, Write(%q) wrote %q", tc.before, tc.after, got)
		}
	}
}

// TestWriterBracketValueFlushedTwice: a value whose bracket turned out to be part of it goes on
// across a second Flush, up to the space that ends it.
func TestWriterBracketValueFlushedTwice(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	if got, want := writeFlushed(t, r, "secret=[abc]", "de", "fzz user=bob\n"), "secret=[[REDACTED:field]] user=bob\n"; got != want {
		t.Errorf("Writer wrote %q, want %q", got, want)
	}
}

// writeFlushed writes the parts through r's Writer with a Flush after each, closes it, and
// returns what it wrote.
func writeFlushed(t *testing.T, r *logredact.Redactor, parts ...string) string {
	t.Helper()
	var buf bytes.Buffer
	w := r.Writer(&buf)
	for _, p := range parts {
		if _, err := io.WriteString(w, p); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestWriterLongLinePEM: a private-key block whose BEGIN line is longer than MaxLine is not let
// through by the cut that splits that line, whether the cut falls before the BEGIN marker, inside
// it, or inside a run too long to judge, and whatever the chunking of the writes.
func TestWriterLongLinePEM(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	var key string
	for _, p := range redacttest.Plants() {
		if p.Kind == "private-key" {
			key = p.Value
		}
	}
	for _, tc := range []struct{ name, prefix string }{
		{"run then marker", strings.Repeat("0", 998) + " "},
		{"words then marker", strings.Repeat("0 ", 499) + " "},
		{"marker inside a long run", strings.Repeat("x", 1000)},
		{"marker at the limit", strings.Repeat("ab ", 330) + "abcdefg "},
	} {
		for _, step := range []int{1, 7, 80, 4096} {
			in := tc.prefix + key + " 0\nnext line\n"
			var buf bytes.Buffer
			w := r.Writer(&buf)
			for i := 0; i < len(in); i += step {
				_, _ = io.WriteString(w, in[i:min(len(in), i+step)])
			}
			_ = w.Close()
			if out := buf.String(); strings.Contains(out, "MIIB") || !strings.HasSuffix(out, "next line\n") {
				t.Errorf("%s, writes of %d: %q", tc.name, step, out[max(0, len(out)-200):])
			}
		}
	}
}

// TestWriterFlushBetweenWords: a Flush anywhere after the key of a line whose "key=" value runs
// over several words (or two Flushes) writes what Redact writes for the whole line, so no word of the value
// escapes and the blanks around it stay as they were.
func TestWriterFlushBetweenWords(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	lines := []string{
		"password=correct horse battery staple user=bob\n",
		"x password=correct horse   battery\n",
		"login token=abc def  user = bob\n",
		`{"q":"password=correct horse","u":1}` + "\n",
		"password=correct horse [REDACTED:email] x\n",
		"password=a  \n",
		"password=correct basic horse\n",
		"password=correct horse basic\n",
		"password=don't tell x=1\n",
		"pw=a\vb\fc d=1\n",
	}
	for _, line := range lines {
		want := r.Redact(line)
		// From the key's separator on: a Flush inside the key or before its "=" is the documented limit.
		for i := strings.Index(line, "=") + 1; i < len(line); i++ {
			for j := i; j < len(line); j += 3 {
				parts := []string{line[:i], line[i:j], line[j:]}
				if got := writeFlushed(t, r, parts...); got != want {
					t.Fatalf("Writer(%q), Flush after each = %q, want %q (Redact)", parts, got, want)
				}
			}
		}
	}
}

// TestWriterOverlongWordInValue: a word of a multi-word "key=" value that a Flush cut and that
// then runs on past the line limit is dropped with the over-long run; what follows the run is
// judged as after any word of the value, so the held start of the word is never written.
func TestWriterOverlongWordInValue(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	for _, after := range []string{" =x user=bob\n", " user=bob\n", ":x\n", " more words\n"} {
		got := writeFlushed(t, r, "password=correct horse", strings.Repeat("x", 2000)+after)
		if strings.Contains(got, "correct") || strings.Contains(got, "horse") {
			t.Errorf("after %q: a word of the value leaked: %q", after, got)
		}
		if strings.Contains(after, "user=bob") && !strings.Contains(got, "user=bob") {
			t.Errorf("after %q: the next field was lost: %q", after, got)
		}
	}
}

// TestWriterHeldTextScanned: what the Writer holds back after a multi-word value (a last word
// that may be the next field's key) is scanned with the next piece, never written as it came,
// and cannot grow past the line limit however many Flushes extend it.
func TestWriterHeldTextScanned(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	gh := redacttest.FakeGitHubToken()
	tests := [][]string{
		{"password=hunter2 card 4111111111111111", ": declined\n"},
		{"password=hunter2 mail jane@example.com", " = x\n"},
		{"password=abc " + gh, "=x\n"},
		{"password=correct basic", " horse battery\n"},
		{"password=correct basic ", "horse battery\n"},
		{"password=a b pass", "word=secret\n"},
	}
	for _, parts := range tests {
		want := r.Redact(strings.Join(parts, ""))
		if got := writeFlushed(t, r, parts...); got != want {
			t.Errorf("Writer(%q), Flush after each = %q, want %q (Redact)", parts, got, want)
		}
	}
	parts := []string{"password=hunter2 x"}
	for range 5000 {
		parts = append(parts, strings.Repeat("y", 1000))
	}
	parts = append(parts, "@example.com=1\n")
	got := writeFlushed(t, r, parts...)
	if len(got) > 4096 || !strings.Contains(got, "[REDACTED:overlong]") || strings.Contains(got, "yyy") {
		t.Errorf("a held word extended by 5,000 Flushes: %d bytes out, want it dropped as over-long: %.200q", len(got), got)
	}
}

// TestWriterKeyBlockAfterWords: a private-key block after a multi-word "key=" value is replaced
// whole, whether a Flush or a long-line cut falls in the value's words or not.
func TestWriterKeyBlockAfterWords(t *testing.T) {
	key := redacttest.FakePrivateKey()
	body := strings.Split(key, "\n")[1][:24]
	r := logredact.MustNew(logredact.Config{})
	for _, parts := range [][]string{
		{"password=correct horse ", key + "\n"},
		{"password=correct horse", " " + key + "\n"},
		{"password=correct ", "horse " + key + "\n"},
	} {
		got := writeFlushed(t, r, parts...)
		if strings.Contains(got, body) {
			t.Errorf("Writer(%q), Flush after each: the key block leaked: %q", parts, got)
		}
		if want := r.Redact(strings.Join(parts, "")); got != want {
			t.Errorf("Writer(%q), Flush after each = %q, want %q (Redact)", parts, got, want)
		}
	}
	long := logredact.MustNew(logredact.Config{MaxLine: 1024})
	for n := 180; n < 230; n++ {
		line := "password=" + strings.Repeat("word ", n) + key + "\n"
		var buf bytes.Buffer
		w := long.Writer(&buf)
		_, _ = io.WriteString(w, line)
		_ = w.Close()
		if strings.Contains(buf.String(), body) {
			t.Fatalf("%d words: the key block after a cut value leaked: %q", n, buf.String())
		}
	}
}

// TestWriterKeyInsideOverlongRun: a sensitive "key=" inside a run that the Writer drops as too
// long still makes the words after the run the value's, as Redact takes them.
func TestWriterKeyInsideOverlongRun(t *testing.T) {
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	for _, line := range []string{
		strings.Repeat("a", 1100) + ";password=correct horse battery staple user=bob\n",
		"password=" + strings.Repeat("a", 1100) + " horse battery staple user=bob\n",
		strings.Repeat("a", 1100) + ";password= hunter2 user=bob\n",
	} {
		var buf bytes.Buffer
		w := r.Writer(&buf)
		_, _ = io.WriteString(w, line)
		_ = w.Close()
		for _, leak := range []string{"horse", "battery", "staple", "hunter2"} {
			if strings.Contains(buf.String(), leak) {
				t.Errorf("%.40q...: %q leaked after the over-long run: %q", line, leak, buf.String())
			}
		}
	}
}
