package secretbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/secretbox"
)

// fernetCase is one entry of the Fernet specification's test vectors
// (https://github.com/fernet/spec, extended by github.com/fernet/fernet-go), read from
// ../shared/testdata/fernet.
type fernetCase struct {
	Desc   string `json:"desc"`
	Token  string `json:"token"`
	Now    string `json:"now"`
	IV     []byte `json:"-"`
	IVInts []int  `json:"iv"`
	Src    string `json:"src"`
	Secret string `json:"secret"`
	TTLSec int    `json:"ttl_sec"`
}

func loadFernet(t *testing.T, name string) []fernetCase {
	t.Helper()
	dir := testenv.SharedTestdata(t, "fernet")
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var cases []fernetCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s holds no cases", name)
	}
	for i := range cases {
		for _, v := range cases[i].IVInts {
			cases[i].IV = append(cases[i].IV, byte(v))
		}
	}
	return cases
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func mustFernetKey(t testing.TB, s string) *secretbox.FernetKey {
	t.Helper()
	k, err := secretbox.ParseFernetKey(s)
	if err != nil {
		t.Fatalf("ParseFernetKey: %v", err)
	}
	return k
}

func TestFernetGenerateVectors(t *testing.T) {
	for _, c := range loadFernet(t, "generate.json") {
		t.Run(c.Src, func(t *testing.T) {
			f := secretbox.NewFernet(mustFernetKey(t, c.Secret))
			now := mustTime(t, c.Now)
			f.Now = func() time.Time { return now }
			f.Rand = bytes.NewReader(c.IV)
			tok, err := f.Encrypt([]byte(c.Src))
			if err != nil {
				t.Fatal(err)
			}
			if string(tok) != c.Token {
				t.Errorf("Encrypt(%q) = %s, want %s", c.Src, tok, c.Token)
			}
		})
	}
}

func TestFernetVerifyVectors(t *testing.T) {
	for i, c := range loadFernet(t, "verify.json") {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			f := secretbox.NewFernet(mustFernetKey(t, c.Secret))
			now := mustTime(t, c.Now)
			var got []byte
			var err error
			if c.TTLSec > 0 {
				got, err = f.DecryptTTLAt([]byte(c.Token), time.Duration(c.TTLSec)*time.Second, now)
			} else {
				got, err = f.Decrypt([]byte(c.Token))
			}
			if err != nil || string(got) != c.Src {
				t.Errorf("decrypt(%s, ttl %d) = %q, %v; want %q", c.Token, c.TTLSec, got, err, c.Src)
			}
			ts, err := f.Timestamp([]byte(c.Token))
			if err != nil || !ts.Equal(mustTime(t, "1985-10-26T01:20:00-07:00")) {
				t.Errorf("Timestamp = %v, %v", ts, err)
			}
		})
	}
}

func TestFernetInvalidVectors(t *testing.T) {
	for _, c := range loadFernet(t, "invalid.json") {
		t.Run(c.Desc, func(t *testing.T) {
			f := secretbox.NewFernet(mustFernetKey(t, c.Secret))
			now := mustTime(t, c.Now)
			var got []byte
			var err error
			if c.TTLSec > 0 {
				got, err = f.DecryptTTLAt([]byte(c.Token), time.Duration(c.TTLSec)*time.Second, now)
			} else {
				got, err = f.Decrypt([]byte(c.Token))
			}
			if got != nil || err == nil {
				t.Fatalf("decrypt(%s) = %q, %v; want an error", c.Token, got, err)
			}
			// Expiry and clock skew are reported only for authentic tokens; everything else is
			// the one opaque error.
			want := secretbox.ErrAuth
			if strings.Contains(c.Desc, "TTL") || strings.Contains(c.Desc, "clock skew") {
				want = secretbox.ErrExpired
			}
			if !errors.Is(err, want) {
				t.Errorf("decrypt(%s) error = %v, want %v", c.Desc, err, want)
			}
		})
	}
}

// fixedClock returns a Now function for a synthetic instant.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestFernetTTL(t *testing.T) {
	k, _ := secretbox.GenerateFernetKey(nil)
	f := secretbox.NewFernet(k)
	t0 := time.Unix(1_700_000_000, 0)
	f.Now = fixedClock(t0)
	tok, err := f.Encrypt([]byte("msg"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		skew time.Duration
		now  time.Time
		ttl  time.Duration
		want error
	}{
		{"fresh", 0, t0, time.Minute, nil},
		{"at ttl", 0, t0.Add(time.Minute), time.Minute, nil},
		{"one second past ttl", 0, t0.Add(61 * time.Second), time.Minute, secretbox.ErrExpired},
		{"zero ttl same second", 0, t0, 0, nil},
		{"zero ttl next second", 0, t0.Add(time.Second), 0, secretbox.ErrExpired},
		{"negative ttl", 0, t0, -time.Second, secretbox.ErrExpired},
		{"default skew allows 60s", 0, t0.Add(-60 * time.Second), time.Minute, nil},
		{"default skew refuses 61s", 0, t0.Add(-61 * time.Second), time.Minute, secretbox.ErrExpired},
		{"custom skew 5s allows 5s", 5 * time.Second, t0.Add(-5 * time.Second), time.Minute, nil},
		{"custom skew 5s refuses 6s", 5 * time.Second, t0.Add(-6 * time.Second), time.Minute, secretbox.ErrExpired},
		{"no skew allows same second", -1, t0, time.Minute, nil},
		{"no skew refuses 1s", -1, t0.Add(-time.Second), time.Minute, secretbox.ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Skew = tt.skew
			got, err := f.DecryptTTLAt(tok, tt.ttl, tt.now)
			if !errors.Is(err, tt.want) || (err == nil && string(got) != "msg") {
				t.Errorf("DecryptTTLAt(ttl %v, now %v) = %q, %v; want %v", tt.ttl, tt.now.Sub(t0), got, err, tt.want)
			}
		})
	}
	// Decrypt applies no TTL at all: a token from 1970 still decrypts.
	f.Skew = 0
	f.Now = fixedClock(time.Unix(0, 0))
	old, _ := f.Encrypt([]byte("old"))
	if got, err := f.Decrypt(old); err != nil || string(got) != "old" {
		t.Errorf("Decrypt(old token) = %q, %v", got, err)
	}
	// DecryptTTL uses the Now field.
	f.Now = fixedClock(t0.Add(time.Hour))
	if _, err := f.DecryptTTL(tok, time.Minute); !errors.Is(err, secretbox.ErrExpired) {
		t.Errorf("DecryptTTL after an hour = %v, want ErrExpired", err)
	}
}

