package auth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-go/rampart/auth"
)

var tokT0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// tokSecret returns a deterministic 32-byte secret; tests only.
func tokSecret(seed byte) []byte {
	return bytes.Repeat([]byte{seed}, 32)
}

func mustTokKey(t testing.TB, id string, seed byte) auth.Key {
	t.Helper()
	k, err := auth.NewKey(id, tokSecret(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tokFixedRand yields the same bytes forever, for deterministic token IDs.
type tokFixedRand byte

func (r tokFixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func newTokKeyring(t testing.TB, cfg auth.TokenConfig, keys ...auth.Key) *auth.Keyring {
	t.Helper()
	if len(keys) == 0 {
		keys = []auth.Key{mustTokKey(t, "k1", 1)}
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return tokT0 }
	}
	kr, err := auth.NewKeyring(cfg, keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func tokSign(t testing.TB, kr *auth.Keyring, purpose string, c auth.Claims) string {
	t.Helper()
	tok, err := kr.Sign(context.Background(), purpose, c)
	if err != nil {
		t.Fatalf("Sign(%q, %+v) error: %v", purpose, c, err)
	}
	return tok
}

func TestSignVerifyRoundTrip(t *testing.T) {
	kr := newTokKeyring(t, auth.TokenConfig{})
	tests := []auth.Claims{
		{Subject: "u"},
		{Subject: "user:with:colons", Roles: []string{"admin", "billing"}},
		{Subject: strings.Repeat("s", auth.MaxSubjectLen), Roles: []string{strings.Repeat("r", auth.MaxRoleLen)}},
		{Subject: "ユーザー", Extra: []byte{0, 1, 2, 255}, AuthTime: tokT0.Add(-time.Minute), NotBefore: tokT0.Add(-time.Second)},
		{Subject: "u", ID: auth.TokenID{9, 9}, IssuedAt: tokT0.Add(-time.Minute), Expiry: tokT0.Add(time.Minute), Generation: 7},
		{Subject: "u", Extra: make([]byte, auth.MaxExtraLen)},
	}
	for _, c := range tests {
		tok := tokSign(t, kr, "session", c)
		got, err := kr.Verify(t.Context(), "session", tok)
		if err != nil {
			t.Fatalf("Verify(Sign(%+v)) error: %v", c, err)
		}
		want := c
		if want.IssuedAt.IsZero() {
			want.IssuedAt = tokT0
		}
		if want.Expiry.IsZero() {
			want.Expiry = want.IssuedAt.Add(auth.DefaultTokenTTL)
		}
		if want.ID.IsZero() {
			if got.ID.IsZero() {
				t.Errorf("Sign left the token ID zero")
			}
			want.ID = got.ID
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Verify(Sign(%+v)) claims mismatch (-want +got):\n%s", c, diff)
		}
		if len(tok) > auth.MaxTokenLen || strings.ContainsAny(tok, "+/=. \n") {
			t.Errorf("token %q is not compact unpadded base64url", tok)
		}
	}
}

func TestSignDrawsDistinctIDs(t *testing.T) {
	kr := newTokKeyring(t, auth.TokenConfig{})
	seen := map[auth.TokenID]bool{}
	for range 100 {
		c, err := kr.Verify(t.Context(), "p", tokSign(t, kr, "p", auth.Claims{Subject: "u"}))
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.ID] {
			t.Fatalf("token ID %v drawn twice", c.ID)
		}
		seen[c.ID] = true
	}
}

// TestTokenKnownAnswer pins the v1 wire format, rebuilt here from its documented layout with
// crypto/hmac directly, so that a change to the encoding cannot go unnoticed.
func TestTokenKnownAnswer(t *testing.T) {
	kr := newTokKeyring(t, auth.TokenConfig{Rand: tokFixedRand(0xab)}, mustTokKey(t, "2026-11", 7))
	c := auth.Claims{
		Subject: "user-1", Roles: []string{"admin", "ops"},
		IssuedAt: tokT0, NotBefore: tokT0.Add(time.Second), Expiry: tokT0.Add(time.Hour), AuthTime: tokT0.Add(-time.Minute),
		Generation: 3, Extra: []byte("xy"),
	}
	got := tokSign(t, kr, "session", c)

	var body []byte
	body = append(body, 1, 7)
	body = append(body, "2026-11"...)
	body = append(body, bytes.Repeat([]byte{0xab}, 16)...)
	for _, ts := range []time.Time{c.IssuedAt, c.NotBefore, c.Expiry, c.AuthTime} {
		body = binary.BigEndian.AppendUint64(body, uint64(ts.Unix()))
	}
	body = binary.BigEndian.AppendUint64(body, 3)
	body = append(body, 6)
	body = append(body, "user-1"...)
	body = append(body, 2, 5)
	body = append(body, "admin"...)
	body = append(body, 3)
	body = append(body, "ops"...)
	body = append(body, 0, 2, 'x', 'y')
	mac := hmac.New(sha256.New, tokSecret(7))
	mac.Write(append([]byte{7}, "session"...))
	mac.Write(body)
	want := base64.RawURLEncoding.EncodeToString(mac.Sum(body))
	if got != want {
		t.Errorf("Sign = %q\nwant   %q", got, want)
	}
	const pinned = "AQcyMDI2LTExq6urq6urq6urq6urq6urqwAAAABrCXDAAAAAAGsJcMEAAAAAawl-0AAAAABrCXCEAAAAAAAAAAMGdXNlci0xAgVhZG1pbgNvcHMAAnh5g72ga5e5sS1OVbaDS1sbW5t0CAZETZEN7zm-ASs38gg"
	if got != pinned {
		t.Errorf("Sign = %q, want the pinned v1 token %q", got, pinned)
	}
}

func TestVerifyTimeRules(t *testing.T) {
	type rule struct {
		name    string
		leeway  time.Duration
		claims  auth.Claims
		at      time.Duration // verification instant relative to tokT0
		wantErr error         // nil, or the cause besides ErrInvalidToken
	}
	exp := auth.Claims{Subject: "u", IssuedAt: tokT0, Expiry: tokT0.Add(time.Hour)}
	nbf := auth.Claims{Subject: "u", IssuedAt: tokT0, NotBefore: tokT0.Add(10 * time.Minute), Expiry: tokT0.Add(time.Hour)}
	tests := []rule{
		{"at issue", 0, exp, 0, nil},
		{"just before expiry", 0, exp, time.Hour - time.Nanosecond, nil},
		{"at expiry", 0, exp, time.Hour, auth.ErrExpired},
		{"after expiry", 0, exp, 2 * time.Hour, auth.ErrExpired},
		{"after expiry within leeway", 30 * time.Second, exp, time.Hour + 29*time.Second, nil},
		{"after expiry at leeway", 30 * time.Second, exp, time.Hour + 30*time.Second, auth.ErrExpired},
		{"before issue", 0, exp, -time.Second, auth.ErrNotYetValid},
		{"before issue within leeway", 30 * time.Second, exp, -30 * time.Second, nil},
		{"before issue beyond leeway", 30 * time.Second, exp, -31 * time.Second, auth.ErrNotYetValid},
		{"before nbf", 0, nbf, 10*time.Minute - time.Nanosecond, auth.ErrNotYetValid},
		{"at nbf", 0, nbf, 10 * time.Minute, nil},
		{"before nbf within leeway", time.Minute, nbf, 9 * time.Minute, nil},
		{"before nbf beyond leeway", time.Minute, nbf, 9*time.Minute - time.Second, auth.ErrNotYetValid},
		{"default TTL", 0, auth.Claims{Subject: "u"}, auth.DefaultTokenTTL - time.Second, nil},
		{"default TTL over", 0, auth.Claims{Subject: "u"}, auth.DefaultTokenTTL, auth.ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr := newTokKeyring(t, auth.TokenConfig{Leeway: tc.leeway})
			tok := tokSign(t, kr, "p", tc.claims)
			_, err := kr.VerifyAt(t.Context(), tokT0.Add(tc.at), "p", tok)
			checkTokenErr(t, err, tc.wantErr)
		})
	}
}

// checkTokenErr asserts err is nil when want is nil, and otherwise matches both ErrInvalidToken
// and want, but none of the other causes.
func checkTokenErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("error = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("error = %v, want ErrInvalidToken", err)
	}
	for _, cause := range []error{auth.ErrExpired, auth.ErrNotYetValid, auth.ErrRevoked} {
		if wantIs := errors.Is(want, cause); errors.Is(err, cause) != wantIs {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", err, cause, !wantIs, wantIs)
		}
	}
}

func TestVerifyPurposeBinding(t *testing.T) {
	kr := newTokKeyring(t, auth.TokenConfig{})
	tok := tokSign(t, kr, "password-reset", auth.Claims{Subject: "u"})
	for _, p := range []string{"session", "email-verify", "password-rese", "password-reset ", "Password-reset"} {
		_, err := kr.Verify(t.Context(), p, tok)
		checkTokenErr(t, err, auth.ErrInvalidToken)
	}
	if _, err := kr.Verify(t.Context(), "password-reset", tok); err != nil {
		t.Fatalf("Verify with the right purpose: %v", err)
	}
	for _, p := range []string{"", strings.Repeat("p", auth.MaxPurposeLen+1)} {
		if _, err := kr.Sign(t.Context(), p, auth.Claims{Subject: "u"}); !errors.Is(err, auth.ErrInvalidPurpose) {
			t.Errorf("Sign(purpose %q) error = %v, want ErrInvalidPurpose", p, err)
		}
		if _, err := kr.Verify(t.Context(), p, tok); !errors.Is(err, auth.ErrInvalidPurpose) {
			t.Errorf("Verify(purpose %q) error = %v, want ErrInvalidPurpose", p, err)
		}
	}
}

func TestKeyValidityWindows(t *testing.T) {
	old := mustTokKey(t, "old", 1)
	old.NotAfter = tokT0.Add(time.Hour)
	future := mustTokKey(t, "future", 2)
	future.NotBefore = tokT0.Add(time.Hour)
	cur := mustTokKey(t, "cur", 3)

	oldTok := tokSign(t, newTokKeyring(t, auth.TokenConfig{TTL: 48 * time.Hour}, old), "p", auth.Claims{Subject: "u"})
	curTok := tokSign(t, newTokKeyring(t, auth.TokenConfig{TTL: 48 * time.Hour}, cur), "p", auth.Claims{Subject: "u"})
	futureTok := tokSign(t, newTokKeyring(t, auth.TokenConfig{TTL: 48 * time.Hour, Now: func() time.Time { return tokT0.Add(time.Hour) }}, future),
		"p", auth.Claims{Subject: "u", IssuedAt: tokT0})

	verifier := newTokKeyring(t, auth.TokenConfig{}, cur, old, future)
	tests := []struct {
		name string
		tok  string
		at   time.Duration
		ok   bool
	}{
		{"retired key before NotAfter", oldTok, time.Hour - time.Second, true},
		{"retired key at NotAfter", oldTok, time.Hour, false},
		{"retired key after NotAfter", oldTok, 24 * time.Hour, false},
		{"future key before NotBefore", futureTok, time.Hour - time.Second, false},
		{"future key at NotBefore", futureTok, time.Hour, true},
		{"current key", curTok, 24 * time.Hour, true},
	}
	for _, tc := range tests {
		_, err := verifier.VerifyAt(t.Context(), tokT0.Add(tc.at), "p", tc.tok)
		if tc.ok && err != nil {
			t.Errorf("%s: VerifyAt error: %v", tc.name, err)
		}
		if !tc.ok {
			checkTokenErr(t, err, auth.ErrInvalidToken)
		}
	}

	// A primary key outside its window does not sign.
	for _, tc := range []struct {
		key auth.Key
		at  time.Duration
	}{{old, time.Hour}, {future, 0}} {
		kr := newTokKeyring(t, auth.TokenConfig{Now: func() time.Time { return tokT0.Add(tc.at) }}, tc.key)
		if _, err := kr.Sign(t.Context(), "p", auth.Claims{Subject: "u"}); !errors.Is(err, auth.ErrNoSigningKey) {
			t.Errorf("Sign with %v at tokT0+%v error = %v, want ErrNoSigningKey", tc.key, tc.at, err)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	k1, k2, k3 := mustTokKey(t, "k1", 1), mustTokKey(t, "k2", 2), mustTokKey(t, "k3", 3)
	before := newTokKeyring(t, auth.TokenConfig{}, k1)
	during := newTokKeyring(t, auth.TokenConfig{}, k2, k1)
	after := newTokKeyring(t, auth.TokenConfig{}, k2)
	tok1 := tokSign(t, before, "p", auth.Claims{Subject: "u"})
	tok2 := tokSign(t, during, "p", auth.Claims{Subject: "u"})
	if during.PrimaryKeyID() != "k2" {
		t.Errorf("PrimaryKeyID = %q, want k2", during.PrimaryKeyID())
	}
	for _, tc := range []struct {
		kr   *auth.Keyring
		tok  string
		want bool
	}{
		{during, tok1, true}, {during, tok2, true}, {after, tok2, true}, {after, tok1, false}, {before, tok2, false},
		// Same ID, different secret: the MAC fails.
		{newTokKeyring(t, auth.TokenConfig{}, mustTokKey(t, "k1", 9)), tok1, false},
		{newTokKeyring(t, auth.TokenConfig{}, k3), tok1, false},
	} {
		_, err := tc.kr.Verify(t.Context(), "p", tc.tok)
		if (err == nil) != tc.want {
			t.Errorf("%v.Verify(token by %q) error = %v, want ok=%v", tc.kr, tc.tok[:12], err, tc.want)
		}
		if err != nil {
			checkTokenErr(t, err, auth.ErrInvalidToken)
		}
	}
}

// TestEveryByteModificationFails changes each byte of a valid token to every other value,
// deletes it, and duplicates it: every variant must fail with the bare ErrInvalidToken.
func TestEveryByteModificationFails(t *testing.T) {
	kr := newTokKeyring(t, auth.TokenConfig{})
	tok := tokSign(t, kr, "session", auth.Claims{Subject: "alice", Roles: []string{"admin"}, Extra: []byte("x")})
	check := func(mod string, what string) {
		t.Helper()
		_, err := kr.Verify(t.Context(), "session", mod)
		if !errors.Is(err, auth.ErrInvalidToken) || errors.Is(err, auth.ErrExpired) || errors.Is(err, auth.ErrNotYetValid) {
			t.Fatalf("Verify(%s) error = %v, want bare ErrInvalidToken", what, err)
		}
	}
	b := []byte(tok)
	for i := range b {
		orig := b[i]
		for v := range 256 {
			if byte(v) == orig {
				continue
			}
			b[i] = byte(v)
			check(string(b), fmt.Sprintf("byte %d set to %#x", i, v))
		}
		b[i] = orig
		check(tok[:i]+tok[i+1:], fmt.Sprintf("byte %d deleted", i))
		check(tok[:i]+tok[i:i+1]+tok[i:], fmt.Sprintf("byte %d doubled", i))
	}
	for _, suffix := range []string{"A", "AA", "=", "==", "\n", " ", ".", tok} {
		check(tok+suffix, fmt.Sprintf("token + %q", suffix))
	}
	for _, prefix := range []string{" ", "\n", "Bearer ", "v1."} {
		check(prefix+tok, fmt.Sprintf("%q + token", prefix))
	}
}

// TestVerifyRejectsNonCanonical re-encodes a valid token in ways a lenient decoder accepts.
func TestVerifyRejectsNonCanonical(t *testing.T) {
	kr := newTokKeyring(t, auth.TokenConfig{})
	var tok string
	for i := 0; ; i++ { // a token whose length leaves unused bits in the last character
		tok = tokSign(t, kr, "p", auth.Claims{Subject: strings.Repeat("u", i+1)})
		if len(tok)%4 != 0 {
			break
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	last := tok[len(tok)-1]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sloppy := tok[:len(tok)-1] + string(alphabet[strings.IndexByte(alphabet, last)+1])
	if got, err := base64.RawURLEncoding.DecodeString(sloppy); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("test setup: %q does not decode leniently to the same bytes", sloppy)
	}
	variants := map[string]string{
		"padded":             base64.URLEncoding.EncodeToString(raw),
		"std alphabet":       base64.RawStdEncoding.EncodeToString(raw),
		"unused bits set":    sloppy,
		"line break":         tok[:10] + "\n" + tok[10:],
		"carriage return":    tok[:10] + "\r" + tok[10:],
		"empty":              "",
		"too long":           strings.Repeat("A", auth.MaxTokenLen+1),
		"binary noise":       string(raw),
		"percent-encoded -":  strings.ReplaceAll(tok, "-", "%2D"),
		"version 0":          base64.RawURLEncoding.EncodeToString(append([]byte{0}, raw[1:]...)),
		"truncated tag":      base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]),
		"trailing zero byte": base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), raw...), 0)),
	}
	for name, v := range variants {
		if v == tok {
			continue // e.g. no '-' in this token
		}
		if _, err := kr.Verify(t.Context(), "p", v); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("Verify(%s) error = %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestSignRejectsInvalidClaims(t *testing.T) {
	kr := newTokKeyring(t, auth.TokenConfig{})
	manyRoles := make([]string, auth.MaxRoles+1)
	for i := range manyRoles {
		manyRoles[i] = "r"
	}
	bigRoles := make([]string, auth.MaxRoles)
	for i := range bigRoles {
		bigRoles[i] = strings.Repeat("r", auth.MaxRoleLen)
	}
	tests := map[string]auth.Claims{
		"empty subject":       {},
		"long subject":        {Subject: strings.Repeat("s", auth.MaxSubjectLen+1)},
		"too many roles":      {Subject: "u", Roles: manyRoles},
		"empty role":          {Subject: "u", Roles: []string{"a", ""}},
		"long role":           {Subject: "u", Roles: []string{strings.Repeat("r", auth.MaxRoleLen+1)}},
		"long extra":          {Subject: "u", Extra: make([]byte, auth.MaxExtraLen+1)},
		"expiry at issue":     {Subject: "u", IssuedAt: tokT0, Expiry: tokT0},
		"expiry before issue": {Subject: "u", IssuedAt: tokT0, Expiry: tokT0.Add(-time.Hour)},
		"expiry before nbf":   {Subject: "u", NotBefore: tokT0.Add(2 * time.Hour), Expiry: tokT0.Add(time.Hour)},
		"over 4 KiB in all": {Subject: strings.Repeat("s", auth.MaxSubjectLen), Roles: bigRoles,
			Extra: make([]byte, auth.MaxExtraLen)},
	}
	for name, c := range tests {
		if _, err := kr.Sign(t.Context(), "p", c); !errors.Is(err, auth.ErrInvalidClaims) {
			t.Errorf("Sign(%s) error = %v, want ErrInvalidClaims", name, err)
		}
	}
}

func TestNewKeyAndKeyringValidation(t *testing.T) {
	for _, tc := range []struct {
		id     string
		secret []byte
	}{
		{"", tokSecret(1)},
		{strings.Repeat("k", auth.MaxKeyIDLen+1), tokSecret(1)},
		{"k 1", tokSecret(1)},
		{"k/1", tokSecret(1)},
		{"k1", make([]byte, auth.MinKeySize-1)},
		{"k1", nil},
	} {
		if _, err := auth.NewKey(tc.id, tc.secret); err == nil {
			t.Errorf("NewKey(%q, %d bytes) succeeded, want error", tc.id, len(tc.secret))
		}
	}
	k1 := mustTokKey(t, "k1", 1)
	badWindow := mustTokKey(t, "bw", 2)
	badWindow.NotBefore, badWindow.NotAfter = tokT0, tokT0
	for name, tc := range map[string]struct {
		cfg  auth.TokenConfig
		keys []auth.Key
	}{
		"literal key":      {auth.TokenConfig{}, []auth.Key{{ID: "k"}}},
		"duplicate IDs":    {auth.TokenConfig{}, []auth.Key{k1, mustTokKey(t, "k1", 2)}},
		"empty window":     {auth.TokenConfig{}, []auth.Key{k1, badWindow}},
		"negative TTL":     {auth.TokenConfig{TTL: -1}, []auth.Key{k1}},
		"negative leeway":  {auth.TokenConfig{Leeway: -1}, []auth.Key{k1}},
		"excessive leeway": {auth.TokenConfig{Leeway: auth.MaxTokenLeeway + 1}, []auth.Key{k1}},
	} {
		if _, err := auth.NewKeyring(tc.cfg, tc.keys[0], tc.keys[1:]...); err == nil {
			t.Errorf("NewKeyring(%s) succeeded, want error", name)
		}
	}
	// NewKey copies the secret: changing the caller's slice does not change the key.
	secret := tokSecret(5)
	k, _ := auth.NewKey("k", secret)
	kr := newTokKeyring(t, auth.TokenConfig{}, k)
	tok := tokSign(t, kr, "p", auth.Claims{Subject: "u"})
	secret[0] ^= 1
	if _, err := newTokKeyring(t, auth.TokenConfig{}, k).Verify(t.Context(), "p", tok); err != nil {
		t.Errorf("key changed with the caller's secret slice: %v", err)
	}
}

// printedForms returns every way the values may be printed: through fmt with each verb,
// encoding/json, and slog's JSON and text handlers.
func printedForms(t *testing.T, values ...any) []string {
	t.Helper()
	var outs []string
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Errorf("json.Marshal(%T) error: %v", v, err)
		}
		outs = append(outs, string(j))
		var logBuf bytes.Buffer
		slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("m", "v", v)
		slog.New(slog.NewTextHandler(&logBuf, nil)).Info("m", "v", v)
		outs = append(outs, logBuf.String())
	}
	return outs
}

