package secretbox_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rampart-go/rampart/secretbox"
)

// Seal a value bound to the row it belongs to, and open it again. In a real service the key
// comes from a secret store or a 0600 key file (see ReadKeyFile), never from the source code.
func Example() {
	key, err := secretbox.GenerateKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	ring, err := secretbox.NewKeyring(key)
	if err != nil {
		log.Fatal(err)
	}
	sealed, err := ring.Seal([]byte("4111 1111 1111 1111"), []byte("users/42/card"))
	if err != nil {
		log.Fatal(err)
	}
	card, stale, err := ring.Open(sealed, []byte("users/42/card"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(card), stale)

	// The same value presented as another row's fails to open.
	_, _, err = ring.Open(sealed, []byte("users/43/card"))
	fmt.Println(err)
	// Output:
	// 4111 1111 1111 1111 false
	// secretbox: message authentication failed
}

// Rotate keys: the new key becomes the primary, old values still open and report that they
// should be re-sealed.
func ExampleKeyring_Open_rotation() {
	oldKey, _ := secretbox.GenerateKey(nil)
	before, _ := secretbox.NewKeyring(oldKey)
	sealed, _ := before.Seal([]byte("api token"), nil)

	newKey, _ := secretbox.GenerateKey(nil)
	after, err := secretbox.NewKeyring(newKey, oldKey)
	if err != nil {
		log.Fatal(err)
	}
	plain, stale, err := after.Open(sealed, nil)
	if err != nil {
		log.Fatal(err)
	}
	if stale {
		sealed, _ = after.Seal(plain, nil) // write it back
	}
	_, stale, _ = after.Open(sealed, nil)
	fmt.Println(string(plain), stale)
	// Output: api token false
}

// Fernet tokens interoperate with Python's cryptography.fernet. Keys are generated once and
// stored with Encode; decrypting with a TTL is a different call from decrypting without one.
func ExampleFernet() {
	key, err := secretbox.GenerateFernetKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	f := secretbox.NewFernet(key)
	token, err := f.Encrypt([]byte("hello"))
	if err != nil {
		log.Fatal(err)
	}
	msg, err := f.DecryptTTL(token, time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(msg))

	// An hour and a minute later, the token has expired.
	_, err = f.DecryptTTLAt(token, time.Hour, time.Now().Add(61*time.Minute))
	fmt.Println(err)

	// Rotation: decrypt with any key, re-encrypt under the first, keeping the timestamp.
	newKey, _ := secretbox.GenerateFernetKey(nil)
	multi := secretbox.NewFernet(newKey, key)
	rotated, err := multi.Rotate(token)
	if err != nil {
		log.Fatal(err)
	}
	msg, err = secretbox.NewFernet(newKey).Decrypt(rotated)
	fmt.Println(string(msg), err)
	// Output:
	// hello
	// secretbox: token expired
	// hello <nil>
}

// Protect data with a passphrase. Changing the passphrase rewrites only the header.
func ExamplePassphrase() {
	pass := secretbox.NewPassphrase([]byte("correct horse battery staple"))
	pass.KDF = secretbox.KDF{Time: 1, Memory: 8 << 10, Threads: 1} // cheap for the example; keep the defaults in real use

	var file bytes.Buffer
	w, err := secretbox.NewWriter(&file, pass, nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.WriteString(w, "my secret notes"); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	newPass := secretbox.NewPassphrase([]byte("a much longer new passphrase"))
	newPass.KDF = pass.KDF
	var rewrapped bytes.Buffer
	if err := secretbox.Rewrap(&rewrapped, &file, pass, newPass, nil); err != nil {
		log.Fatal(err)
	}
	r, err := secretbox.NewReader(&rewrapped, newPass, nil)
	if err != nil {
		log.Fatal(err)
	}
	notes, err := io.ReadAll(r)
	fmt.Println(string(notes), err)
	// Output: my secret notes <nil>
}

// Encrypt a stream of any size in constant memory.
func ExampleNewWriter() {
	key, _ := secretbox.GenerateKey(nil)
	ring, _ := secretbox.NewKeyring(key)

	var encrypted bytes.Buffer
	w, err := secretbox.NewWriter(&encrypted, ring, []byte("backup-2026-11-27.tar"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.Copy(w, strings.NewReader(strings.Repeat("data ", 100_000))); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil { // writes the final chunk
		log.Fatal(err)
	}

	r, err := secretbox.NewReader(&encrypted, ring, []byte("backup-2026-11-27.tar"))
	if err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	fmt.Println(n, err)
	// Output: 500000 <nil>
}

// Write an encrypted file crash-safely and read it back.
func ExampleEncryptFile() {
	dir, _ := os.MkdirTemp("", "secretbox-example")
	defer os.RemoveAll(dir)

	key, _ := secretbox.GenerateKey(nil)
	// Store the key in a 0600 file; ReadKeyFile refuses files others can read.
	keyFile := filepath.Join(dir, "keys")
	if err := secretbox.WriteKeyFile(keyFile, []byte(key.Encode()+"\n")); err != nil {
		log.Fatal(err)
	}
	text, err := secretbox.ReadKeyFile(keyFile)
	if err != nil {
		log.Fatal(err)
	}
	ring, err := secretbox.ParseKeyring(string(text))
	if err != nil {
		log.Fatal(err)
	}

	name := filepath.Join(dir, "config.enc")
	if err := secretbox.EncryptFile(name, strings.NewReader("db_password=s3cr3t"), ring, []byte("config.enc")); err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	if err := secretbox.DecryptFile(name, &out, ring, []byte("config.enc")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.String())
	// Output: db_password=s3cr3t
}
