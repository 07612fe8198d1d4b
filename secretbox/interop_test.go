package secretbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/secretbox"
)

// pyFernet runs against the real cryptography.fernet. It reads a JSON request on stdin:
// tokens made by Go to decrypt (with and without a TTL) and to rotate with MultiFernet, and
// messages to encrypt; it writes the results as JSON.
const pyFernet = `
import json, sys
from cryptography.fernet import Fernet, MultiFernet, InvalidToken
req = json.load(sys.stdin)
old, new = Fernet(req["old_key"]), Fernet(req["new_key"])
multi = MultiFernet([new, old])
out = {"decrypted": [], "decrypted_ttl": [], "expired_rejected": None, "wrong_key_rejected": None,
       "rotated": [], "made": [], "made_old": []}
for tok in req["go_tokens"]:
    out["decrypted"].append(old.decrypt(tok.encode()).decode())
    out["decrypted_ttl"].append(old.decrypt(tok.encode(), ttl=3600).decode())
try:
    old.decrypt(req["go_old_token"].encode(), ttl=60)
    out["expired_rejected"] = False
except InvalidToken:
    out["expired_rejected"] = True
try:
    new.decrypt(req["go_tokens"][0].encode())
    out["wrong_key_rejected"] = False
except InvalidToken:
    out["wrong_key_rejected"] = True
# MultiFernet rotation of Go tokens made under the old key; Go checks the result.
for tok in req["go_tokens"]:
    out["rotated"].append(multi.rotate(tok.encode()).decode())
# Python-made tokens for Go to decrypt: under the new key, and under the old key for Go to rotate.
for msg in req["messages"]:
    out["made"].append(new.encrypt(msg.encode()).decode())
    out["made_old"].append(old.encrypt(msg.encode()).decode())
json.dump(out, sys.stdout)
`

// pyCheckRotated decrypts with the new key alone the tokens Go rotated.
const pyCheckRotated = `
import json, sys
from cryptography.fernet import Fernet
req = json.load(sys.stdin)
new = Fernet(req["new_key"])
print(json.dumps([new.decrypt(t.encode(), ttl=3600).decode() for t in req["tokens"]]))
`

func runPython(t *testing.T, py, script string, req any, resp any) {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(out, resp); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
}

func TestFernetPythonInterop(t *testing.T) {
	py := testenv.Python(t, "cryptography")
	oldKey, _ := secretbox.GenerateFernetKey(nil)
	newKey, _ := secretbox.GenerateFernetKey(nil)
	goOld := secretbox.NewFernet(oldKey)
	messages := []string{"", "hello", "exactly 16 bytes", "a longer message that spans several AES blocks ✓"}
	var goTokens []string
	for _, m := range messages {
		tok, err := goOld.Encrypt([]byte(m))
		if err != nil {
			t.Fatal(err)
		}
		goTokens = append(goTokens, string(tok))
	}
	past := secretbox.NewFernet(oldKey)
	past.Now = fixedClock(time.Now().Add(-2 * time.Hour))
	oldTok, _ := past.Encrypt([]byte("two hours old"))

	var resp struct {
		Decrypted        []string `json:"decrypted"`
		DecryptedTTL     []string `json:"decrypted_ttl"`
		ExpiredRejected  bool     `json:"expired_rejected"`
		WrongKeyRejected bool     `json:"wrong_key_rejected"`
		Rotated          []string `json:"rotated"`
		Made             []string `json:"made"`
		MadeOld          []string `json:"made_old"`
	}
	runPython(t, py, pyFernet, map[string]any{
		"old_key": oldKey.Encode(), "new_key": newKey.Encode(),
		"go_tokens": goTokens, "go_old_token": string(oldTok), "messages": messages,
	}, &resp)

	// Go -> Python, without and with a TTL; Python refuses an expired Go token and a wrong key.
	for i, m := range messages {
		if resp.Decrypted[i] != m || resp.DecryptedTTL[i] != m {
			t.Errorf("Python decrypt(Go token %d) = %q / %q, want %q", i, resp.Decrypted[i], resp.DecryptedTTL[i], m)
		}
	}
	if !resp.ExpiredRejected || !resp.WrongKeyRejected {
		t.Errorf("Python accepted an expired (%v) or wrong-key (%v) Go token", !resp.ExpiredRejected, !resp.WrongKeyRejected)
	}

	// Python -> Go, without and with a TTL, and MultiFernet rotation both ways.
	goNew := secretbox.NewFernet(newKey)
	goMulti := secretbox.NewFernet(newKey, oldKey)
	var goRotated []string
	for i, m := range messages {
		if got, err := goNew.Decrypt([]byte(resp.Made[i])); err != nil || string(got) != m {
			t.Errorf("Go Decrypt(Python token %d) = %q, %v; want %q", i, got, err, m)
		}
		if got, err := goNew.DecryptTTL([]byte(resp.Made[i]), time.Hour); err != nil || string(got) != m {
			t.Errorf("Go DecryptTTL(Python token %d) = %q, %v; want %q", i, got, err, m)
		}
		if _, err := goNew.DecryptTTLAt([]byte(resp.Made[i]), time.Minute, time.Now().Add(time.Hour)); !errors.Is(err, secretbox.ErrExpired) {
			t.Errorf("Go DecryptTTLAt(Python token, an hour later) = %v, want ErrExpired", err)
		}
		// Python's MultiFernet rotated a Go token: the new key alone opens it, with its timestamp kept.
		if got, err := goNew.Decrypt([]byte(resp.Rotated[i])); err != nil || string(got) != m {
			t.Errorf("Go Decrypt(Python-rotated token %d) = %q, %v", i, got, err)
		}
		tsOrig, _ := goOld.Timestamp([]byte(goTokens[i]))
		tsRot, err := goNew.Timestamp([]byte(resp.Rotated[i]))
		if err != nil || !tsRot.Equal(tsOrig) {
			t.Errorf("Python rotation changed the timestamp: %v -> %v (%v)", tsOrig, tsRot, err)
		}
		// Go rotates a Python token made under the old key.
		rot, err := goMulti.Rotate([]byte(resp.MadeOld[i]))
		if err != nil {
			t.Fatalf("Go Rotate(Python token): %v", err)
		}
		goRotated = append(goRotated, string(rot))
	}
	var check []string
	runPython(t, py, pyCheckRotated, map[string]any{"new_key": newKey.Encode(), "tokens": goRotated}, &check)
	for i, m := range messages {
		if check[i] != m {
			t.Errorf("Python decrypt(Go-rotated token %d) = %q, want %q", i, check[i], m)
		}
	}
}
