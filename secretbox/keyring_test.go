package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/secretbox"
)

func TestKeyringSealOpen(t *testing.T) {
	old, cur := mustKey(t), mustKey(t)
	before := mustKeyring(t, old)
	after := mustKeyring(t, cur, old)

	tests := []struct {
		name string
		pt   []byte
		ad   []byte
	}{
		{"empty", nil, nil},
		{"small", []byte("4111 1111 1111 1111"), []byte("users/42/card")},
		{"no ad", []byte("x"), nil},
		{"large", bytes.Repeat([]byte("a"), 1<<20), []byte("blob")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := before.Seal(tt.pt, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(tt.pt)+45 {
				t.Errorf("len(Seal) = %d, want %d", len(sealed), len(tt.pt)+45)
			}
			got, stale, err := before.Open(sealed, tt.ad)
			if err != nil || stale || !bytes.Equal(got, tt.pt) {
				t.Fatalf("Open under the sealing primary = %q, %v, %v", got, stale, err)
			}
			got, stale, err = after.Open(sealed, tt.ad)
			if err != nil || !stale || !bytes.Equal(got, tt.pt) {
				t.Fatalf("Open after rotation = %v, stale %v, %v; want stale", len(got), stale, err)
			}
			resealed, err := after.Seal(got, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if _, stale, err := after.Open(resealed, tt.ad); err != nil || stale {
				t.Errorf("Open(resealed) stale %v, %v", stale, err)
			}
			if _, _, err := before.Open(resealed, tt.ad); !errors.Is(err, secretbox.ErrAuth) {
				t.Errorf("old keyring opens a value sealed under a key it lacks: %v", err)
			}
			if _, _, err := after.Open(sealed, append(tt.ad, 'x')); !errors.Is(err, secretbox.ErrAuth) {
				t.Errorf("Open with different ad = %v, want ErrAuth", err)
			}
		})
	}
}

func TestKeyringTamper(t *testing.T) {
	r := mustKeyring(t, mustKey(t), mustKey(t))
	sealed, err := r.Seal([]byte("attack at dawn"), []byte("row 7"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(sealed) * 8 {
		m := bytes.Clone(sealed)
		m[i/8] ^= 1 << (i % 8)
		if got, _, err := r.Open(m, []byte("row 7")); err != secretbox.ErrAuth || got != nil { //nolint:errorlint // the opaque error is returned unwrapped, and that is what is checked
			t.Fatalf("bit %d flipped: Open = %q, %v; want exactly ErrAuth", i, got, err)
		}
	}
	for n := range len(sealed) {
		if _, _, err := r.Open(sealed[:n], []byte("row 7")); !errors.Is(err, secretbox.ErrAuth) {
			t.Fatalf("truncated to %d: Open = %v, want ErrAuth", n, err)
		}
	}
	if _, _, err := r.Open(append(bytes.Clone(sealed), 0), []byte("row 7")); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("extended: Open = %v, want ErrAuth", err)
	}
}

func TestNewKeyringErrors(t *testing.T) {
	k := mustKey(t)
	if _, err := secretbox.NewKeyring(k, k); err == nil {
		t.Error("NewKeyring with a duplicate ID succeeded")
	}
	if _, err := secretbox.NewKeyring(nil); err == nil {
		t.Error("NewKeyring(nil) succeeded")
	}
	if _, err := secretbox.NewKeyring(k, nil); err == nil {
		t.Error("NewKeyring(k, nil) succeeded")
	}
}

func TestKeyEncoding(t *testing.T) {
	k := mustKey(t)
	enc := k.Encode()
	k2, err := secretbox.ParseKey(enc)
	if err != nil || k2.ID() != k.ID() || k2.Encode() != enc {
		t.Fatalf("ParseKey(Encode()) = %v, %v", k2, err)
	}
	// Both keys open each other's values.
	sealed, _ := mustKeyring(t, k).Seal([]byte("v"), nil)
	if got, _, err := mustKeyring(t, k2).Open(sealed, nil); err != nil || string(got) != "v" {
		t.Errorf("parsed key Open = %q, %v", got, err)
	}
	for _, bad := range []string{"", enc + " ", " " + enc, enc + "\n", enc[:len(enc)-1], enc + "A", "sbk2_" + enc[5:], strings.ToUpper(enc)} {
		if _, err := secretbox.ParseKey(bad); !errors.Is(err, secretbox.ErrInvalidKey) {
			t.Errorf("ParseKey(%q) = %v, want ErrInvalidKey", bad, err)
		}
	}
	assertRedacted(t, k, enc)
	assertRedacted(t, *k, enc)
	if s := fmt.Sprint(k); !strings.Contains(s, fmt.Sprintf("%08x", k.ID())) {
		t.Errorf("String() = %q, want it to show the key ID", s)
	}
}

func TestParseKeyring(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	r, err := secretbox.ParseKeyring(a.Encode() + "\n" + b.Encode() + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Primary().ID() != a.ID() {
		t.Errorf("Primary().ID() = %08x, want the first key %08x", r.Primary().ID(), a.ID())
	}
	sealed, _ := mustKeyring(t, b).Seal([]byte("x"), nil)
	if _, stale, err := r.Open(sealed, nil); err != nil || !stale {
		t.Errorf("Open(value under second key) stale %v, %v; want stale", stale, err)
	}
	for _, bad := range []string{"", "  \n", a.Encode() + " garbage"} {
		if _, err := secretbox.ParseKeyring(bad); !errors.Is(err, secretbox.ErrInvalidKey) {
			t.Errorf("ParseKeyring(%q) = %v, want ErrInvalidKey", bad, err)
		}
	}
}

func TestZeroValuesFailClosed(t *testing.T) {
	var r secretbox.Keyring
	if _, err := r.Seal([]byte("x"), nil); err == nil {
		t.Error("zero Keyring sealed")
	}
	if _, _, err := r.Open(make([]byte, 100), nil); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("zero Keyring Open = %v, want ErrAuth", err)
	}
	if _, err := secretbox.NewWriter(&bytes.Buffer{}, &r, nil); err == nil {
		t.Error("zero Keyring wrapped a stream")
	}
	var p secretbox.Passphrase
	if _, err := secretbox.NewWriter(&bytes.Buffer{}, &p, nil); err == nil {
		t.Error("zero Passphrase (empty secret) wrapped a stream")
	}
	if _, err := secretbox.NewWriter(&bytes.Buffer{}, secretbox.NewPassphrase(nil), nil); err == nil {
		t.Error("empty passphrase wrapped a stream")
	}
	var f secretbox.Fernet
	if _, err := f.Encrypt([]byte("x")); err == nil {
		t.Error("zero Fernet encrypted")
	}
	k, _ := secretbox.GenerateFernetKey(nil)
	tok, _ := secretbox.NewFernet(k).Encrypt([]byte("x"))
	if _, err := f.Decrypt(tok); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("zero Fernet Decrypt = %v, want ErrAuth", err)
	}
}

func TestKeyringPrintsNoSecret(t *testing.T) {
	k := mustKey(t)
	r := mustKeyring(t, k, mustKey(t))
	enc := k.Encode()
	raw, err := base64.RawURLEncoding.DecodeString(enc[5:])
	if err != nil {
		t.Fatal(err)
	}
	secretHex := hex.EncodeToString(raw[4:])
	for _, s := range []string{fmt.Sprintf("%v", r), fmt.Sprintf("%+v", *r), fmt.Sprintf("%#v", r), fmt.Sprintf("%v", r.Primary())} {
		if strings.Contains(s, enc[len(enc)-12:]) || strings.Contains(s, secretHex[:16]) || strings.Contains(s, string(raw[4:12])) {
			t.Errorf("printing a Keyring reveals a key: %s", s)
		}
	}
}

func TestNilWrappersFailClosed(t *testing.T) {
	ct := encryptStream(t, mustKeyring(t, mustKey(t)), []byte("x"), nil)
	for name, w := range map[string]secretbox.Wrapper{"keyring": (*secretbox.Keyring)(nil), "passphrase": (*secretbox.Passphrase)(nil)} {
		if _, err := secretbox.NewWriter(&bytes.Buffer{}, w, nil); err == nil {
			t.Errorf("%s: NewWriter with a nil pointer succeeded", name)
		}
		if _, err := secretbox.NewReader(bytes.NewReader(ct), w, nil); err == nil {
			t.Errorf("%s: NewReader with a nil pointer succeeded", name)
		}
	}
}

// TestNilAndZeroReceiversFailClosed calls every entry point on a nil pointer or a zero value that
// users can construct (a zero Key can also come from json.Unmarshal of "{}"): each must return
// an error, never panic and never seal under an all-zero key.
func TestNilAndZeroReceiversFailClosed(t *testing.T) {
	noPanic := func(t *testing.T, name string, f func() error) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s panicked: %v", name, r)
			}
		}()
		if err := f(); err == nil {
			t.Errorf("%s succeeded, want an error", name)
		}
	}
	var nilRing *secretbox.Keyring
	noPanic(t, "nil Keyring Seal", func() error { _, err := nilRing.Seal([]byte("x"), nil); return err })
	sealed, _ := mustKeyring(t, mustKey(t)).Seal([]byte("x"), nil)
	noPanic(t, "nil Keyring Open", func() error {
		_, _, err := nilRing.Open(sealed, nil)
		if err != nil && !errors.Is(err, secretbox.ErrAuth) {
			t.Errorf("nil Keyring Open = %v, want ErrAuth", err)
		}
		return err
	})
	if nilRing.Primary() != nil {
		t.Error("nil Keyring Primary() != nil")
	}

	var zeroKey secretbox.Key // what json.Unmarshal of "{}" into a Key also yields
	noPanic(t, "NewKeyring(zero Key)", func() error { _, err := secretbox.NewKeyring(&zeroKey); return err })
	noPanic(t, "NewKeyring(key, zero Key)", func() error { _, err := secretbox.NewKeyring(mustKey(t), &zeroKey); return err })
	if s := zeroKey.Encode(); s != "" {
		t.Errorf("zero Key Encode() = %q, want \"\" (it holds no key)", s)
	}
	var nilKey *secretbox.Key
	if nilKey.ID() != 0 || nilKey.Encode() != "" {
		t.Error("nil Key ID or Encode not empty")
	}

	var nilFernet *secretbox.Fernet
	fk, _ := secretbox.GenerateFernetKey(nil)
	tok, _ := secretbox.NewFernet(fk).Encrypt([]byte("x"))
	noPanic(t, "nil Fernet Encrypt", func() error { _, err := nilFernet.Encrypt([]byte("x")); return err })
	for name, f := range map[string]func() error{
		"Decrypt":    func() error { _, err := nilFernet.Decrypt(tok); return err },
		"DecryptTTL": func() error { _, err := nilFernet.DecryptTTL(tok, time.Hour); return err },
		"Timestamp":  func() error { _, err := nilFernet.Timestamp(tok); return err },
		"Rotate":     func() error { _, err := nilFernet.Rotate(tok); return err },
	} {
		noPanic(t, "nil Fernet "+name, func() error {
			err := f()
			if err != nil && !errors.Is(err, secretbox.ErrAuth) {
				t.Errorf("nil Fernet %s = %v, want ErrAuth", name, err)
			}
			return err
		})
	}
	var nilFernetKey *secretbox.FernetKey
	if s := nilFernetKey.Encode(); s != "" {
		t.Errorf("nil FernetKey Encode() = %q", s)
	}

	var zeroReader secretbox.Reader
	noPanic(t, "zero Reader Read", func() error { _, err := zeroReader.Read(make([]byte, 8)); return err })
	noPanic(t, "zero Reader WriteTo", func() error { _, err := (&secretbox.Reader{}).WriteTo(io.Discard); return err })
}

