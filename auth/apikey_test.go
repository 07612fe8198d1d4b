package auth_test

import (
	"errors"
	"hash/crc32"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
)

// apiKeyVectors were computed independently with Python's zlib.crc32 and a base62 conversion
// written from the format description (rampart-apikey-format.md), not with this package.
var apiKeyVectors = []struct {
	key    string
	prefix string
}{
	{"rk_00000000000000000000000000000000_1yIhSk", "rk"},
	{"rk_abcdefghijklmnopqrstuvwxyzABCDEF_3762MC", "rk"},
	{"acme_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp_3ZWGIW", "acme"},
	{"a0123456789abcde_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz_0R04mU", "a0123456789abcde"},
}

var apiKeyShape = regexp.MustCompile(`^[a-z][a-z0-9]{1,15}_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$`)

// apiKeyChecksum62 is the format's checksum, written independently of the package.
func apiKeyChecksum62(s string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	v := crc32.ChecksumIEEE([]byte(s))
	out := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		out[i] = alphabet[v%62]
		v /= 62
	}
	return string(out)
}

func TestParseAPIKeyVectors(t *testing.T) {
	for _, v := range apiKeyVectors {
		p, err := auth.ParseAPIKey(v.key)
		if err != nil || p != v.prefix {
			t.Errorf("ParseAPIKey(%q) = %q, %v, want %q, nil", v.key, p, err, v.prefix)
		}
	}
}

func TestNewAPIKey(t *testing.T) {
	seen := map[string]bool{}
	counts := map[byte]int{}
	const n = 2000
	for range n {
		key, hash, err := auth.NewAPIKey("rk")
		if err != nil {
			t.Fatal(err)
		}
		if !apiKeyShape.MatchString(key) || !strings.HasPrefix(key, "rk_") {
			t.Fatalf("NewAPIKey = %q, not of the documented shape", key)
		}
		if want := apiKeyChecksum62(key[:len(key)-7]); key[len(key)-6:] != want {
			t.Fatalf("NewAPIKey = %q, checksum want %q", key, want)
		}
		if seen[key] {
			t.Fatalf("NewAPIKey returned %q twice", key)
		}
		seen[key] = true
		if err := auth.VerifyAPIKey(hash, key); err != nil {
			t.Fatalf("VerifyAPIKey(NewAPIKey) error: %v", err)
		}
		h2, err := auth.HashAPIKey(key)
		if err != nil || h2 != hash {
			t.Fatalf("HashAPIKey(%q) = %v, %v, want %v", key, h2, err, hash)
		}
		for i := 3; i < 35; i++ {
			counts[key[i]]++
		}
	}
	// Every one of the 62 characters appears, each near 1/62 of the time (a biased modulo
	// without rejection sampling would favour the first 8 characters by about 25%).
	if len(counts) != 62 {
		t.Errorf("random part uses %d distinct characters, want 62", len(counts))
	}
	mean := float64(n*32) / 62
	for c, k := range counts {
		if f := float64(k) / mean; f < 0.8 || f > 1.2 {
			t.Errorf("character %q appears %d times, %.2f of the mean", c, k, f)
		}
	}
}

func TestNewAPIKeyRejectsBadPrefixes(t *testing.T) {
	for _, p := range []string{"", "r", "Rk", "1k", "r-k", "r_k", "rk ", strings.Repeat("a", 17), "rké"} {
		if _, _, err := auth.NewAPIKey(p); !errors.Is(err, auth.ErrInvalidAPIKeyPrefix) {
			t.Errorf("NewAPIKey(%q) error = %v, want ErrInvalidAPIKeyPrefix", p, err)
		}
	}
	for _, p := range []string{"rk", "acme", "a0", strings.Repeat("a", 16)} {
		if _, _, err := auth.NewAPIKey(p); err != nil {
			t.Errorf("NewAPIKey(%q) error: %v", p, err)
		}
	}
}