func TestKeysNeverPrintSecrets(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdefSECRET")
	k, err := auth.NewKey("k1", secret)
	if err != nil {
		t.Fatal(err)
	}
	k.NotAfter = tokT0
	kr, err := auth.NewKeyring(auth.TokenConfig{}, k)
	if err != nil {
		t.Fatal(err)
	}
	outs := printedForms(t, k, &k, kr, *kr, []auth.Key{k}, struct{ K auth.Key }{k})
	// fmt prints a struct in an unexported field without calling its methods (so it may not
	// name the key): the secret must still not show.
	named := len(outs)
	for _, v := range []any{struct{ k auth.Key }{k}, struct{ ks []auth.Key }{[]auth.Key{k}}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	forms := []string{string(secret), "SECRET", hex.EncodeToString(secret), fmt.Sprintf("%X", secret),
		base64.StdEncoding.EncodeToString(secret), "48 49 50 51"}
	for i, out := range outs {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("output %q reveals the secret (as %q)", out, f)
			}
		}
		if i < named && !strings.Contains(out, "k1") {
			t.Errorf("output %q does not name the key", out)
		}
	}
}

// TestPeppersNeverPrintKeys checks that a Pepper, alone or in the configuration, prints its
// ID but never its key through fmt (every verb), encoding/json and log/slog.
func TestPeppersNeverPrintKeys(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdefPEPPER")
	p := auth.Pepper{ID: "p1", Key: key}
	outs := printedForms(t, p, &p, []auth.Pepper{p}, struct{ P auth.Pepper }{p}, auth.HasherConfig{Peppers: []auth.Pepper{p}})
	// A Hasher keeps its peppers in unexported fields, which fmt prints without methods.
	h, err := auth.NewHasher(auth.HasherConfig{Argon2: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}, Peppers: []auth.Pepper{p}})
	if err != nil {
		t.Fatal(err)
	}
	var hasherOuts []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
		hasherOuts = append(hasherOuts, fmt.Sprintf(verb, *h), fmt.Sprintf(verb, h))
	}
	forms := []string{string(key), "PEPPER", hex.EncodeToString(key), fmt.Sprintf("%X", key),
		base64.StdEncoding.EncodeToString(key), "48 49 50 51"}
	for _, out := range hasherOuts {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("a Hasher printed %q, which reveals the pepper (as %q)", out, f)
			}
		}
	}
	for _, out := range outs {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("output %q reveals the pepper (as %q)", out, f)
			}
		}
		if !strings.Contains(out, "p1") {
			t.Errorf("output %q does not name the pepper", out)
		}
	}
}