// TestSecretsRedactedInsideCallerStructs prints keys and passphrases held by value in the
// unexported fields of a caller's struct, where fmt prints fields by reflection without calling
// their String or Format methods: no verb may reveal the secret in any rendering (decimal bytes,
// hex, raw, base64).
func TestSecretsRedactedInsideCallerStructs(t *testing.T) {
	k := mustKey(t)
	kraw, err := base64.RawURLEncoding.DecodeString(k.Encode()[len("sbk1_"):])
	if err != nil {
		t.Fatal(err)
	}
	fk, _ := secretbox.GenerateFernetKey(nil)
	fraw, err := base64.URLEncoding.DecodeString(fk.Encode())
	if err != nil {
		t.Fatal(err)
	}
	pass := "correct horse battery staple"
	type config struct {
		key    secretbox.Key
		fernet secretbox.FernetKey
		pass   secretbox.Passphrase
		ring   secretbox.Keyring
		f      secretbox.Fernet
	}
	c := config{key: *k, fernet: *fk, pass: *secretbox.NewPassphrase([]byte(pass)),
		ring: *mustKeyring(t, k), f: *secretbox.NewFernet(fk)}
	renderings := func(secret []byte) []string {
		s := fmt.Sprintf("%d", secret)
		return []string{
			s[1:min(len(s)-1, 40)], // decimal bytes, as fmt prints a []byte or [N]byte field
			hex.EncodeToString(secret)[:16],
			fmt.Sprintf("%X", secret)[:16],
			string(secret[:8]),
			fmt.Sprintf("%q", secret)[1:20],
		}
	}
	// A stream writer and reader in mid-stream hold plaintext in their buffers and a chunk key.
	plain := []byte("stream plaintext that must stay out of logs")
	var streamBuf bytes.Buffer
	sw, err := secretbox.NewWriter(&streamBuf, &c.ring, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Write(plain); err != nil {
		t.Fatal(err)
	}
	type streams struct {
		w io.WriteCloser
		r *secretbox.Reader
	}
	st := streams{w: sw}
	var probes []string
	probes = append(probes, renderings(plain)...)
	probes = append(probes, renderings(kraw[4:])...)
	probes = append(probes, renderings(fraw)...)
	probes = append(probes, renderings([]byte(pass))...)
	probes = append(probes, k.Encode()[10:30], fk.Encode()[5:25])
	check := func(values ...any) {
		t.Helper()
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			for _, v := range values {
				out := fmt.Sprintf(verb, v)
				for _, p := range probes {
					if strings.Contains(out, p) {
						t.Fatalf("Sprintf(%q, %T) reveals a secret (%q): %.2000s", verb, v, p, out)
					}
				}
				if len(out) > 4096 {
					t.Fatalf("Sprintf(%q, %T) is %d bytes long: it dumps internal state such as buffers or keys", verb, v, len(out))
				}
			}
		}
	}
	check(c, &c, []config{c}, map[string]config{"c": c}, sw, st, &st)
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := secretbox.NewReader(&streamBuf, &c.ring, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 1)); err != nil { // the rest of the plaintext is now buffered
		t.Fatal(err)
	}
	st.r = r
	check(r, st, &st)
}
