package rampart_test

import (
	"bytes"
	"context"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/logredact"
)

// TestSessionTokensRedacted pins logredact's rampart-token detector to the real token format:
// tokens signed by auth.Keyring, with key IDs, subjects, roles and extra data of every size
// class, are redacted wherever they appear in a log line (a path, a query parameter of any name,
// a header value, JSON), and nothing around them is touched.
func TestSessionTokensRedacted(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	ctx := context.Background()
	now := time.Now()
	for _, tc := range []struct {
		keyID, subject string
		roles          []string
		extra          []byte
	}{
		{"k", "a", nil, nil},
		{"2026-11", "alice", []string{"user"}, nil},
		{strings.Repeat("k", 32), strings.Repeat("s", 255), []string{"admin", strings.Repeat("r", 64)}, bytes.Repeat([]byte{0xFF}, 1024)},
		{"key-16-bytes-lon", "user-42", []string{"a", "b", "c"}, []byte("x")},
	} {
		secret := bytes.Repeat([]byte{7}, 32)
		key, err := auth.NewKey(tc.keyID, secret)
		if err != nil {
			t.Fatal(err)
		}
		kr, err := auth.NewKeyring(auth.TokenConfig{}, key)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 20 { // random token IDs: the '-' and '_' fall in different places
			tok, err := kr.Sign(ctx, "session", auth.Claims{Subject: tc.subject, Roles: tc.roles, Extra: tc.extra,
				IssuedAt: now, Expiry: now.Add(time.Duration(i+1) * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range []string{
				"GET /api/" + tok + " 404",
				"callback?t=" + tok + "&page=2",
				`{"origin":"https://evil.example/` + tok + `"}`,
				"session " + tok + ", done",
			} {
				got := r.Redact(line)
				if strings.Contains(got, tok[:40]) || strings.Contains(got, tok[len(tok)-40:]) {
					t.Fatalf("key ID %q: token left in %q", tc.keyID, got)
				}
				if want := strings.Replace(line, tok, "[REDACTED:rampart-token]", 1); got != want && !strings.Contains(line, "?t=") {
					t.Fatalf("Redact(%q)\n got %q\nwant %q", line, got, want)
				}
			}
		}
	}
	var buf bytes.Buffer
	log.New(r.Writer(&buf), "", 0).Print("tokens look alike: AQ" + strings.Repeat("A", 200))
	if !strings.Contains(buf.String(), "AQ"+strings.Repeat("A", 200)) {
		t.Errorf("a base64 run that is not a token was redacted: %q", buf.String())
	}
}
