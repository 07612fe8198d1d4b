package auth_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
)

// passwordFastConfigs are hasher configurations with cheap parameters, one per algorithm, so the
// tests run quickly under -race. Production code uses the zero HasherConfig.
var passwordFastConfigs = map[string]auth.HasherConfig{
	"argon2id": {Argon2: auth.Argon2Params{Memory: 256, Time: 1, Threads: 1}},
	"bcrypt":   {Algorithm: auth.Bcrypt, BcryptCost: 4},
	"scrypt":   {Algorithm: auth.Scrypt, Scrypt: auth.ScryptParams{LogN: 8, R: 8, P: 1}},
	"pbkdf2":   {Algorithm: auth.PBKDF2SHA256, PBKDF2Iterations: 1000},
}

func newTestHasher(t testing.TB, cfg auth.HasherConfig) *auth.Hasher {
	t.Helper()
	h, err := auth.NewHasher(cfg)
	if err != nil {
		t.Fatalf("NewHasher(%+v) = %v", cfg, err)
	}
	return h
}

func TestHashVerifyRoundTrip(t *testing.T) {
	ctx := context.Background()
	prefixes := map[string]string{"argon2id": "$argon2id$v=19$m=256,t=1,p=1$", "bcrypt": "$2b$04$", "scrypt": "$scrypt$ln=8,r=8,p=1$", "pbkdf2": "$pbkdf2-sha256$1000$"}
	for name, cfg := range passwordFastConfigs {
		t.Run(name, func(t *testing.T) {
			h := newTestHasher(t, cfg)
			for _, pw := range []string{"correct horse battery staple", "x", "pässwörd ✓ 密码", strings.Repeat("a", 72)} {
				enc, err := h.Hash(ctx, pw)
				if err != nil {
					t.Fatalf("Hash(%q) = %v", pw, err)
				}
				if !strings.HasPrefix(enc, prefixes[name]) {
					t.Errorf("Hash(%q) = %q, want prefix %q", pw, enc, prefixes[name])
				}
				again, err := h.Hash(ctx, pw)
				if err != nil || again == enc {
					t.Errorf("Hash(%q) twice = %q, %v; want a different salt each time", pw, again, err)
				}
				rehash, err := h.Verify(ctx, pw, enc)
				if err != nil || rehash {
					t.Errorf("Verify(%q, %q) = %v, %v; want false, nil", pw, enc, rehash, err)
				}
				if h.NeedsRehash(enc) {
					t.Errorf("NeedsRehash(%q) = true for a fresh hash", enc)
				}
				wrong := pw[:len(pw)-1] + "!"
				if _, err := h.Verify(ctx, wrong, enc); !errors.Is(err, auth.ErrPasswordMismatch) {
					t.Errorf("Verify(wrong, %q) = %v, want ErrPasswordMismatch", enc, err)
				}
			}
		})
	}
}

func TestHashInputErrors(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, passwordFastConfigs["argon2id"])
	if _, err := h.Hash(ctx, ""); !errors.Is(err, auth.ErrEmptyPassword) {
		t.Errorf("Hash(\"\") = %v, want ErrEmptyPassword", err)
	}
	long := strings.Repeat("p", 1025)
	if _, err := h.Hash(ctx, long); !errors.Is(err, auth.ErrPasswordTooLong) {
		t.Errorf("Hash(1025 bytes) = %v, want ErrPasswordTooLong", err)
	}
	if _, err := h.Hash(ctx, long[:1024]); err != nil {
		t.Errorf("Hash(1024 bytes) = %v, want nil", err)
	}
	// U+FDFA expands to 18 code points (33 bytes) under NFKC: the limit applies after it too.
	expanding := strings.Repeat("\uFDFA", 100) // 300 bytes, 3300 after NFKC
	if _, err := h.Hash(ctx, expanding); !errors.Is(err, auth.ErrPasswordTooLong) {
		t.Errorf("Hash(NFKC-expanding) = %v, want ErrPasswordTooLong", err)
	}
	if _, err := h.Login(ctx, long, ""); !errors.Is(err, auth.ErrPasswordTooLong) {
		t.Errorf("Login(1025 bytes) = %v, want ErrPasswordTooLong", err)
	}
}

