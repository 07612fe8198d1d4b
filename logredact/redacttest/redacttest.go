// Package redacttest checks that a logging setup keeps secrets out of its output. It plants fake
// secrets of every kind that [github.com/rampart-go/rampart/logredact] detects (payment cards,
// JWTs, Bearer and Basic credentials, AWS, GitHub, Slack and Stripe keys, a PEM private key,
// credentials in URLs and query strings, e-mail addresses, rampart API keys) plus values under
// sensitive keys, logs them in every position (message, attribute, group, With, map, struct,
// error, []byte, LogValuer), and fails the test if any of them appears in what was written.
//
// Use it in your own tests, against the logger your service really builds:
//
//	func TestLogsAreRedacted(t *testing.T) {
//		redacttest.Check(t, func(w io.Writer) *slog.Logger {
//			return newServiceLogger(w) // however the service builds its logger
//		})
//	}
//
// The fake secrets are format-valid (checksums and Luhn digits are right) but obviously fake, and
// they are assembled at run time so that no credential-shaped literal sits in source code.
package redacttest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// Plant is one fake secret.
type Plant struct {
	// Kind is the logredact detector expected to catch Value ("card", "jwt", ...), or "key" for a
	// value only its attribute key marks as secret.
	Kind string
	// Value is the text that is logged.
	Value string
	// Leaks are the substrings that must never appear in the output: the secret itself and the
	// recognizable parts of it (a card's digits without separators, a token without its scheme).
	Leaks []string
}

// Plants returns the fake secrets, one or more of each kind, in a fixed order.
func Plants() []Plant {
	cards := []string{"4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117"}
	var ps []Plant
	for _, c := range cards {
		digits := strings.NewReplacer(" ", "", "-", "").Replace(c)
		ps = append(ps, Plant{Kind: "card", Value: c, Leaks: []string{c, digits, digits[:12]}})
	}
	bearer := "rampart" + "-fake-opaque-" + "token-0123456789"
	basic := base64.StdEncoding.EncodeToString([]byte("fakeuser:fake-basic-password-123"))
	urlPass := "fake-db-" + "password-42"
	queryTok := "fake-query-" + "token-7781"
	ps = append(ps,
		Plant{Kind: "jwt", Value: FakeJWT(), Leaks: []string{FakeJWT(), strings.Split(FakeJWT(), ".")[2]}},
		Plant{Kind: "bearer", Value: "Bearer " + bearer, Leaks: []string{bearer}},
		Plant{Kind: "basic", Value: "Basic " + basic, Leaks: []string{basic}},
		Plant{Kind: "aws", Value: FakeAWSKeyID(), Leaks: []string{FakeAWSKeyID()}},
		Plant{Kind: "github", Value: FakeGitHubToken(), Leaks: []string{FakeGitHubToken()}},
		Plant{Kind: "github", Value: FakeGitHubFineGrained(), Leaks: []string{FakeGitHubFineGrained()}},
		Plant{Kind: "slack", Value: FakeSlackToken(), Leaks: []string{FakeSlackToken()}},
		Plant{Kind: "stripe", Value: FakeStripeKey(), Leaks: []string{FakeStripeKey()}},
		Plant{Kind: "private-key", Value: FakePrivateKey(), Leaks: []string{fakePEMBody}},
		Plant{Kind: "url-password", Value: "postgres://app:" + urlPass + "@db.internal:5432/app", Leaks: []string{urlPass}},
		Plant{Kind: "query", Value: "https://api.example.com/callback?token=" + queryTok + "&page=2", Leaks: []string{queryTok}},
		Plant{Kind: "email", Value: "jane.fake" + "@" + "example.com", Leaks: []string{"jane.fake" + "@" + "example.com"}},
		Plant{Kind: "apikey", Value: FakeAPIKey("rk"), Leaks: []string{FakeAPIKey("rk")}},
		Plant{Kind: "rampart-token", Value: FakeSessionToken(), Leaks: []string{FakeSessionToken()}},
		Plant{Kind: "field", Value: "password=" + "fake-field-pw-123", Leaks: []string{"fake-field-pw-123"}},
	)
	return ps
}

// keyPlant is logged under sensitive keys only: no value detector can know it is a secret.
const keyPlant = "fake-secret-" + "only-its-key-tells"

func fill(prefix string, n int) string {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; b.Len() < n; i++ {
		b.WriteByte(alnum[(i*7+3)%len(alnum)])
	}
	return b.String()[:n]
}

// FakeJWT returns a structurally valid, unsigned-looking HS256 JWT whose subject says it is fake.
func FakeJWT() string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(`{"sub":"rampart-fake-subject","iat":1700000000}`)) + "." +
		enc.EncodeToString([]byte("rampart fake signature bytes 0123"))
}