func TestFernetMultiKeyAndRotate(t *testing.T) {
	k1, _ := secretbox.GenerateFernetKey(nil)
	k2, _ := secretbox.GenerateFernetKey(nil)
	old := secretbox.NewFernet(k1)
	t0 := time.Unix(1_600_000_000, 0)
	old.Now = fixedClock(t0)
	tok, err := old.Encrypt([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	multi := secretbox.NewFernet(k2, k1)
	multi.Now = fixedClock(t0.Add(time.Hour))
	if got, err := multi.Decrypt(tok); err != nil || string(got) != "secret" {
		t.Fatalf("multi.Decrypt(old token) = %q, %v", got, err)
	}
	rot, err := multi.Rotate(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Decrypt(rot); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("old key decrypts a rotated token: %v", err)
	}
	if got, err := secretbox.NewFernet(k2).Decrypt(rot); err != nil || string(got) != "secret" {
		t.Errorf("new key alone: Decrypt(rotated) = %q, %v", got, err)
	}
	ts, err := multi.Timestamp(rot)
	if err != nil || !ts.Equal(t0) {
		t.Errorf("Timestamp(rotated) = %v, %v; want the original %v", ts, err, t0)
	}
	if _, err := secretbox.NewFernet(k2).Rotate([]byte("gAAAA")); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("Rotate(garbage) = %v, want ErrAuth", err)
	}
	if _, err := secretbox.NewFernet(k2).Timestamp(tok); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("Timestamp with the wrong key = %v, want ErrAuth", err)
	}
}

func TestFernetStrictParsing(t *testing.T) {
	k, _ := secretbox.GenerateFernetKey(nil)
	f := secretbox.NewFernet(k)
	tok, err := f.Encrypt([]byte("hello, world"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(tok)
	std := strings.NewReplacer("-", "+", "_", "/").Replace(s)
	bad := map[string]string{
		"empty":            "",
		"trailing newline": s + "\n",
		"inner newline":    s[:20] + "\n" + s[20:],
		"CR":               s[:20] + "\r" + s[20:],
		"leading space":    " " + s,
		"trailing byte":    s + "A",
		"trailing padding": s + "====",
		"unpadded":         strings.TrimRight(s, "="),
		"std alphabet":     std,
		"truncated":        s[:len(s)-4],
	}
	if std == s {
		delete(bad, "std alphabet")
	}
	for name, in := range bad {
		if got, err := f.Decrypt([]byte(in)); !errors.Is(err, secretbox.ErrAuth) || got != nil {
			t.Errorf("Decrypt(%s) = %q, %v; want ErrAuth", name, got, err)
		}
	}
	// Every single-bit flip of the decoded token fails with ErrAuth.
	raw, _ := decodeB64(s)
	for i := range len(raw) * 8 {
		m := bytes.Clone(raw)
		m[i/8] ^= 1 << (i % 8)
		if _, err := f.Decrypt(encodeB64(m)); !errors.Is(err, secretbox.ErrAuth) {
			t.Fatalf("bit %d flipped: Decrypt = %v, want ErrAuth", i, err)
		}
	}
}

func TestFernetKey(t *testing.T) {
	k, err := secretbox.GenerateFernetKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	enc := k.Encode()
	if len(enc) != 44 {
		t.Fatalf("Encode() has %d characters, want 44", len(enc))
	}
	k2, err := secretbox.ParseFernetKey(enc)
	if err != nil || k2.Encode() != enc {
		t.Fatalf("ParseFernetKey(Encode()) = %v, %v", k2, err)
	}
	if _, err := secretbox.ParseFernetKey(strings.TrimRight(enc, "=")); err != nil {
		t.Errorf("unpadded key refused: %v", err)
	}
	for _, bad := range []string{"", enc[:43] + "", enc + "\n", " " + enc, enc[:40], "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e=", strings.Repeat("A", 42) + "B="} {
		if _, err := secretbox.ParseFernetKey(bad); !errors.Is(err, secretbox.ErrInvalidKey) {
			if bad == enc[:43] { // the unpadded form of a valid key
				continue
			}
			t.Errorf("ParseFernetKey(%q) error = %v, want ErrInvalidKey", bad, err)
		}
	}
	assertRedacted(t, k, enc)
}

// assertRedacted checks that v reveals no part of secret through fmt, JSON or slog.
func assertRedacted(t *testing.T, v any, secret string) {
	t.Helper()
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, v))
	}
	j, err := json.Marshal(map[string]any{"k": v})
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	outs = append(outs, string(j))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", v)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "key", v)
	outs = append(outs, buf.String())
	probe := secret
	if len(probe) > 12 {
		probe = secret[len(secret)-12:]
	}
	for _, o := range outs {
		if strings.Contains(o, probe) || !strings.Contains(o, "REDACTED") {
			t.Errorf("output %q reveals the secret or is not redacted", o)
		}
	}
}