func TestBcryptNeverTruncates(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, passwordFastConfigs["bcrypt"])
	pw73 := strings.Repeat("b", 73)
	if _, err := h.Hash(ctx, pw73); !errors.Is(err, auth.ErrPasswordTooLong) {
		t.Fatalf("bcrypt Hash(73 bytes) = %v, want ErrPasswordTooLong", err)
	}
	enc, err := h.Hash(ctx, pw73[:72])
	if err != nil {
		t.Fatal(err)
	}
	// A truncating implementation would accept the 73-byte password here.
	if _, err := h.Verify(ctx, pw73, enc); !errors.Is(err, auth.ErrPasswordTooLong) {
		t.Errorf("bcrypt Verify(73 bytes) = %v, want ErrPasswordTooLong", err)
	}
	// Login hides the reason, so that it does not reveal that the user exists with a bcrypt hash.
	if _, err := h.Login(ctx, pw73, enc); !errors.Is(err, auth.ErrPasswordMismatch) {
		t.Errorf("bcrypt Login(73 bytes) = %v, want ErrPasswordMismatch", err)
	}
	if _, err := h.Login(ctx, pw73[:72], enc); err != nil {
		t.Errorf("bcrypt Login(72 bytes) = %v, want nil", err)
	}
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range passwordFastConfigs {
		t.Run(name, func(t *testing.T) {
			h := newTestHasher(t, cfg)
			enc, err := h.Hash(ctx, "hunter2hunter2")
			if err != nil {
				t.Fatal(err)
			}
			if nh, err := h.Login(ctx, "hunter2hunter2", enc); err != nil || nh != "" {
				t.Errorf("Login(right) = %q, %v; want \"\", nil", nh, err)
			}
			if nh, err := h.Login(ctx, "hunter3hunter3", enc); !errors.Is(err, auth.ErrPasswordMismatch) || nh != "" {
				t.Errorf("Login(wrong) = %q, %v; want ErrPasswordMismatch", nh, err)
			}
			if nh, err := h.Login(ctx, "hunter2hunter2", ""); !errors.Is(err, auth.ErrPasswordMismatch) || nh != "" {
				t.Errorf("Login(unknown user) = %q, %v; want ErrPasswordMismatch", nh, err)
			}
			if _, err := h.Login(ctx, "hunter2hunter2", "$argon2id$garbage"); !errors.Is(err, auth.ErrMalformedHash) {
				t.Errorf("Login(corrupt stored hash) = %v, want ErrMalformedHash", err)
			}
		})
	}
}

// TestLoginUpgrades moves a user from each legacy algorithm to argon2id at login.
func TestLoginUpgrades(t *testing.T) {
	ctx := context.Background()
	current := newTestHasher(t, passwordFastConfigs["argon2id"])
	for name, cfg := range passwordFastConfigs {
		t.Run(name, func(t *testing.T) {
			old := newTestHasher(t, cfg)
			if name == "argon2id" {
				old = newTestHasher(t, auth.HasherConfig{Argon2: auth.Argon2Params{Memory: 128, Time: 1, Threads: 1}})
			}
			legacy, err := old.Hash(ctx, "s3cret-Passw0rd")
			if err != nil {
				t.Fatal(err)
			}
			if !current.NeedsRehash(legacy) {
				t.Errorf("NeedsRehash(%q) = false, want true", legacy)
			}
			if nh, err := current.Login(ctx, "wrong-password", legacy); !errors.Is(err, auth.ErrPasswordMismatch) || nh != "" {
				t.Errorf("Login(wrong, legacy) = %q, %v; want no upgrade and ErrPasswordMismatch", nh, err)
			}
			nh, err := current.Login(ctx, "s3cret-Passw0rd", legacy)
			if err != nil {
				t.Fatalf("Login(right, %q) = %v", legacy, err)
			}
			if !strings.HasPrefix(nh, "$argon2id$v=19$m=256,t=1,p=1$") {
				t.Fatalf("Login(right, %q) new hash = %q, want an argon2id hash at the current parameters", legacy, nh)
			}
			if rehash, err := current.Verify(ctx, "s3cret-Passw0rd", nh); err != nil || rehash {
				t.Errorf("Verify(new hash) = %v, %v; want false, nil", rehash, err)
			}
		})
	}
}

