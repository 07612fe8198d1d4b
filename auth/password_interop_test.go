package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/internal/testenv"
)

// These tests exchange hashes with real Python implementations, in both directions: Debian's
// python3-argon2 (argon2-cffi, which wraps the reference C implementation), python3-passlib
// and python3-bcrypt. Under RAMPART_STRICT=1 (CI) a missing library fails the test.

// interopPasswords are already NFKC-normal, since rampart normalizes and Python does not.
var interopPasswords = []string{
	"password",
	"correct horse battery staple",
	"pässwörd ✓ 密码 🔑",
	strings.Repeat("long-password/", 14), // 196 bytes: beyond bcrypt, so not used there
}

// runInteropPython runs script with the interpreter py, passing in as JSON on stdin and decoding
// the JSON it prints into out.
func runInteropPython(t *testing.T, py, script string, in, out any) {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", script)
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("python output %q: %v", stdout.String(), err)
	}
}

// interopVerifyInGo checks that every hash Python made verifies in Go, and only for its own
// password.
func interopVerifyInGo(t *testing.T, h *auth.Hasher, hashes map[string][]string) {
	t.Helper()
	ctx := context.Background()
	for kind, list := range hashes {
		if len(list) == 0 {
			t.Errorf("python made no %s hashes", kind)
		}
		for i, enc := range list {
			pw := interopPasswords[i]
			if _, err := h.Verify(ctx, pw, enc); err != nil {
				t.Errorf("%s: Verify(%q, %q) = %v, want nil", kind, pw, enc, err)
			}
			if _, err := h.Verify(ctx, pw+"?", enc); err == nil {
				t.Errorf("%s: Verify(wrong, %q) = nil, want an error", kind, enc)
			}
		}
	}
}

// goHashes hashes every interop password with each configuration (bcrypt skips those over
// 72 bytes), returning kind -> hashes in password order.
func goHashes(t *testing.T, cfgs map[string]auth.HasherConfig) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for kind, cfg := range cfgs {
		h := newTestHasher(t, cfg)
		for _, pw := range interopPasswords {
			if cfg.Algorithm == auth.Bcrypt && len(pw) > 72 {
				break
			}
			enc, err := h.Hash(context.Background(), pw)
			if err != nil {
				t.Fatalf("%s: Hash(%q) = %v", kind, pw, err)
			}
			out[kind] = append(out[kind], enc)
		}
	}
	return out
}

// checkPythonVerdicts asserts that Python accepted every Go hash with its own password and
// rejected it with a wrong one.
func checkPythonVerdicts(t *testing.T, lib string, hashes map[string][]string, verdicts map[string][][2]bool) {
	t.Helper()
	for kind, list := range hashes {
		got := verdicts[kind]
		if len(got) != len(list) {
			t.Errorf("%s %s: %d verdicts for %d hashes", lib, kind, len(got), len(list))
			continue
		}
		for i, v := range got {
			if !v[0] || v[1] {
				t.Errorf("%s %s: verify(%q) right=%v wrong=%v, want true false", lib, kind, list[i], v[0], v[1])
			}
		}
	}
}

const argon2CFFIScript = `
import json, sys
import argon2
from argon2.low_level import hash_secret, Type
req = json.load(sys.stdin)
ph = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=2, hash_len=32, salt_len=16)
made = {"argon2id": [], "argon2id-default": [], "argon2i": []}
for i, pw in enumerate(req["passwords"]):
    made["argon2id"].append(ph.hash(pw))
    made["argon2i"].append(hash_secret(pw.encode(), ("salt-%08d" % i).encode(), time_cost=2, memory_cost=256, parallelism=1, hash_len=32, type=Type.I).decode())
made["argon2id-default"].append(argon2.PasswordHasher().hash(req["passwords"][0]))
verdicts = {}
checker = argon2.PasswordHasher()
for kind, hashes in req["verify"].items():
    out = []
    for i, h in enumerate(hashes):
        res = []
        for pw in (req["passwords"][i], req["passwords"][i] + "?"):
            try:
                res.append(checker.verify(h, pw))
            except argon2.exceptions.VerifyMismatchError:
                res.append(False)
        out.append(res)
    verdicts[kind] = out
json.dump({"made": made, "verdicts": verdicts}, sys.stdout)
`

func TestInteropArgon2CFFI(t *testing.T) {
	py := testenv.Python(t, "argon2")
	mine := goHashes(t, map[string]auth.HasherConfig{
		"argon2id-default": {},
		"argon2id-p4":      {Argon2: auth.Argon2Params{Memory: 2048, Time: 3, Threads: 4}},
	})
	var res struct {
		Made     map[string][]string
		Verdicts map[string][][2]bool
	}
	runInteropPython(t, py, argon2CFFIScript, map[string]any{"passwords": interopPasswords, "verify": mine}, &res)
	interopVerifyInGo(t, newTestHasher(t, auth.HasherConfig{}), res.Made)
	checkPythonVerdicts(t, "argon2-cffi", mine, res.Verdicts)
}

