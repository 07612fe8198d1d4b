package logredact_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rampart-go/rampart/logredact"
	"github.com/rampart-go/rampart/logredact/redacttest"
)

func addSeeds(f *testing.F) {
	for _, p := range redacttest.Plants() {
		f.Add("x " + p.Value + " y")
	}
	for _, l := range []string{
		"", "[REDACTED", "[REDACTED:card:****1111]", "password=", `"password":"`, `\"token\":\"a`,
		"Authorization: Digest a=b", "-----BEGIN PRIVATE KEY-----", "a@b.co@c.de", "4111 1111 1111 1111 1111",
		"0.4111111111111111", "+4111111111111111", "https://u:p@h/?token=x&sig=y#z", "eyJhbGciOiJub25lIn0.e30.",
		"Bearer Bearer abcdefgh1", "xoxb-1-2-3-4-5-6-7-8-9", "rk_" + strings.Repeat("A", 32) + "_000000",
	} {
		f.Add(l)
	}
}

// FuzzRedact: the scanner never panics, grows its input at most by a constant factor, is
// idempotent, agrees between its string and byte forms, and agrees with the Writer.
func FuzzRedact(f *testing.F) {
	addSeeds(f)
	key := bytes.Repeat([]byte{1}, 32)
	rs := []*logredact.Redactor{
		logredact.MustNew(logredact.Config{}),
		logredact.MustNew(logredact.Config{Mode: logredact.Partial}),
		logredact.MustNew(logredact.Config{Mode: logredact.Pseudonym, PseudonymKey: key}),
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range rs {
			out := r.Redact(s)
			if logredact.QuickClean(s) && out != s {
				t.Fatalf("the quick screen passed %q, which Redact changes to %q", s, out)
			}
			if len(out) > 8*len(s)+64 {
				t.Fatalf("Redact grew %d bytes to %d", len(s), len(out))
			}
			if again := r.Redact(out); again != out {
				t.Fatalf("not idempotent:\n in    %q\n once  %q\n twice %q", s, out, again)
			}
			if b := r.Append([]byte("p:"), []byte(s)); string(b) != "p:"+out {
				t.Fatalf("Append = %q, want %q", b, "p:"+out)
			}
			var buf bytes.Buffer
			w := r.Writer(&buf)
			half := len(s) / 2
			_, _ = io.WriteString(w, s[:half])
			_, _ = io.WriteString(w, s[half:])
			_ = w.Close()
			if buf.String() != out {
				t.Fatalf("Writer and Redact disagree on %q:\n writer %q\n redact %q", s, buf.String(), out)
			}
		}
	})
}

// FuzzPlanted: a planted fake secret never survives, whatever surrounds it.
func FuzzPlanted(f *testing.F) {
	f.Add("", "", uint8(0))
	f.Add("password:", "}", uint8(3))
	f.Add(`{"a":"`, `"}`, uint8(7))
	f.Add("4111", "1111", uint8(1))
	f.Add("Bearer", "x", uint8(9))
	r := logredact.MustNew(logredact.Config{})
	plants := redacttest.Plants()
	f.Fuzz(func(t *testing.T, prefix, suffix string, which uint8) {
		p := plants[int(which)%len(plants)]
		in := prefix + " " + p.Value + " " + suffix
		out := r.Redact(in)
		for _, leak := range p.Leaks {
			if strings.Contains(prefix, leak) || strings.Contains(suffix, leak) {
				continue
			}
			if strings.Contains(out, leak) {
				t.Fatalf("%s secret %q survived in %q", p.Kind, leak, out)
			}
		}
	})
}

// FuzzSecretUnmarshal: decoding a Secret never panics, and an encoded Secret never shows the value.
func FuzzSecretUnmarshal(f *testing.F) {
	f.Add([]byte(`"hunter2"`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"\u0000"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s logredact.Secret
		if err := json.Unmarshal(b, &s); err != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != `"[REDACTED]"` {
			t.Fatalf("Marshal = %s", out)
		}
		if v := s.Reveal(); len(v) > 3 && utf8.ValidString(v) && strings.Contains(string(out), v) {
			t.Fatalf("value %q leaked", v)
		}
	})
}