// FakeAWSKeyID returns a fake AWS access key ID (AKIA and 16 base32 characters).
func FakeAWSKeyID() string { return "AK" + "IA" + "RAMPARTFAKEKEY23" }

// FakeGitHubToken returns a fake classic GitHub personal access token (ghp_ and 36 characters).
func FakeGitHubToken() string { return "gh" + "p_" + fill("RampartFakeGitHubToken", 36) }

// FakeGitHubFineGrained returns a fake fine-grained GitHub token (github_pat_ and 82 characters).
func FakeGitHubFineGrained() string {
	return "github" + "_pat_" + fill("11RAMPARTFAKE0_", 82)
}

// FakeSlackToken returns a fake Slack bot token.
func FakeSlackToken() string {
	return "xo" + "xb-" + "1234567890-1234567890123-" + fill("RampartFake", 24)
}

// FakeStripeKey returns a fake Stripe live secret key.
func FakeStripeKey() string { return "sk" + "_live_" + fill("RampartFakeStripe", 24) }

const fakePEMBody = "MIIBRAMPARTFAKEKEYMATERIALNOTAREALKEY0123456789abcdefghijklmnop"

// FakePrivateKey returns a PEM block labelled as a private key whose body is not a key.
func FakePrivateKey() string {
	return "-----BEGIN " + "PRIVATE KEY-----\n" + fakePEMBody + "\n" + fakePEMBody[:40] + "\n-----END " + "PRIVATE KEY-----"
}

// FakeAPIKey returns a fake rampart API key with the given prefix and a valid checksum, in the
// format of /work/rampart-apikey-format.md: prefix "_" 32 base62 characters "_" 6 base62 digits of
// the CRC-32 (IEEE) of `prefix "_" random`.
func FakeAPIKey(prefix string) string {
	body := prefix + "_" + fill("RampartFakeApiKey", 32)
	return body + "_" + base62Checksum(body)
}

