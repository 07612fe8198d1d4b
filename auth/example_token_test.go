package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// exampleTokenKeyring builds a keyring with a freshly generated key. Real services load the secret
// from a secret manager (and never hard-code it), so that every instance shares it and tokens
// survive restarts.
func exampleTokenKeyring(cfg auth.TokenConfig) *auth.Keyring {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		log.Fatal(err)
	}
	key, err := auth.NewKey("2026-11", secret)
	if err != nil {
		log.Fatal(err)
	}
	kr, err := auth.NewKeyring(cfg, key)
	if err != nil {
		log.Fatal(err)
	}
	return kr
}

// Issue a token for one purpose and verify it; the same token is worthless for any other.
func ExampleKeyring_Sign() {
	kr := exampleTokenKeyring(auth.TokenConfig{})
	ctx := context.Background()

	tok, err := kr.Sign(ctx, "email-verify", auth.Claims{
		Subject: "user-42",
		Expiry:  time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}

	c, err := kr.Verify(ctx, "email-verify", tok)
	fmt.Println(c.Subject, err)

	_, err = kr.Verify(ctx, "password-reset", tok)
	fmt.Println(errors.Is(err, auth.ErrInvalidToken))
	// Output:
	// user-42 <nil>
	// true
}

// tokenTenant is a caller-defined claim carried in Claims.Extra.
type tokenTenant struct {
	ID   uint32
	Plan string
}

func (t tokenTenant) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint32(b, t.ID)
	return append(b, t.Plan...), nil
}

func (t *tokenTenant) UnmarshalBinary(b []byte) error {
	if len(b) < 4 {
		return errors.New("tokenTenant: short")
	}
	t.ID, t.Plan = binary.BigEndian.Uint32(b), string(b[4:])
	return nil
}

// Typed custom claims travel in Claims.Extra through encoding.BinaryAppender and
// encoding.BinaryUnmarshaler; the token authenticates them but does not hide them.
func ExampleKeyring_Sign_customClaims() {
	kr := exampleTokenKeyring(auth.TokenConfig{})
	ctx := context.Background()

	extra, err := tokenTenant{ID: 7, Plan: "pro"}.AppendBinary(nil)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := kr.Sign(ctx, "api", auth.Claims{Subject: "user-42", Extra: extra})
	if err != nil {
		log.Fatal(err)
	}

	c, err := kr.Verify(ctx, "api", tok)
	if err != nil {
		log.Fatal(err)
	}
	var tn tokenTenant
	if err := tn.UnmarshalBinary(c.Extra); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: tokenTenant %d on %s\n", c.Subject, tn.ID, tn.Plan)
	// Output: user-42: tokenTenant 7 on pro
}

// Rotate keys: the new key signs, the old one verifies until its NotAfter.
func ExampleNewKeyring_rotation() {
	newKey := func(id string) auth.Key {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			log.Fatal(err)
		}
		k, err := auth.NewKey(id, secret)
		if err != nil {
			log.Fatal(err)
		}
		return k
	}
	ctx := context.Background()
	oldKey := newKey("2026-10")
	before, _ := auth.NewKeyring(auth.TokenConfig{}, oldKey)
	oldTok, _ := before.Sign(ctx, "session", auth.Claims{Subject: "user-42"})

	// Retire the old key once its last tokens (one hour by default) have expired.
	oldKey.NotAfter = time.Now().Add(auth.DefaultTokenTTL)
	after, err := auth.NewKeyring(auth.TokenConfig{}, newKey("2026-11"), oldKey)
	if err != nil {
		log.Fatal(err)
	}
	_, err = after.Verify(ctx, "session", oldTok)
	fmt.Println("old token:", err)
	_, err = after.VerifyAt(ctx, time.Now().Add(2*time.Hour), "session", oldTok)
	fmt.Println("after NotAfter:", errors.Is(err, auth.ErrInvalidToken))
	fmt.Println("signs with:", after.PrimaryKeyID())
	// Output:
	// old token: <nil>
	// after NotAfter: true
	// signs with: 2026-11
}

