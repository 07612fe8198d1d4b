package redacttest_test

import (
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/logredact/redacttest"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.fatal = true
}

func TestCheckCatchesLeaks(t *testing.T) {
	rec := &recorder{TB: t}
	redacttest.Check(rec, func(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) })
	for _, p := range redacttest.Plants() {
		found := false
		for _, e := range rec.errors {
			if strings.Contains(e, " "+p.Kind+" secret") {
				found = true
			}
		}
		if !found {
			t.Errorf("Check did not report the %s secret leaked by a plain JSON handler", p.Kind)
		}
	}
}

func TestCheckRejectsSilence(t *testing.T) {
	rec := &recorder{TB: t}
	redacttest.Check(rec, func(io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) })
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "wrote nothing") {
		t.Errorf("a logger that writes nothing must fail once, got %q", rec.errors)
	}
}

func TestCheckWriterCatchesLeaks(t *testing.T) {
	rec := &recorder{TB: t}
	redacttest.CheckWriter(rec, func(w io.Writer) io.Writer { return w })
	if len(rec.errors) < len(redacttest.Plants()) {
		t.Errorf("a pass-through writer leaked everything but only %d errors were reported", len(rec.errors))
	}
}

// TestPlantsAreValid checks the fakes are well-formed: the API key checksum matches the format
// (checked independently here), cards pass Luhn.
func TestPlantsAreValid(t *testing.T) {
	key := redacttest.FakeAPIKey("rk")
	parts := strings.Split(key, "_")
	if len(parts) != 3 || len(parts[1]) != 32 || len(parts[2]) != 6 {
		t.Fatalf("FakeAPIKey = %q: wrong shape", key)
	}
	if got := checksum("rk_" + parts[1]); got != parts[2] {
		t.Errorf("checksum %q, want %q", parts[2], got)
	}
	// Known answers computed independently with Python's zlib.crc32, checking checksum itself.
	for _, v := range []struct{ in, want string }{
		{"", "000000"},
		{"a", "4GEHKN"},
		{"rk_0123456789ABCDEFGHIJKLMNOPQRSTUV", "2lyDbd"},
		{"acme_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "4Jbez0"},
	} {
		if got := checksum(v.in); got != v.want {
			t.Errorf("checksum(%q) = %q, want %q", v.in, got, v.want)
		}
	}
}

// checksum is the rampart API-key checksum, written here from the format specification
// independently of the package under test.
func checksum(s string) string {
	const a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	v := crc32.ChecksumIEEE([]byte(s))
	out := []byte("000000")
	for i := 5; i >= 0; i-- {
		out[i] = a[v%62]
		v /= 62
	}
	return string(out)
}