// TestHostileStoredHashes checks that tampered hashes are refused with the documented error,
// quickly and without allocating what their parameters ask for.
func TestHostileStoredHashes(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, auth.HasherConfig{})
	const s, d = "c29tZXNhbHRzb21lc2FsdA", "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	tests := []struct {
		name, enc string
		want      error
	}{
		{"4GiB memory", "$argon2id$v=19$m=4194304,t=2,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"issue example", "$argon2id$v=19$m=4194304,t=100,p=255$" + s + "$" + d, auth.ErrHashParams},
		{"t=100", "$argon2id$v=19$m=19456,t=100,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"p=255", "$argon2id$v=19$m=19456,t=2,p=255$" + s + "$" + d, auth.ErrHashParams},
		{"p=0", "$argon2id$v=19$m=19456,t=2,p=0$" + s + "$" + d, auth.ErrHashParams},
		{"t=0", "$argon2id$v=19$m=19456,t=0,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"m below 8p", "$argon2id$v=19$m=7,t=1,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"m overflow", "$argon2id$v=19$m=99999999999999999999999,t=2,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"negative", "$argon2id$v=19$m=-1,t=2,p=1$" + s + "$" + d, auth.ErrMalformedHash},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$c29tZQ$" + d, auth.ErrHashParams},
		{"short digest", "$argon2id$v=19$m=19456,t=2,p=1$" + s + "$c29tZXNhbHQ", auth.ErrHashParams},
		{"huge digest", "$argon2id$v=19$m=19456,t=2,p=1$" + s + "$" + strings.Repeat("A", 200), auth.ErrHashParams},
		{"too long", "$argon2id$v=19$m=19456,t=2,p=1$" + s + "$" + strings.Repeat("A", 600), auth.ErrMalformedHash},
		{"scrypt 1TiB", "$scrypt$ln=30,r=1024,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"scrypt ln=31", "$scrypt$ln=31,r=8,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"scrypt 512MiB", "$scrypt$ln=19,r=8,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"pbkdf2 huge", "$pbkdf2-sha256$1000000000$" + s + "$" + d, auth.ErrHashParams},
		{"pbkdf2 zero", "$pbkdf2-sha256$0$" + s + "$" + d, auth.ErrHashParams},
		{"bcrypt cost 31", "$2b$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234", auth.ErrHashParams},
		{"bcrypt cost 03", "$2b$03$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234", auth.ErrHashParams},
		{"bcrypt 2x", "$2x$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234", auth.ErrUnsupportedHash},
		{"bcrypt short", "$2b$10$abc", auth.ErrMalformedHash},
		{"bcrypt alphabet", "$2b$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz0123!", auth.ErrMalformedHash},
		{"argon2d", "$argon2d$v=19$m=19456,t=2,p=1$" + s + "$" + d, auth.ErrUnsupportedHash},
		{"argon2 v16", "$argon2id$m=19456,t=2,p=1$" + s + "$" + d, auth.ErrUnsupportedHash},
		{"argon2 data", "$argon2id$v=19$m=19456,t=2,p=1,data=YWJj$" + s + "$" + d, auth.ErrUnsupportedHash},
		{"unknown alg", "$md5-crypt$foo$bar", auth.ErrUnsupportedHash},
		{"param order", "$argon2id$v=19$t=2,m=19456,p=1$" + s + "$" + d, auth.ErrMalformedHash},
		{"padded base64", "$argon2id$v=19$m=19456,t=2,p=1$" + s + "==$" + d, auth.ErrMalformedHash},
		{"extra field", "$argon2id$v=19$m=19456,t=2,p=1$" + s + "$" + d + "$x", auth.ErrMalformedHash},
		{"django rounds", "pbkdf2_sha256$1000000000$xTWS0xzvC6C3$GQb3naRetxAU8e3Eb2V0E9uNzYSDcsOMG7S9M5vXWmM=", auth.ErrHashParams},
		{"django short salt", "pbkdf2_sha256$1000$xTWS$GQb3naRetxAU8e3Eb2V0E9uNzYSDcsOMG7S9M5vXWmM=", auth.ErrHashParams},
		{"django unpadded", "pbkdf2_sha256$1000$xTWS0xzvC6C3$GQb3naRetxAU8e3Eb2V0E9uNzYSDcsOMG7S9M5vXWmM", auth.ErrMalformedHash},
		{"django argon2 hostile", "argon2$argon2id$v=19$m=4194304,t=2,p=1$" + s + "$" + d, auth.ErrHashParams},
		{"empty", "$", auth.ErrMalformedHash},
		{"no dollar", "argon2id", auth.ErrMalformedHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.Verify(ctx, "password", tt.enc); !errors.Is(err, tt.want) {
				t.Errorf("Verify(%q) = %v, want %v", tt.enc, err, tt.want)
			}
			if !h.NeedsRehash(tt.enc) {
				t.Errorf("NeedsRehash(%q) = false, want true", tt.enc)
			}
		})
	}
}

func TestHashLimitsRaiseAndLower(t *testing.T) {
	ctx := context.Background()
	big := newTestHasher(t, auth.HasherConfig{Argon2: auth.Argon2Params{Memory: 1024, Time: 20, Threads: 1}})
	enc, err := big.Hash(ctx, "password-x")
	if err != nil {
		t.Fatal(err)
	}
	// The default cap of t (16) is below this hash's t=20: refused, unless raised.
	if _, err := newTestHasher(t, passwordFastConfigs["argon2id"]).Verify(ctx, "password-x", enc); !errors.Is(err, auth.ErrHashParams) {
		t.Errorf("Verify(t=20) with default limits = %v, want ErrHashParams", err)
	}
	raised := newTestHasher(t, auth.HasherConfig{Argon2: auth.Argon2Params{Memory: 256, Time: 1, Threads: 1}, Limits: auth.HashLimits{MaxTime: 32}})
	if _, err := raised.Verify(ctx, "password-x", enc); err != nil {
		t.Errorf("Verify(t=20) with MaxTime 32 = %v, want nil", err)
	}
	// A memory budget below the default memory cap lowers the cap.
	small := newTestHasher(t, auth.HasherConfig{Argon2: auth.Argon2Params{Memory: 256, Time: 1, Threads: 1}, MemoryBudget: 1 << 20})
	big2 := newTestHasher(t, auth.HasherConfig{Argon2: auth.Argon2Params{Memory: 2048, Time: 1, Threads: 1}})
	enc2, err := big2.Hash(ctx, "password-y")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.Verify(ctx, "password-y", enc2); !errors.Is(err, auth.ErrHashParams) {
		t.Errorf("Verify(m=2MiB) under a 1 MiB budget = %v, want ErrHashParams", err)
	}
}

func TestNewHasherRejectsBadConfig(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	tests := map[string]auth.HasherConfig{
		"unknown algorithm":    {Algorithm: auth.HashAlgorithm(99)},
		"argon2 m below 8p":    {Argon2: auth.Argon2Params{Memory: 8, Threads: 2}},
		"bcrypt cost 3":        {Algorithm: auth.Bcrypt, BcryptCost: 3},
		"bcrypt cost 32":       {Algorithm: auth.Bcrypt, BcryptCost: 32},
		"bcrypt with pepper":   {Algorithm: auth.Bcrypt, Peppers: []auth.Pepper{{ID: "k1", Key: key}}},
		"scrypt ln 31":         {Algorithm: auth.Scrypt, Scrypt: auth.ScryptParams{LogN: 31}},
		"pbkdf2 negative":      {Algorithm: auth.PBKDF2SHA256, PBKDF2Iterations: -1},
		"max password 10":      {MaxPasswordBytes: 10},
		"budget below a hash":  {MemoryBudget: 4 << 20},
		"budget tiny":          {MemoryBudget: 1000},
		"pepper short key":     {Peppers: []auth.Pepper{{ID: "k1", Key: key[:16]}}},
		"pepper bad id":        {Peppers: []auth.Pepper{{ID: "k$1", Key: key}}},
		"pepper empty id":      {Peppers: []auth.Pepper{{Key: key}}},
		"pepper duplicate id":  {Peppers: []auth.Pepper{{ID: "k1", Key: key}, {ID: "k1", Key: key}}},
		"negative memory caps": {Limits: auth.HashLimits{MaxMemory: -1}},
	}
	for name, cfg := range tests {
		if _, err := auth.NewHasher(cfg); err == nil {
			t.Errorf("NewHasher(%s) = nil error, want an error", name)
		}
	}
	if _, err := auth.NewHasher(auth.HasherConfig{}); err != nil {
		t.Errorf("NewHasher(zero config) = %v, want nil", err)
	}
}

func TestPepperRotation(t *testing.T) {
	ctx := context.Background()
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	base := passwordFastConfigs["argon2id"]
	with := func(peppers ...auth.Pepper) *auth.Hasher {
		cfg := base
		cfg.Peppers = peppers
		return newTestHasher(t, cfg)
	}
	h1 := with(auth.Pepper{ID: "k1", Key: k1})
	enc1, err := h1.Hash(ctx, "pepper-me")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(enc1, ",keyid=k1$") {
		t.Fatalf("Hash with pepper k1 = %q, want keyid=k1", enc1)
	}
	// The pepper matters: the same hash without the key does not verify.
	if _, err := newTestHasher(t, base).Verify(ctx, "pepper-me", enc1); !errors.Is(err, auth.ErrUnknownPepper) {
		t.Errorf("Verify without peppers = %v, want ErrUnknownPepper", err)
	}
	if _, err := with(auth.Pepper{ID: "k1", Key: k2}).Verify(ctx, "pepper-me", enc1); !errors.Is(err, auth.ErrPasswordMismatch) {
		t.Errorf("Verify with a different key under the same ID = %v, want ErrPasswordMismatch", err)
	}
	// Rotation: k2 becomes current, k1 still verifies and is upgraded at login.
	h2 := with(auth.Pepper{ID: "k2", Key: k2}, auth.Pepper{ID: "k1", Key: k1})
	if rehash, err := h2.Verify(ctx, "pepper-me", enc1); err != nil || !rehash {
		t.Errorf("Verify(k1 hash) after rotation = %v, %v; want true, nil", rehash, err)
	}
	nh, err := h2.Login(ctx, "pepper-me", enc1)
	if err != nil || !strings.Contains(nh, ",keyid=k2$") {
		t.Fatalf("Login(k1 hash) after rotation = %q, %v; want a keyid=k2 hash", nh, err)
	}
	// Retiring k1: its hashes no longer verify, the upgraded one does.
	h3 := with(auth.Pepper{ID: "k2", Key: k2})
	if _, err := h3.Login(ctx, "pepper-me", enc1); !errors.Is(err, auth.ErrUnknownPepper) {
		t.Errorf("Login(k1 hash) after retiring k1 = %v, want ErrUnknownPepper", err)
	}
	if _, err := h3.Login(ctx, "pepper-me", nh); err != nil {
		t.Errorf("Login(k2 hash) = %v, want nil", err)
	}
	// An unpeppered hash verifies and is upgraded to the pepper.
	plain, err := newTestHasher(t, base).Hash(ctx, "pepper-me")
	if err != nil {
		t.Fatal(err)
	}
	if nh, err := h3.Login(ctx, "pepper-me", plain); err != nil || !strings.Contains(nh, ",keyid=k2$") {
		t.Errorf("Login(unpeppered) = %q, %v; want a keyid=k2 hash", nh, err)
	}
	// Peppers work for scrypt and PBKDF2 too.
	for _, name := range []string{"scrypt", "pbkdf2"} {
		cfg := passwordFastConfigs[name]
		cfg.Peppers = []auth.Pepper{{ID: "k2", Key: k2}}
		hp := newTestHasher(t, cfg)
		enc, err := hp.Hash(ctx, "pepper-me")
		if err != nil || !strings.Contains(enc, "keyid=k2$") {
			t.Fatalf("%s Hash with pepper = %q, %v", name, enc, err)
		}
		if _, err := hp.Verify(ctx, "pepper-me", enc); err != nil {
			t.Errorf("%s Verify(peppered) = %v", name, err)
		}
	}
}

func TestNormalization(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, passwordFastConfigs["argon2id"])
	// "ﬁ" (U+FB01) is "fi" under NFKC; "Å" as A + combining ring is U+00C5.
	enc, err := h.Hash(ctx, "\uFB01nally A\u030A")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Verify(ctx, "finally \u00C5", enc); err != nil {
		t.Errorf("Verify(NFKC-equivalent) = %v, want nil", err)
	}
	cfg := passwordFastConfigs["argon2id"]
	cfg.SkipNormalization = true
	raw := newTestHasher(t, cfg)
	if _, err := raw.Verify(ctx, "\uFB01nally A\u030A", enc); !errors.Is(err, auth.ErrPasswordMismatch) {
		t.Errorf("Verify(raw bytes) with SkipNormalization = %v, want ErrPasswordMismatch", err)
	}
}

