package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/secretbox"
)

// Keys come from the environment in production, or from a key file that secureapi generates
// next to the data on first start, for development.
const (
	// envStoreKeys holds the store's secretbox keys (Key.Encode), newest first, separated by
	// white space: the store is encrypted under the first and opened with any.
	envStoreKeys = "SECUREAPI_STORE_KEYS"
	// envTokenKey holds the session-token HMAC key: 32 or more random bytes in base64url.
	envTokenKey = "SECUREAPI_TOKEN_KEY"
	// keyFileName is the generated key file under -data, mode 0600.
	keyFileName = "keys.json"
)

// keyFile is the content of the generated key file.
type keyFile struct {
	StoreKeys string `json:"store_keys"`
	TokenKey  string `json:"token_key"`
}

// keys are the secrets the service runs with.
type keys struct {
	store *secretbox.Keyring
	token auth.Key
}

// loadKeys reads the keys from the environment if both variables are set, or else from the
// key file in dir, which it creates with fresh random keys (and a warning) if it is missing.
// Setting only one of the variables is an error: half the keys from each place is a recipe
// for losing data.
func loadKeys(dir string, getenv func(string) string, logger *slog.Logger) (keys, error) {
	storeKeys, tokenKey := getenv(envStoreKeys), getenv(envTokenKey)
	switch {
	case storeKeys != "" && tokenKey != "":
		return parseKeys(keyFile{StoreKeys: storeKeys, TokenKey: tokenKey}, "the environment")
	case storeKeys != "" || tokenKey != "":
		return keys{}, fmt.Errorf("set both %s and %s, or neither (to use the key file)", envStoreKeys, envTokenKey)
	}

	path := filepath.Join(dir, keyFileName)
	b, err := secretbox.ReadKeyFile(path) // refuses a file that others can read
	if errors.Is(err, fs.ErrNotExist) {
		kf, err := generateKeys()
		if err != nil {
			return keys{}, err
		}
		if b, err = json.Marshal(kf); err != nil {
			return keys{}, err
		}
		if err := secretbox.WriteKeyFile(path, b); err != nil {
			return keys{}, err
		}
		if logger != nil {
			logger.Warn("generated new keys into a key file next to the data; in production pass them in "+
				envStoreKeys+" and "+envTokenKey+" from a secret manager instead", "path", path)
		}
	} else if err != nil {
		return keys{}, err
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return keys{}, fmt.Errorf("%s: malformed key file", path)
	}
	return parseKeys(kf, path)
}

// generateKeys draws a new store key and token key.
func generateKeys() (keyFile, error) {
	sk, err := secretbox.GenerateKey(nil)
	if err != nil {
		return keyFile{}, err
	}
	tk := make([]byte, 32)
	if _, err := rand.Read(tk); err != nil {
		return keyFile{}, err
	}
	return keyFile{StoreKeys: sk.Encode(), TokenKey: base64.RawURLEncoding.EncodeToString(tk)}, nil
}

// parseKeys decodes kf; from names where the keys came from, for errors (which never contain
// key material).
func parseKeys(kf keyFile, from string) (keys, error) {
	ring, err := secretbox.ParseKeyring(kf.StoreKeys)
	if err != nil {
		return keys{}, fmt.Errorf("store keys from %s: %w", from, err)
	}
	secret, err := base64.RawURLEncoding.DecodeString(kf.TokenKey)
	if err != nil || len(secret) < auth.MinKeySize {
		return keys{}, fmt.Errorf("token key from %s: want %d or more random bytes in unpadded base64url", from, auth.MinKeySize)
	}
	// The key ID is derived from the key, so tokens signed under a replaced key fail cleanly
	// as "unknown key" rather than as a bad signature.
	sum := sha256.Sum256(secret)
	tk, err := auth.NewKey("k"+hex.EncodeToString(sum[:4]), secret)
	if err != nil {
		return keys{}, err
	}
	return keys{store: ring, token: tk}, nil
}
