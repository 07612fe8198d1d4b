package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authtest"
)

// crashChildEnv makes the test binary act as the writer child of TestStoreCrash.
const crashChildEnv = "SECUREAPI_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// itemContent is the deterministic content of item id, so a reader can tell a complete record
// from a torn one.
func itemContent(id uint64) string {
	return strings.Repeat(strconv.FormatUint(id, 36)+"-", 50+int(id%200))
}

// crashChild opens the store in dir and writes records as fast as it can: items, and every
// seventh write a user, every eleventh a revocation. After each write returns (and so is on
// disk) it prints "ack <kind> <n>". It stops after 100,000 writes if nobody kills it first.
func crashChild(dir string) error {
	k, err := loadKeys(dir, func(string) string { return "" }, nil)
	if err != nil {
		return err
	}
	st, err := openStore(dir, k.store, nil, nil)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	for range 100_000 {
		gen, _ := st.Generation(context.Background(), "crash")
		n := len(st.items()) + len(st.users()) + int(gen)
		var kind string
		switch {
		case n%7 == 3:
			kind = "user"
			err = st.createUser(user{Name: fmt.Sprintf("user%d", n), Hash: "$argon2id$" + strconv.Itoa(n), Role: roleUser, CreatedAt: time.Now().UTC()})
		case n%11 == 5:
			kind = "gen"
			_, err = st.IncrementGeneration(context.Background(), "crash")
		default:
			kind = "item"
			st.mu.RLock()
			next := st.st.NextID // this process is the only writer
			st.mu.RUnlock()
			_, err = st.addItem(item{Title: "t", Content: itemContent(next), Author: "crash"})
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "ack %s %d\n", kind, n)
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// TestStoreCrash kills a writer process with SIGKILL at many different moments and checks
// that the store always opens, holds every write that was acknowledged before the kill (and at
// most one more), and that every record is complete.
func TestStoreCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns and kills writer processes")
	}
	dir := t.TempDir()
	// The child finds the keys in the key file, as secureapi does.
	if _, err := loadKeys(dir, func(string) string { return "" }, nil); err != nil {
		t.Fatal(err)
	}

	const rounds = 30
	acked := 0 // records acknowledged so far, across rounds
	gens := uint64(0)
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$") //nolint:gosec // G204: re-executing this test binary
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a varying number of acknowledgements: 0 (while the store opens, or in the
		// first write) up to a dozen, so the kill lands at every stage of a write.
		killAfter := round % 13
		sc := bufio.NewScanner(out)
		got := 0
		for got < killAfter && sc.Scan() {
			got++
			if strings.HasPrefix(sc.Text(), "ack gen") {
				gens++
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		// Acks printed after our decision to kill but before the kill landed count too.
		for sc.Scan() {
			got++
			if strings.HasPrefix(sc.Text(), "ack gen") {
				gens++
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) && err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err == nil {
			t.Fatalf("round %d: the child exited by itself; stderr: %s", round, stderr.String())
		}
		if strings.Contains(stderr.String(), "crash child:") {
			t.Fatalf("round %d: the child failed: %s", round, stderr.String())
		}
		acked += got

		k, err := loadKeys(dir, func(string) string { return "" }, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := openStore(dir, k.store, nil, nil)
		if err != nil {
			t.Fatalf("round %d: openStore after SIGKILL = %v", round, err)
		}
		items, users := st.items(), st.users()
		gen, _ := st.Generation(context.Background(), "crash")
		total := len(items) + len(users) + int(gen)
		// Every acknowledged write is there, plus at most the one in flight at the kill.
		if total < acked || total > acked+1 {
			t.Fatalf("round %d: store holds %d records, %d acknowledged", round, total, acked)
		}
		if gen < gens {
			t.Fatalf("round %d: generation %d, %d increments acknowledged", round, gen, gens)
		}
		for i, it := range items {
			if it.ID != uint64(i+1) {
				t.Fatalf("round %d: item %d has ID %d", round, i, it.ID)
			}
			if it.Content != itemContent(it.ID) {
				t.Fatalf("round %d: item %d is incomplete: %q", round, it.ID, it.Content)
			}
		}
		for _, u := range users {
			if u.Name == "" || !strings.HasPrefix(u.Hash, "$argon2id$") {
				t.Fatalf("round %d: incomplete user %+v", round, u)
			}
		}
		acked = total // the record in flight, if it landed, is now part of the state
		gens = gen
		_ = st.close()
	}
	if acked < rounds {
		t.Errorf("only %d records written in %d rounds: the children were killed too early to test anything", acked, rounds)
	}
	// Temporary files of interrupted writes are cleaned up when the store opens.
	matches, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(matches) > 1 {
		t.Errorf("%d temporary files left behind: %v", len(matches), matches)
	}
	t.Logf("%d rounds, %d records", rounds, acked)
}

// TestStoreRevocationConformance runs auth's conformance test for revocation stores against
// the store, which is secureapi's persistent revocation store.
func TestStoreRevocationConformance(t *testing.T) {
	authtest.TestRevocationStore(t, func(t *testing.T) auth.RevocationStore {
		kf, err := generateKeys()
		if err != nil {
			t.Fatal(err)
		}
		k, err := parseKeys(kf, "test")
		if err != nil {
			t.Fatal(err)
		}
		st, err := openStore(t.TempDir(), k.store, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// TestStoreRevocationPersists checks that revocations survive reopening the store.
func TestStoreRevocationPersists(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadKeys(dir, func(string) string { return "" }, nil); err != nil {
		t.Fatal(err)
	}
	st := openTestStore(t, dir)
	ctx := context.Background()
	var id auth.TokenID
	id[0] = 1
	// bob's entry: alice's increment drops alice's entries, which her generation now covers.
	if err := st.Revoke(ctx, "bob", id, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.IncrementGeneration(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	_ = st.close()
	if err := st.Revoke(ctx, "alice", id, time.Now().Add(time.Hour)); !errors.Is(err, errClosed) {
		t.Errorf("Revoke after close = %v, want errClosed", err)
	}
	st2 := openTestStore(t, dir)
	if gen, revoked, err := st2.Lookup(ctx, "bob", id); err != nil || gen != 0 || !revoked {
		t.Errorf("Lookup(bob) after reopening = %d, %v, %v; want 0, true, nil", gen, revoked, err)
	}
	if gen, err := st2.Generation(ctx, "alice"); err != nil || gen != 1 {
		t.Errorf("Generation(alice) after reopening = %d, %v; want 1, nil", gen, err)
	}
}

// TestStoreKeyRotation checks the rotation the documentation promises: with a new key first,
// the store opens under the old one and is re-encrypted under the new one, so that the old key
// can then be dropped.
func TestStoreKeyRotation(t *testing.T) {
	dir := t.TempDir()
	oldKF, _ := generateKeys()
	newKF, _ := generateKeys()
	oldK, err := parseKeys(oldKF, "old")
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(dir, oldK.store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.createUser(user{Name: "alice", Hash: "h", Role: roleUser}); err != nil {
		t.Fatal(err)
	}
	_ = st.close()
	both, err := parseKeys(keyFile{StoreKeys: newKF.StoreKeys + "\n" + oldKF.StoreKeys, TokenKey: newKF.TokenKey}, "both")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(dir, both.store, nil, nil); err != nil {
		t.Fatalf("openStore with the new key first = %v", err)
	}
	newK, _ := parseKeys(newKF, "new")
	st, err = openStore(dir, newK.store, nil, nil)
	if err != nil {
		t.Fatalf("openStore with the new key alone after rotation = %v", err)
	}
	if _, ok := st.user("alice"); !ok {
		t.Error("alice lost in the rotation")
	}
}

// TestStoreLimits checks that the store refuses records beyond its caps, without writing them.
func TestStoreLimits(t *testing.T) {
	kf, _ := generateKeys()
	k, _ := parseKeys(kf, "test")
	st, err := openStore(t.TempDir(), k.store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Fill the caps in memory, then make one write through the store.
	for i := range maxUsers {
		st.st.Users[fmt.Sprintf("u%d", i)] = &user{Name: fmt.Sprintf("u%d", i)}
	}
	st.st.Items = make([]item, maxItems)
	if err := st.createUser(user{Name: "one_more"}); !errors.Is(err, errStoreFull) {
		t.Errorf("createUser beyond the cap = %v, want errStoreFull", err)
	}
	if _, err := st.addItem(item{Title: "t"}); !errors.Is(err, errStoreFull) {
		t.Errorf("addItem beyond the cap = %v, want errStoreFull", err)
	}
	if _, ok := st.user("one_more"); ok || len(st.items()) != maxItems {
		t.Error("a refused record was kept")
	}
}

// TestStoreRevokeChargesSubject: every denylist entry is charged to the subject auth passes,
// including revocations made without the caller's claims in the context (before auth passed
// the subject, such entries were charged to no one and one user could fill the service-wide
// denylist with them).
func TestStoreRevokeChargesSubject(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadKeys(dir, func(string) string { return "" }, nil); err != nil {
		t.Fatal(err)
	}
	st := openTestStore(t, dir)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for i := range maxRevokedPerUser {
		if err := st.Revoke(ctx, "mallory", auth.TokenID{1, byte(i)}, exp); err != nil {
			t.Fatalf("Revoke #%d: %v", i, err)
		}
	}
	err := st.Revoke(ctx, "mallory", auth.TokenID{2}, exp)
	if !errors.Is(err, errUserRevocationsFull) || !errors.Is(err, auth.ErrRevocationStoreFull) {
		t.Fatalf("Revoke past the per-user cap = %v, want errUserRevocationsFull", err)
	}
	if err := st.Revoke(ctx, "alice", auth.TokenID{3}, exp); err != nil {
		t.Errorf("another user's Revoke after mallory's cap = %v", err)
	}
	// mallory's logout everywhere frees her share: her generation covers those tokens.
	if _, err := st.IncrementGeneration(ctx, "mallory"); err != nil {
		t.Fatal(err)
	}
	if err := st.Revoke(ctx, "mallory", auth.TokenID{2}, exp); err != nil {
		t.Errorf("Revoke after IncrementGeneration = %v", err)
	}
}
