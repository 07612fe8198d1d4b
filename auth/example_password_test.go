package auth_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/rampart-go/rampart/auth"
)

// Sign-up and login with the secure defaults: check the new password against the policy, hash
// it, and call Login for every attempt, whether or not the user exists.
func Example() {
	ctx := context.Background()
	hasher, err := auth.NewHasher(auth.HasherConfig{}) // argon2id, m=19 MiB, t=2, p=1
	if err != nil {
		panic(err)
	}
	policy := &auth.PasswordPolicy{ContextWords: []string{"example.com"}}

	// Sign-up.
	if err := policy.Check(ctx, "correct horse battery staple", "alice"); err != nil {
		fmt.Println("rejected:", err)
		return
	}
	stored, err := hasher.Hash(ctx, "correct horse battery staple")
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$"))

	// Login: a wrong password, the right one, and a user that does not exist ("" as the
	// stored hash), which costs the same and fails the same way as a wrong password.
	_, err = hasher.Login(ctx, "Tr0ub4dor&3", stored)
	fmt.Println(errors.Is(err, auth.ErrPasswordMismatch))
	newHash, err := hasher.Login(ctx, "correct horse battery staple", stored)
	fmt.Println(err == nil, newHash == "")
	_, err = hasher.Login(ctx, "correct horse battery staple", "")
	fmt.Println(errors.Is(err, auth.ErrPasswordMismatch))
	// Output:
	// true
	// true
	// true true
	// true
}

// Upgrade on login: a hash from a legacy system (here PBKDF2-SHA256 as passlib and Django-era
// code wrote it) verifies, and the successful login returns an argon2id hash to store instead.
func ExampleHasher_Login() {
	ctx := context.Background()
	hasher, err := auth.NewHasher(auth.HasherConfig{})
	if err != nil {
		panic(err)
	}
	// As read from the users table; made by passlib.hash.pbkdf2_sha256 with 29,000 rounds.
	stored := "$pbkdf2-sha256$29000$15qzNqaUUqp1zhnjfE.p1Q$t7MVZlNG5uFYMWmGia.Owbvwkt3pJTctWl4qvzTF78o"

	newHash, err := hasher.Login(ctx, "correct horse battery staple", stored)
	if err != nil {
		fmt.Println("login failed")
		return
	}
	if newHash != "" {
		stored = newHash // UPDATE users SET password_hash = $1 WHERE id = $2
	}
	fmt.Println(stored[:31]) // the salt and digest that follow are random
	fmt.Println(hasher.NeedsRehash(stored))
	// Output:
	// $argon2id$v=19$m=19456,t=2,p=1$
	// false
}

// A bcrypt hash moves to argon2id the same way; bcrypt's 72-byte limit is enforced, never
// silently applied.
func ExampleHasher_Login_bcrypt() {
	ctx := context.Background()
	hasher, err := auth.NewHasher(auth.HasherConfig{})
	if err != nil {
		panic(err)
	}
	stored := "$2b$08$8v45TxdQ2rkwOfRcY5EgiOjM6XQNptPgtm6qaJXTN.vG4ajXDzIoq" // Python's bcrypt, cost 8

	newHash, err := hasher.Login(ctx, "correct horse battery staple", stored)
	fmt.Println(err, strings.HasPrefix(newHash, "$argon2id$"))
	_, err = hasher.Verify(ctx, strings.Repeat("x", 73), stored)
	fmt.Println(errors.Is(err, auth.ErrPasswordTooLong))
	// Output:
	// <nil> true
	// true
}

// Peppers: generate the key once, keep it in a secret manager, never in code or the database.
// To rotate, put the new pepper first and keep the old one until Login has upgraded the hashes.
func ExampleHasherConfig_peppers() {
	ctx := context.Background()
	oldKey, newKey := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(oldKey) // in production: loaded from the secret manager
	_, _ = rand.Read(newKey)

	before := auth.MustNewHasher(auth.HasherConfig{Peppers: []auth.Pepper{{ID: "2025", Key: oldKey}}})
	stored, err := before.Hash(ctx, "correct horse battery staple")
	if err != nil {
		panic(err)
	}

	after := auth.MustNewHasher(auth.HasherConfig{Peppers: []auth.Pepper{
		{ID: "2026", Key: newKey}, // current: new hashes use it
		{ID: "2025", Key: oldKey}, // retired: still verifies
	}})
	newHash, err := after.Login(ctx, "correct horse battery staple", stored)
	fmt.Println(err, strings.Contains(stored, "keyid=2025$"), strings.Contains(newHash, "keyid=2026$"))
	// Output: <nil> true true
}

// A policy rejection carries reasons a UI can show.
func ExamplePasswordPolicy_Check() {
	policy := &auth.PasswordPolicy{}
	err := policy.Check(context.Background(), "Password2024!")
	var perr *auth.PolicyError
	if errors.As(err, &perr) {
		fmt.Println(perr.Reasons)
		for _, m := range perr.Messages() {
			fmt.Println(m)
		}
	}
	// Output:
	// [common]
	// This password is too common. Choose one that is harder to guess.
}

func ExampleGeneratePassphrase() {
	passphrase, bits, err := auth.GeneratePassphrase(6, " ")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d words, %.1f bits\n", len(strings.Fields(passphrase)), bits)
	// Output: 6 words, 77.5 bits
}

func ExampleGeneratePassword() {
	password, bits, err := auth.GeneratePassword(20, "")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d characters, %.0f bits\n", len(password), bits)
	// Output: 20 characters, 119 bits
}