// FuzzWriterChunks: through a Writer with the smallest line limit, fed in arbitrary chunks, a
// planted secret never survives, whatever text surrounds it, and nothing panics.
func FuzzWriterChunks(f *testing.F) {
	f.Add([]byte("a b c"), []byte(strings.Repeat("x ", 600)), uint8(0), uint16(7))
	f.Add([]byte(strings.Repeat("y", 2000)), []byte("\n"), uint8(5), uint16(1))
	f.Add([]byte(`{"password":"`), []byte(strings.Repeat("w ", 700)+`"}`), uint8(13), uint16(333))
	r := logredact.MustNew(logredact.Config{MaxLine: 1024})
	plants := redacttest.Plants()
	f.Fuzz(func(t *testing.T, before, after []byte, which uint8, chunk uint16) {
		p := plants[int(which)%len(plants)]
		before, after = before[:min(len(before), 8<<10)], after[:min(len(after), 8<<10)] // keep execs fast
		in := string(before) + " " + p.Value + " " + string(after) + "\n"
		var buf bytes.Buffer
		w := r.Writer(&buf)
		step := int(chunk%2048) + 1
		for i := 0; i < len(in); i += step {
			_, _ = io.WriteString(w, in[i:min(len(in), i+step)])
		}
		_ = w.Close()
		if buf.Len() > 8*len(in)+64 {
			t.Fatalf("Writer grew %d bytes to %d", len(in), buf.Len())
		}
		for _, leak := range p.Leaks {
			if strings.Contains(string(before), leak) || strings.Contains(string(after), leak) {
				continue
			}
			if strings.Contains(buf.String(), leak) {
				t.Fatalf("%s secret %q survived (chunk %d): %q", p.Kind, leak, step, buf.String())
			}
		}
	})
}

// FuzzWriterFlushWords: a "key=" value of several words, cut by two Flushes anywhere after the
// '=', comes out of a Writer exactly as Redact writes the whole line, with or without its final
// newline, and Redact treats the end of the text as the end of a line. The value's text is drawn
// from letters, blanks, separators and quotes, so that no other detector fires and the words,
// spaced keys and quotes of valueWords meet every kind of cut.
func FuzzWriterFlushWords(f *testing.F) {
	f.Add([]byte("correct horse battery user=bob"), uint16(3), uint16(17))
	f.Add([]byte("a b  c = d"), uint16(5), uint16(6))
	f.Add([]byte(`a "b" c:d`), uint16(1), uint16(9))
	r := logredact.MustNew(logredact.Config{})
	const alphabet = "ab \t=:\"'"
	f.Fuzz(func(t *testing.T, raw []byte, i, j uint16) {
		raw = raw[:min(len(raw), 64)]
		v := make([]byte, len(raw))
		for k, c := range raw {
			v[k] = alphabet[int(c)%len(alphabet)]
		}
		line := "password=" + string(v) + "\n"
		a := len("password=") + int(i)%(len(v)+1)
		b := a + int(j)%(len(line)-a)
		want := r.Redact(line)
		if got := writeFlushed(t, r, line[:a], line[a:b], line[b:]); got != want {
			t.Fatalf("Writer(%q, %q, %q), Flush after each = %q, want %q (Redact)", line[:a], line[a:b], line[b:], got, want)
		}
		// Without the newline, Close ends the line.
		line = line[:len(line)-1]
		b = min(b, len(line))
		want = r.Redact(line)
		if got := writeFlushed(t, r, line[:a], line[a:b], line[b:]); got != want {
			t.Fatalf("Writer(%q, %q, %q), Flush after each, Close = %q, want %q (Redact)", line[:a], line[a:b], line[b:], got, want)
		}
		if r.Redact(line+"\n") != want+"\n" {
			t.Fatalf("Redact(%q) = %q but Redact of it with a newline = %q", line, want, r.Redact(line+"\n"))
		}
	})
}