func TestCancelledContext(t *testing.T) {
	h := newTestHasher(t, passwordFastConfigs["argon2id"])
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw-1234567"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash(cancelled ctx) = %v, want context.Canceled", err)
	}
	if _, err := h.Login(ctx, "pw-1234567", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Login(cancelled ctx) = %v, want context.Canceled", err)
	}
}

func TestHashAlgorithmString(t *testing.T) {
	for alg, want := range map[auth.HashAlgorithm]string{auth.Argon2id: "argon2id", auth.Bcrypt: "bcrypt", auth.Scrypt: "scrypt", auth.PBKDF2SHA256: "pbkdf2-sha256", 9: "HashAlgorithm(9)"} {
		if got := alg.String(); got != want {
			t.Errorf("HashAlgorithm(%d).String() = %q, want %q", int(alg), got, want)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy source down") }

func TestRandFailureIsAnError(t *testing.T) {
	if _, err := auth.NewHasher(auth.HasherConfig{Rand: failingReader{}}); err == nil {
		t.Error("NewHasher with a failing Rand = nil error, want an error")
	}
}

// TestNeedsRehashOnParameterChange checks each parameter that makes a stored hash stale.
func TestNeedsRehashOnParameterChange(t *testing.T) {
	ctx := context.Background()
	for name, pair := range map[string][2]auth.HasherConfig{
		"argon2 memory":  {{Argon2: auth.Argon2Params{Memory: 256, Time: 1, Threads: 1}}, {Argon2: auth.Argon2Params{Memory: 512, Time: 1, Threads: 1}}},
		"argon2 time":    {{Argon2: auth.Argon2Params{Memory: 256, Time: 1, Threads: 1}}, {Argon2: auth.Argon2Params{Memory: 256, Time: 2, Threads: 1}}},
		"argon2 threads": {{Argon2: auth.Argon2Params{Memory: 256, Time: 1, Threads: 1}}, {Argon2: auth.Argon2Params{Memory: 256, Time: 1, Threads: 2}}},
		"bcrypt cost":    {{Algorithm: auth.Bcrypt, BcryptCost: 4}, {Algorithm: auth.Bcrypt, BcryptCost: 5}},
		"scrypt N":       {{Algorithm: auth.Scrypt, Scrypt: auth.ScryptParams{LogN: 8}}, {Algorithm: auth.Scrypt, Scrypt: auth.ScryptParams{LogN: 9}}},
		"pbkdf2 rounds":  {{Algorithm: auth.PBKDF2SHA256, PBKDF2Iterations: 1000}, {Algorithm: auth.PBKDF2SHA256, PBKDF2Iterations: 2000}},
	} {
		old, cur := newTestHasher(t, pair[0]), newTestHasher(t, pair[1])
		enc, err := old.Hash(ctx, "rehash-me-please")
		if err != nil {
			t.Fatal(err)
		}
		if old.NeedsRehash(enc) || !cur.NeedsRehash(enc) {
			t.Errorf("%s: NeedsRehash = %v (same config), %v (new config); want false, true", name, old.NeedsRehash(enc), cur.NeedsRehash(enc))
		}
		if rehash, err := cur.Verify(ctx, "rehash-me-please", enc); err != nil || !rehash {
			t.Errorf("%s: Verify = %v, %v; want true, nil", name, rehash, err)
		}
	}
}

// TestImportedRawByteHashes checks that hashes another system made over a password's raw bytes
// (passlib, PHP) still verify when NFKC normalization changes that password (full-width
// characters from an input method), that Login then upgrades them to a hash of the normalized
// password, and that a wrong password, or the normalized form against the raw-byte hash,
// fails.
func TestImportedRawByteHashes(t *testing.T) {
	ctx := context.Background()
	const pw = "ｐａｓｓｗｏｒｄ１２３４" // NFKC: "password1234"
	h := newTestHasher(t, passwordFastConfigs["argon2id"])
	for _, cfg := range []auth.HasherConfig{
		{Algorithm: auth.Bcrypt, BcryptCost: 4, SkipNormalization: true},
		{Argon2: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}, SkipNormalization: true},
	} {
		legacy := newTestHasher(t, cfg)
		stored, err := legacy.Hash(ctx, pw) // raw bytes, as the other system did
		if err != nil {
			t.Fatal(err)
		}
		t.Run(stored[:4], func(t *testing.T) {
			newHash, err := h.Login(ctx, pw, stored)
			if err != nil {
				t.Fatalf("Login(correct password, raw-byte hash) = %v, want nil", err)
			}
			if newHash == "" {
				t.Fatal("Login of a raw-byte hash returned no upgrade")
			}
			if needs, err := h.Verify(ctx, "password1234", newHash); err != nil || needs {
				t.Errorf("Verify(normalized, upgraded hash) = %v, %v; want false, nil", needs, err)
			}
			if needs, err := h.Verify(ctx, pw, stored); err != nil || !needs {
				t.Errorf("Verify(raw-byte hash) = %v, %v; want needsRehash, nil", needs, err)
			}
			for _, wrong := range []string{"ｐａｓｓｗｏｒｄ１２３５", "password1234"} {
				if _, err := h.Login(ctx, wrong, stored); !errors.Is(err, auth.ErrPasswordMismatch) {
					t.Errorf("Login(%q, raw-byte hash) = %v, want ErrPasswordMismatch", wrong, err)
				}
			}
		})
	}
}