// Log out everywhere: one generation increment revokes every session of a user.
func ExampleSessions_LogoutEverywhere() {
	store, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := auth.NewSessions(exampleTokenKeyring(auth.TokenConfig{Revocation: store}), auth.SessionConfig{})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	laptop, _, err := sessions.Login(ctx, auth.Claims{Subject: "user-42"})
	if err != nil {
		log.Fatal(err)
	}
	phone, _, err := sessions.Login(ctx, auth.Claims{Subject: "user-42"})
	if err != nil {
		log.Fatal(err)
	}

	if err := sessions.LogoutEverywhere(ctx, "user-42"); err != nil {
		log.Fatal(err)
	}
	for _, tok := range []string{laptop, phone} {
		_, err := sessions.Verify(ctx, tok)
		fmt.Println(errors.Is(err, auth.ErrInvalidToken), errors.Is(err, auth.ErrRevoked))
	}

	again, _, err := sessions.Login(ctx, auth.Claims{Subject: "user-42"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = sessions.Verify(ctx, again)
	fmt.Println("new login:", err)
	// Output:
	// true true
	// true true
	// new login: <nil>
}

// Protect an API with Bearer tokens and an admin-only route.
func ExampleMiddleware_RequireRole() {
	sessions, err := auth.NewSessions(exampleTokenKeyring(auth.TokenConfig{}), auth.SessionConfig{Purpose: "api"})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := auth.NewMiddleware(sessions, auth.MiddlewareConfig{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /me", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.ClaimsFromContext(r.Context())
		fmt.Fprintln(w, "hello", c.Subject)
	})))
	mux.Handle("GET /admin", mw.RequireRole("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "welcome, admin")
	})))

	ctx := context.Background()
	admin, _, _ := sessions.Login(ctx, auth.Claims{Subject: "ada", Roles: []string{"admin"}})
	user, _, _ := sessions.Login(ctx, auth.Claims{Subject: "bob"})
	for _, tc := range []struct{ path, tok string }{
		{"/me", user}, {"/admin", admin}, {"/admin", user}, {"/me", ""}, {"/me", "forged"},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.tok != "" {
			r.Header.Set("Authorization", "Bearer "+tc.tok)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Printf("%s %d %s", tc.path, w.Code, w.Body)
	}
	// Output:
	// /me 200 hello bob
	// /admin 200 welcome, admin
	// /admin 403 {"error":"insufficient_scope"}
	// /me 401 {"error":"unauthorized"}
	// /me 401 {"error":"invalid_token"}
}

// Cookie sessions for a browser application: log in by setting the cookie, and let
// net/http's CrossOriginProtection refuse cross-origin form posts (CSRF).
func ExampleSessionCookie() {
	sessions, err := auth.NewSessions(exampleTokenKeyring(auth.TokenConfig{}), auth.SessionConfig{})
	if err != nil {
		log.Fatal(err)
	}
	cookie := auth.SessionCookie{} // __Host-session; Secure; HttpOnly; SameSite=Lax; Path=/
	mw, err := auth.NewMiddleware(sessions, auth.MiddlewareConfig{Cookie: &cookie})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// ... check the password with a Hasher first ...
		tok, c, err := sessions.Login(r.Context(), auth.Claims{Subject: "user-42"})
		if err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		if err := cookie.Set(w, tok, time.Until(c.Expiry)); err != nil {
			http.Error(w, "unavailable", http.StatusInternalServerError)
		}
	})
	mux.Handle("POST /transfer", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "transferred")
	})))
	handler := http.NewCrossOriginProtection().Handler(mux)

	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "https://bank.example/login", nil))
	session := w.Result().Cookies()[0]
	fmt.Println("login:", w.Code, session.Name, session.Secure, session.HttpOnly)

	for _, site := range []string{"same-origin", "cross-site"} {
		r := httptest.NewRequest(http.MethodPost, "https://bank.example/transfer", nil)
		r.Header.Set("Sec-Fetch-Site", site)
		r.AddCookie(session)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(site, "POST:", w.Code)
	}
	// Output:
	// login: 200 __Host-session true true
	// same-origin POST: 200
	// cross-site POST: 403
}

// Issue an API key: show it once, store only its hash, and verify presented keys.
func ExampleNewAPIKey() {
	key, hash, err := auth.NewAPIKey("acme")
	if err != nil {
		log.Fatal(err)
	}
	// Show key to the customer once; store hash.String() (or hash bytes) in the database.

	// Later, on a request: a malformed key fails before any lookup...
	_, err = auth.HashAPIKey("acme_not-a-key")
	fmt.Println(errors.Is(err, auth.ErrInvalidAPIKey))
	// ... and a well-formed one is looked up by its hash, then confirmed in constant time.
	lookup, err := auth.HashAPIKey(key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(lookup == hash, auth.VerifyAPIKey(hash, key))
	// Output:
	// true
	// true <nil>
}