func TestParseAPIKeyRejects(t *testing.T) {
	good := apiKeyVectors[1].key
	bad := []string{
		"",
		good[:len(good)-1],
		good + "0",
		" " + good,
		good + "\n",
		strings.ToUpper(good[:2]) + good[2:],
		strings.Replace(good, "_", "-", 1),
		"rk_abcdefghijklmnopqrstuvwxyzABCDE_3762MC",   // 31 random characters
		"rk_abcdefghijklmnopqrstuvwxyzABCDEFG_3762MC", // 33
		"rk_abcdefghijklmnopqrstuvwxyzABCD+F_3762MC",
		"r_abcdefghijklmnopqrstuvwxyzABCDEF_" + apiKeyChecksum62("r_abcdefghijklmnopqrstuvwxyzABCDEF"),
		"rk_abcdefghijklmnopqrstuvwxyzABCDEF_3762Mc", // checksum case
		"rk_abcdefghijklmnopqrstuvwxyzABCDEf_3762MC", // random case
		"rk_abcdefghijklmnopqrstuvwxyzABCDEF__3762M",
		strings.Repeat("a", 17) + "_abcdefghijklmnopqrstuvwxyzABCDEF_" + apiKeyChecksum62(strings.Repeat("a", 17)+"_abcdefghijklmnopqrstuvwxyzABCDEF"),
	}
	// Every single-character substitution within the alphabet breaks the checksum or the shape.
	for i := range good {
		for _, c := range []byte("0aZ_") {
			if good[i] != c {
				bad = append(bad, good[:i]+string(c)+good[i+1:])
			}
		}
	}
	for _, k := range bad {
		if _, err := auth.ParseAPIKey(k); !errors.Is(err, auth.ErrInvalidAPIKey) {
			t.Errorf("ParseAPIKey(%q) error = %v, want ErrInvalidAPIKey", k, err)
		}
		if _, err := auth.HashAPIKey(k); !errors.Is(err, auth.ErrInvalidAPIKey) {
			t.Errorf("HashAPIKey(%q) error = %v, want ErrInvalidAPIKey", k, err)
		}
	}
}

func TestVerifyAPIKey(t *testing.T) {
	key, hash, err := auth.NewAPIKey("rk")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := auth.NewAPIKey("rk")
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.VerifyAPIKey(hash, other); !errors.Is(err, auth.ErrInvalidAPIKey) {
		t.Errorf("VerifyAPIKey(other key) error = %v, want ErrInvalidAPIKey", err)
	}
	if err := auth.VerifyAPIKey(auth.APIKeyHash{}, key); !errors.Is(err, auth.ErrInvalidAPIKey) {
		t.Errorf("VerifyAPIKey(zero hash) error = %v, want ErrInvalidAPIKey", err)
	}
	text, err := hash.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var back auth.APIKeyHash
	if err := back.UnmarshalText(text); err != nil || back != hash || hash.String() != string(text) {
		t.Errorf("APIKeyHash text round trip = %v, %v; want %v", back, err, hash)
	}
	for _, s := range []string{"", "zz", strings.Repeat("g", 64), string(text[:63])} {
		if err := back.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) succeeded", s)
		}
	}
}

func FuzzParseAPIKey(f *testing.F) {
	for _, v := range apiKeyVectors {
		f.Add(v.key)
	}
	f.Add("")
	f.Add("rk__")
	f.Add(strings.Repeat("_", 56))
	f.Fuzz(func(t *testing.T, key string) {
		prefix, err := auth.ParseAPIKey(key)
		if err != nil {
			if !errors.Is(err, auth.ErrInvalidAPIKey) || prefix != "" {
				t.Fatalf("ParseAPIKey(%q) = %q, %v; want only ErrInvalidAPIKey", key, prefix, err)
			}
			return
		}
		if !apiKeyShape.MatchString(key) || key[len(key)-6:] != apiKeyChecksum62(key[:len(key)-7]) || !strings.HasPrefix(key, prefix+"_") {
			t.Fatalf("ParseAPIKey accepted %q (prefix %q), which is not a well-formed key", key, prefix)
		}
	})
}
