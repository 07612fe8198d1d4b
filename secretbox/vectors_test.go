package secretbox_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-go/rampart/secretbox"
)

// Regenerate testdata/vectors.json with: go test ./secretbox -run TestKnownAnswers -update
// (only after a deliberate format change, which also needs a new version byte).
var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the current implementation")

const vectorsFile = "testdata/vectors.json"

// vector is one known-answer case for the formats in FORMAT.md. Randomness is the byte
// sequence RandSeed, RandSeed+1, ... (mod 256), consumed in the order FORMAT.md gives.
type vector struct {
	Name     string `json:"name"`
	Format   string `json:"format"` // "sealed" or "stream"
	Wrapper  string `json:"wrapper,omitempty"`
	Key      string `json:"key,omitempty"`
	Pass     string `json:"passphrase,omitempty"`
	KDF      *kdfJS `json:"kdf,omitempty"`
	RandSeed byte   `json:"rand_seed"`
	AD       string `json:"ad_hex"`
	// Plaintext is given in hex, or as PatternLen bytes with byte i = i mod 251.
	Plaintext  string `json:"plaintext_hex,omitempty"`
	PatternLen int    `json:"plaintext_pattern_len,omitempty"`
	// Ciphertext is given in full when short, and always as its SHA-256.
	Ciphertext string `json:"ciphertext_hex,omitempty"`
	CTSHA256   string `json:"ciphertext_sha256"`
}

type kdfJS struct {
	Scrypt  bool   `json:"scrypt"`
	Time    uint32 `json:"time"`
	Memory  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
}

func (v *vector) plaintext(t *testing.T) []byte {
	if v.PatternLen > 0 {
		b := make([]byte, v.PatternLen)
		for i := range b {
			b[i] = byte(i % 251)
		}
		return b
	}
	return mustHex(t, v.Plaintext)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seal computes the vector's ciphertext with the deterministic Rand, returning the wrapper too.
func (v *vector) seal(t *testing.T) ([]byte, secretbox.Wrapper, *secretbox.Keyring) {
	t.Helper()
	rnd := &countReader{next: v.RandSeed}
	pt, ad := v.plaintext(t), mustHex(t, v.AD)
	var kr *secretbox.Keyring
	var w secretbox.Wrapper
	if v.Key != "" {
		k, err := secretbox.ParseKey(v.Key)
		if err != nil {
			t.Fatal(err)
		}
		kr = mustKeyring(t, k)
		kr.Rand = rnd
		w = kr
	} else {
		p := secretbox.NewPassphrase([]byte(v.Pass))
		p.KDF = secretbox.KDF{Scrypt: v.KDF.Scrypt, Time: v.KDF.Time, Memory: v.KDF.Memory, Threads: v.KDF.Threads}
		p.Rand = rnd
		w = p
	}
	if v.Format == "sealed" {
		ct, err := kr.Seal(pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		return ct, w, kr
	}
	var buf bytes.Buffer
	sw, err := secretbox.NewWriter(&buf, w, ad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Write(pt); err != nil {
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w, kr
}

// vectorTemplates define the cases; -update fills in their ciphertexts.
func vectorTemplates(t *testing.T) []vector {
	// Fixed test keys, generated from deterministic bytes. Never use them for anything else.
	k1, _ := secretbox.GenerateKey(&countReader{next: 0x40})
	k2, _ := secretbox.GenerateKey(&countReader{next: 0xa0})
	fast := &kdfJS{Time: 1, Memory: 64, Threads: 1}
	return []vector{
		{Name: "sealed empty", Format: "sealed", Key: k1.Encode(), RandSeed: 0},
		{Name: "sealed with ad", Format: "sealed", Key: k1.Encode(), RandSeed: 1, Plaintext: hex.EncodeToString([]byte("4111 1111 1111 1111")), AD: hex.EncodeToString([]byte("users/42/card"))},
		{Name: "sealed other key", Format: "sealed", Key: k2.Encode(), RandSeed: 2, Plaintext: hex.EncodeToString([]byte("hello"))},
		{Name: "stream keyring empty", Format: "stream", Wrapper: "keyring", Key: k1.Encode(), RandSeed: 3},
		{Name: "stream keyring short", Format: "stream", Wrapper: "keyring", Key: k1.Encode(), RandSeed: 4, Plaintext: hex.EncodeToString([]byte("hello, stream")), AD: hex.EncodeToString([]byte("file.txt"))},
		{Name: "stream keyring one full chunk", Format: "stream", Wrapper: "keyring", Key: k2.Encode(), RandSeed: 5, PatternLen: 65536},
		{Name: "stream keyring three chunks", Format: "stream", Wrapper: "keyring", Key: k2.Encode(), RandSeed: 6, PatternLen: 150000, AD: "00ff"},
		{Name: "stream argon2id", Format: "stream", Wrapper: "argon2id", Pass: "correct horse battery staple", KDF: fast, RandSeed: 7, Plaintext: hex.EncodeToString([]byte("passphrase-protected"))},
		{Name: "stream scrypt", Format: "stream", Wrapper: "scrypt", Pass: "correct horse battery staple", KDF: &kdfJS{Scrypt: true, Memory: 64}, RandSeed: 8, Plaintext: hex.EncodeToString([]byte("scrypt-protected")), AD: hex.EncodeToString([]byte("ad"))},
	}
}

func TestKnownAnswers(t *testing.T) {
	if *update {
		vs := vectorTemplates(t)
		for i := range vs {
			ct, _, _ := vs[i].seal(t)
			if len(ct) <= 512 {
				vs[i].Ciphertext = hex.EncodeToString(ct)
			}
			sum := sha256.Sum256(ct)
			vs[i].CTSHA256 = hex.EncodeToString(sum[:])
		}
		b, err := json.MarshalIndent(vs, "", "  ") //nolint:gosec // public test vectors: the passphrase is part of the vector
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.FromSlash(vectorsFile), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", vectorsFile)
	}
	b, err := os.ReadFile(filepath.FromSlash(vectorsFile))
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(vectorTemplates(t)) {
		t.Fatalf("%s holds %d vectors, want %d (regenerate with -update)", vectorsFile, len(vs), len(vectorTemplates(t)))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			ct, w, kr := v.seal(t)
			sum := sha256.Sum256(ct)
			if hex.EncodeToString(sum[:]) != v.CTSHA256 || (v.Ciphertext != "" && hex.EncodeToString(ct) != v.Ciphertext) {
				t.Fatalf("ciphertext differs from the known answer (sha256 %x, want %s)", sum, v.CTSHA256)
			}
			// The stored answer decrypts (when given in full) and the computed one always does.
			pt, ad := v.plaintext(t), mustHex(t, v.AD)
			var got []byte
			var err error
			if v.Format == "sealed" {
				got, _, err = kr.Open(ct, ad)
			} else {
				got, err = decryptStream(w, ct, ad)
			}
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("decrypt(known answer) = %d bytes, %v; want %d bytes", len(got), err, len(pt))
			}
		})
	}
}