// failingRevocationStore is a RevocationStore whose every call fails.
type failingRevocationStore struct{ err error }

func (s failingRevocationStore) Generation(context.Context, string) (uint64, error) { return 0, s.err }
func (s failingRevocationStore) IncrementGeneration(context.Context, string) (uint64, error) {
	return 0, s.err
}
func (s failingRevocationStore) Revoke(context.Context, string, auth.TokenID, time.Time) error {
	return s.err
}
func (s failingRevocationStore) Lookup(context.Context, string, auth.TokenID) (uint64, bool, error) {
	return 0, false, s.err
}

func TestRevocation(t *testing.T) {
	type step struct {
		revokeID      bool   // revoke the first token by ID
		revokeSubject string // log this subject out everywhere
	}
	tests := []struct {
		name    string
		steps   []step
		at      time.Duration // verification time
		wantOld error         // the token signed before the steps
		wantNew error         // a token signed after the steps
	}{
		{"nothing revoked", nil, 0, nil, nil},
		{"by ID", []step{{revokeID: true}}, 0, auth.ErrRevoked, nil},
		{"by ID, past expiry", []step{{revokeID: true}}, 2 * time.Hour, auth.ErrExpired, auth.ErrExpired},
		{"by generation", []step{{revokeSubject: "alice"}}, 0, auth.ErrRevoked, nil},
		{"other subject's generation", []step{{revokeSubject: "bob"}}, 0, nil, nil},
		{"generation twice", []step{{revokeSubject: "alice"}, {revokeSubject: "alice"}}, 0, auth.ErrRevoked, nil},
		{"both", []step{{revokeID: true}, {revokeSubject: "alice"}}, 0, auth.ErrRevoked, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tokT0
			clk := func() time.Time { return now }
			store, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{Now: clk})
			if err != nil {
				t.Fatal(err)
			}
			kr := newTokKeyring(t, auth.TokenConfig{Revocation: store, Now: clk})
			old := tokSign(t, kr, "p", auth.Claims{Subject: "alice"})
			oldClaims, err := kr.Verify(t.Context(), "p", old)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.steps {
				if s.revokeID {
					if err := kr.Revoke(t.Context(), oldClaims); err != nil {
						t.Fatal(err)
					}
				}
				if s.revokeSubject != "" {
					if err := kr.RevokeSubject(t.Context(), s.revokeSubject); err != nil {
						t.Fatal(err)
					}
				}
			}
			fresh := tokSign(t, kr, "p", auth.Claims{Subject: "alice"})
			now = tokT0.Add(tc.at)
			_, err = kr.Verify(t.Context(), "p", old)
			checkTokenErr(t, err, tc.wantOld)
			_, err = kr.Verify(t.Context(), "p", fresh)
			checkTokenErr(t, err, tc.wantNew)
		})
	}
}