const passlibScript = `
import json, sys
from passlib import hash as ph
req = json.load(sys.stdin)
algs = {
    "argon2": ph.argon2.using(rounds=1, memory_cost=1024, parallelism=1),
    "bcrypt": ph.bcrypt.using(rounds=4),
    "scrypt": ph.scrypt.using(rounds=8),
    "pbkdf2-sha256": ph.pbkdf2_sha256.using(rounds=1000),
}
made = {}
for name, alg in algs.items():
    made[name] = [alg.hash(pw) for pw in req["passwords"] if name != "bcrypt" or len(pw.encode()) <= 72]
# Django's own formats, for migrations from Django (verified in Go, then upgraded).
made["django-pbkdf2"] = [ph.django_pbkdf2_sha256.using(rounds=1000).hash(pw) for pw in req["passwords"]]
made["django-argon2"] = [ph.django_argon2.using(rounds=1, memory_cost=1024).hash(pw) for pw in req["passwords"]]
verdicts = {}
for kind, hashes in req["verify"].items():
    alg = algs[kind]
    verdicts[kind] = [[alg.verify(pw, h), alg.verify(pw + "?", h)] for pw, h in zip(req["passwords"], hashes)]
json.dump({"made": made, "verdicts": verdicts}, sys.stdout)
`

func TestInteropPasslib(t *testing.T) {
	py := testenv.Python(t, "passlib", "argon2", "bcrypt")
	mine := goHashes(t, map[string]auth.HasherConfig{
		"argon2":        passwordFastConfigs["argon2id"],
		"bcrypt":        passwordFastConfigs["bcrypt"],
		"scrypt":        passwordFastConfigs["scrypt"],
		"pbkdf2-sha256": passwordFastConfigs["pbkdf2"],
	})
	var res struct {
		Made     map[string][]string
		Verdicts map[string][][2]bool
	}
	runInteropPython(t, py, passlibScript, map[string]any{"passwords": interopPasswords, "verify": mine}, &res)
	for kind, want := range map[string]string{"argon2": "$argon2id$", "bcrypt": "$2b$", "scrypt": "$scrypt$", "pbkdf2-sha256": "$pbkdf2-sha256$1000$", "django-pbkdf2": "pbkdf2_sha256$1000$", "django-argon2": "argon2$argon2"} {
		for _, enc := range res.Made[kind] {
			if !strings.HasPrefix(enc, want) {
				t.Errorf("passlib %s hash %q, want prefix %q", kind, enc, want)
			}
		}
	}
	h := newTestHasher(t, auth.HasherConfig{})
	interopVerifyInGo(t, h, res.Made)
	checkPythonVerdicts(t, "passlib", mine, res.Verdicts)
	// Django hashes are upgraded to the standard form at the first login.
	for _, kind := range []string{"django-pbkdf2", "django-argon2"} {
		nh, err := h.Login(context.Background(), interopPasswords[0], res.Made[kind][0])
		if err != nil || !strings.HasPrefix(nh, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("Login(%s hash) = %q, %v; want an upgrade to argon2id", kind, nh, err)
		}
	}
}

const bcryptScript = `
import json, sys
import bcrypt
req = json.load(sys.stdin)
pws = [pw for pw in req["passwords"] if len(pw.encode()) <= 72]
made = {
    "2b": [bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4)).decode() for pw in pws],
    "2a": [bcrypt.hashpw(pw.encode(), bcrypt.gensalt(5, prefix=b"2a")).decode() for pw in pws],
}
# $2y$ (PHP's name for the fixed algorithm) is $2b$ under another prefix.
made["2y"] = ["$2y$" + h[4:] for h in made["2b"]]
verdicts = {}
for kind, hashes in req["verify"].items():
    verdicts[kind] = [[bcrypt.checkpw(pw.encode(), h.encode()), bcrypt.checkpw((pw + "?").encode(), h.encode())] for pw, h in zip(pws, hashes)]
json.dump({"made": made, "verdicts": verdicts}, sys.stdout)
`

func TestInteropBcrypt(t *testing.T) {
	py := testenv.Python(t, "bcrypt")
	mine := goHashes(t, map[string]auth.HasherConfig{
		"cost4": passwordFastConfigs["bcrypt"],
		"cost6": {Algorithm: auth.Bcrypt, BcryptCost: 6},
	})
	var res struct {
		Made     map[string][]string
		Verdicts map[string][][2]bool
	}
	runInteropPython(t, py, bcryptScript, map[string]any{"passwords": interopPasswords, "verify": mine}, &res)
	for kind, list := range res.Made {
		for _, enc := range list {
			if !strings.HasPrefix(enc, "$"+kind+"$") {
				t.Errorf("python bcrypt %s hash %q has the wrong prefix", kind, enc)
			}
		}
	}
	interopVerifyInGo(t, newTestHasher(t, auth.HasherConfig{}), res.Made)
	checkPythonVerdicts(t, "bcrypt", mine, res.Verdicts)
}