// FakeSessionToken returns a fake rampart session token: the layout of auth.Keyring's version 1
// tokens (version, key ID, ID, four instants, generation, subject, roles, extra data, tag) with
// fixed made-up contents, base64url-encoded without padding. It does not verify under any key.
func FakeSessionToken() string {
	b := []byte{1, 4}
	b = append(b, "fake"...)
	for i := range byte(16 + 5*8) { // ID, issued-at, not-before, expiry, auth time, generation
		b = append(b, 0x5A^i)
	}
	b = append(b, 10)
	b = append(b, "fake-alice"...)
	b = append(b, 1, 4)
	b = append(b, "user"...)
	b = append(b, 0, 0) // no extra data
	for i := range byte(32) {
		b = append(b, 0xA5^i*7)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// base62Checksum returns the 6-character base62 CRC-32 (IEEE) checksum of s used by rampart API
// keys: most significant digit first, alphabet 0-9, A-Z, a-z, left-padded with '0'.
func base62Checksum(s string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	sum := crc32.ChecksumIEEE([]byte(s))
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = alphabet[sum%62]
		sum /= 62
	}
	return string(out[:])
}

// fakeError is an error whose message carries a secret.
type fakeError struct{ msg string }

func (e *fakeError) Error() string { return "upstream failed: " + e.msg }

// valuer is a LogValuer that produces the secret only when resolved.
type valuer struct{ v string }

func (v valuer) LogValue() slog.Value { return slog.StringValue(v.v) }

// record is a struct with the secret in a plain field and in a sensitive one.
type record struct {
	Note     string `json:"note"`
	Password string `json:"password"`
	Nested   *struct {
		Detail string `json:"detail"`
	} `json:"nested"`
}

// Check builds a logger with newLogger over a buffer, logs every [Plants] value and a value under
// sensitive keys in every position, and fails t for each secret found in the output. It also fails
// if the logger wrote nothing at all, so a setup that discards everything cannot pass. Records are
// logged at slog.LevelError so level filters do not hide them.
func Check(t testing.TB, newLogger func(w io.Writer) *slog.Logger) {
	t.Helper()
	var buf bytes.Buffer
	logger := newLogger(&buf)
	if logger == nil {
		t.Fatalf("redacttest.Check: newLogger returned nil")
		return
	}
	ctx := context.Background()
	lvl := slog.LevelError
	for _, p := range Plants() {
		v := p.Value
		logger.Log(ctx, lvl, "message carries "+v)
		logger.Log(ctx, lvl, "attr", "detail", v)
		logger.Log(ctx, lvl, "group", slog.Group("req", slog.String("detail", v)))
		logger.With("detail", v).Log(ctx, lvl, "with")
		logger.WithGroup("g").With("detail", v).Log(ctx, lvl, "with group")
		logger.Log(ctx, lvl, "map", "m", map[string]any{"detail": v, "list": []string{v}})
		rec := record{Note: v}
		rec.Nested = &struct {
			Detail string `json:"detail"`
		}{Detail: v}
		logger.Log(ctx, lvl, "struct", "rec", rec, "ptr", &rec)
		logger.Log(ctx, lvl, "error", "err", &fakeError{msg: v}, "wrapped", fmt.Errorf("wrapped: %w", errors.New(v)))
		logger.Log(ctx, lvl, "bytes", "raw", []byte(v))
		logger.Log(ctx, lvl, "valuer", "lv", valuer{v})
	}
	for _, key := range []string{"password", "api_key", "apiKey", "X-Api-Key", "client_secret", "access_token", "Authorization", "session_id", "private_key", "set-cookie"} {
		logger.Log(ctx, lvl, "key", key, keyPlant)
		logger.With(key, keyPlant).Log(ctx, lvl, "with key")
		logger.Log(ctx, lvl, "group key", slog.Group("creds", slog.String(key, keyPlant)))
		logger.Log(ctx, lvl, "map key", "m", map[string]string{key: keyPlant})
	}
	logger.Log(ctx, lvl, "struct key", "rec", record{Password: keyPlant})
	checkOutput(t, buf.Bytes(), append(Plants(), Plant{Kind: "key", Value: keyPlant, Leaks: []string{keyPlant}}))
}

// CheckWriter wraps a buffer with newWriter (for example a logredact Writer, perhaps behind other
// writers), writes lines carrying every [Plants] value through it, some of them split across two
// Write calls, closes it if it is an io.Closer (flushes it if it has a Flush() error method), and
// fails t for each secret found in what reached the buffer, or if nothing did.
func CheckWriter(t testing.TB, newWriter func(w io.Writer) io.Writer) {
	t.Helper()
	var buf bytes.Buffer
	w := newWriter(&buf)
	if w == nil {
		t.Fatalf("redacttest.CheckWriter: newWriter returned nil")
		return
	}
	write := func(s string) {
		if _, err := io.WriteString(w, s); err != nil {
			t.Errorf("redacttest.CheckWriter: Write: %v", err)
		}
	}
	for _, p := range Plants() {
		line := "2026/01/02 15:04:05 event detail=" + p.Value + " done\n"
		write(line)
		mid := strings.Index(line, p.Value) + len(p.Value)/2
		write(line[:mid])
		write(line[mid:])
		write(`{"level":"ERROR","msg":"json","detail":` + fmt.Sprintf("%q", p.Value) + "}\n")
	}
	write("password=" + keyPlant + "\n")
	write(`{"api_key":"` + keyPlant + `"}` + "\n")
	write("unterminated last line " + Plants()[0].Value)
	switch c := w.(type) {
	case io.Closer:
		if err := c.Close(); err != nil {
			t.Errorf("redacttest.CheckWriter: Close: %v", err)
		}
	case interface{ Flush() error }:
		if err := c.Flush(); err != nil {
			t.Errorf("redacttest.CheckWriter: Flush: %v", err)
		}
	}
	checkOutput(t, buf.Bytes(), append(Plants(), Plant{Kind: "key", Value: keyPlant, Leaks: []string{keyPlant}}))
}

func checkOutput(t testing.TB, out []byte, plants []Plant) {
	t.Helper()
	if len(out) == 0 {
		t.Errorf("redacttest: the logger wrote nothing; the check would pass vacuously")
		return
	}
	for _, p := range plants {
		b64 := base64.StdEncoding.EncodeToString([]byte(p.Value))
		if i := bytes.Index(out, []byte(b64)); i >= 0 {
			t.Errorf("redacttest: %s secret %q leaked base64-encoded into the output: ...%s...", p.Kind, p.Value, excerpt(out, i, len(b64)))
		}
		for _, leak := range p.Leaks {
			if i := bytes.Index(out, []byte(leak)); i >= 0 {
				t.Errorf("redacttest: %s secret %q leaked into the output: ...%s...", p.Kind, leak, excerpt(out, i, len(leak)))
			}
			if q := fmt.Sprintf("%q", leak); q[1:len(q)-1] != leak {
				if i := bytes.Index(out, []byte(q[1:len(q)-1])); i >= 0 {
					t.Errorf("redacttest: %s secret %q leaked (escaped) into the output: ...%s...", p.Kind, leak, excerpt(out, i, len(q)))
				}
			}
		}
	}
}

func excerpt(out []byte, i, n int) string {
	a, b := max(0, i-40), min(len(out), i+n+40)
	return string(out[a:b])
}