func TestRevocationStoreErrors(t *testing.T) {
	boom := errors.New("store down")
	good := newTokKeyring(t, auth.TokenConfig{})
	tok := tokSign(t, good, "p", auth.Claims{Subject: "u"})
	kr := newTokKeyring(t, auth.TokenConfig{Revocation: failingRevocationStore{boom}})
	if _, err := kr.Verify(t.Context(), "p", tok); !errors.Is(err, boom) || errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Verify with a failing store error = %v, want the store error and not ErrInvalidToken", err)
	}
	if _, err := kr.Verify(t.Context(), "p", tok+"x"); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Verify(bad token) with a failing store error = %v, want ErrInvalidToken", err)
	}
	if _, err := kr.Sign(t.Context(), "p", auth.Claims{Subject: "u"}); !errors.Is(err, boom) {
		t.Errorf("Sign with a failing store error = %v, want the store error", err)
	}
	if err := kr.Revoke(t.Context(), auth.Claims{Subject: "u", Expiry: tokT0.Add(time.Hour)}); !errors.Is(err, boom) {
		t.Errorf("Revoke with a failing store error = %v, want the store error", err)
	}
	// Without a subject the entry could not be found by Lookup, which passes the token's own.
	if err := kr.Revoke(t.Context(), auth.Claims{Expiry: tokT0.Add(time.Hour)}); !errors.Is(err, auth.ErrInvalidClaims) {
		t.Errorf("Revoke without a subject error = %v, want ErrInvalidClaims", err)
	}
	if err := kr.RevokeSubject(t.Context(), "u"); !errors.Is(err, boom) {
		t.Errorf("RevokeSubject with a failing store error = %v, want the store error", err)
	}
	if err := good.Revoke(t.Context(), auth.Claims{}); !errors.Is(err, auth.ErrNoRevocationStore) {
		t.Errorf("Revoke without a store error = %v, want ErrNoRevocationStore", err)
	}
	if err := good.RevokeSubject(t.Context(), "u"); !errors.Is(err, auth.ErrNoRevocationStore) {
		t.Errorf("RevokeSubject without a store error = %v, want ErrNoRevocationStore", err)
	}
}
