package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/secretbox"
)

// The store keeps every user, item and revocation in one encrypted file, storeFile under the
// data directory. Each change is written before the request that made it is answered, by
// secretbox.EncryptFile: a temporary file is written, synced and renamed over the old one, and
// the directory synced, so after a crash (SIGKILL, power loss) the file holds either the state
// before the change or after it, never a mixture. A request whose response was sent is never
// lost; the request in flight at the crash may be.
//
// Rewriting the whole file on each change is simple and safe, and fine for the thousands of
// records this example is meant for; a service with more data uses a database with its own
// write-ahead log, and secretbox.Keyring.Seal for sensitive columns. The caps below bound what
// anyone can make a write cost: at most about 3.5 MB of users (and their revocation
// generations), 4 MiB of items and 3 MB of denylist entries, under 11 MB in all
// (TestStoreWorstCaseSize), which one write encodes, encrypts and syncs in about a quarter of a
// second on a small, busy machine. The file is JSON
// without HTML escaping (it is never HTML), so the escaped text of an item is stored as it
// is: json.Marshal would turn each "&" of "&lt;" into \u0026.

const (
	storeFile = "store.enc"
	// storeAD binds the file to its purpose: a sealed file of another kind, or of another
	// version of this format, fails to open rather than being misread.
	storeAD = "secureapi/store/v1"
	// maxItems caps the submitted items, which bounds the size of the file and the cost of
	// rewriting it.
	maxItems = 10_000
	// maxItemBytes caps the stored size of all items (their JSON encoding in the file, after
	// escaping and sanitizing), whatever their number.
	maxItemBytes = 4 << 20
	// maxItemsPerUser and maxItemBytesPerUser cap the items of one author, so that one
	// account cannot fill the store (and slow down every write) for everyone: filling
	// maxItemBytes takes 32 accounts, which take one client address over 6 hours to create.
	maxItemsPerUser     = 200
	maxItemBytesPerUser = 128 << 10
	// maxUsers caps the accounts, for the same reason: registration is open to anyone.
	maxUsers = 10_000
	// maxRevoked caps the live denylist entries (logouts whose tokens have not expired yet);
	// each takes about 160 bytes of the file.
	maxRevoked = 20_000
	// maxRevokedPerUser caps the live denylist entries charged to one user, so that one
	// account cannot fill the denylist for everyone by logging in and out. Past it, a logout of
	// that user becomes a logout everywhere (see app.logout), which takes no entry.
	maxRevokedPerUser = 50
	// maxGenerations caps the subjects with a revocation generation; one per user at most.
	maxGenerations = 1 << 20
)

// Errors of the store.
var (
	errUserExists = errors.New("secureapi: user name taken")
	errStoreFull  = errors.New("secureapi: store full")
	errQuota      = errors.New("secureapi: item quota of the user reached")
	errClosed     = errors.New("secureapi: store closed")
	// errUserRevocationsFull: the user has maxRevokedPerUser live denylist entries. It matches
	// auth.ErrRevocationStoreFull, so callers handle both caps alike.
	errUserRevocationsFull = fmt.Errorf("secureapi: too many logged-out sessions of one user: %w", auth.ErrRevocationStoreFull)
)

// user is one account. Name is the user name as registered (NFKC); key, its lower-case form,
// identifies the account, so "Alice" and "alice" are the same user.
type user struct {
	Name      string    `json:"name"`
	Hash      string    `json:"hash"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// item is one submission to POST /api/data, stored as it was answered (sanitized).
type item struct {
	ID        uint64    `json:"id"`
	Title     string    `json:"title"`
	Content   string    `json:"content"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// state is what the file holds, as JSON inside the encrypted stream.
type state struct {
	Users       map[string]*user           `json:"users"` // by userKey
	Items       []item                     `json:"items"`
	NextID      uint64                     `json:"next_id"`
	Generations map[string]uint64          `json:"generations"` // auth revocation generations, by subject
	Revoked     map[auth.TokenID]time.Time `json:"revoked"`     // denylisted token IDs and their expiry
	// RevokedOwners names the subject of each Revoked entry (see store.Revoke), to cap them
	// per user. Files written before it existed lack it.
	RevokedOwners map[auth.TokenID]string `json:"revoked_owners,omitempty"`

	// Derived from Items when the store opens, and kept up to date by addItem; not stored.
	itemBytes   int            // the sum of itemSize over Items
	authorBytes map[string]int // the same per author, by userKey
}

// itemSize is the size of it in the store file, where it is encoded as JSON without HTML
// escaping.
func itemSize(it *item) int {
	var n countWriter
	e := json.NewEncoder(&n)
	e.SetEscapeHTML(false)
	_ = e.Encode(it) // an item always encodes
	return int(n)
}

// storedLen is the size of s as a JSON string in the store file, quotes excluded.
func storedLen(s string) int {
	var n countWriter
	e := json.NewEncoder(&n)
	e.SetEscapeHTML(false)
	_ = e.Encode(s) // a string always encodes
	return int(n) - len(`""`+"\n")
}

// countWriter counts the bytes written to it.
type countWriter int

func (n *countWriter) Write(p []byte) (int, error) {
	*n += countWriter(len(p))
	return len(p), nil
}

// count derives itemBytes and authorBytes from Items.
func (st *state) count() {
	st.itemBytes, st.authorBytes = 0, map[string]int{}
	for i := range st.Items {
		n := itemSize(&st.Items[i])
		st.itemBytes += n
		st.authorBytes[userKey(st.Items[i].Author)] += n
	}
}

// store is the encrypted, crash-safe store. It is also the auth.RevocationStore of the
// service, so logouts survive restarts: with an in-memory revocation store, a restart would
// bring every logged-out token back to life. It is safe for concurrent use.
//
// Writes are serialized by writeMu; a write builds the next state on a copy and encrypts it to
// disk without holding mu, then publishes it under mu for an instant. Readers (Lookup runs on
// every authenticated request) thus never wait for a file to be written, and never see a
// change before it is on disk.
type store struct {
	dir  string
	ring *secretbox.Keyring
	now  func() time.Time

	writeMu sync.Mutex // serializes writers; held across a whole write
	closed  bool       // guarded by writeMu
	// beforeWrite, if set, is called by update with the change applied to the copy, before
	// the file is written (tests block writes with it).
	beforeWrite func()
	// encryptFile writes the file; nil means secretbox.EncryptFile (tests inject failures).
	encryptFile func(name string, src io.Reader, w secretbox.Wrapper, ad []byte) error
	// log receives the durability problems that writes survive (see update).
	log *slog.Logger

	mu sync.RWMutex // guards st, the published state
	st state
}

var _ auth.RevocationStore = (*store)(nil)

// userKey is the identity of a user name: its lower-case form. Names are ASCII once validated.
func userKey(name string) string { return strings.ToLower(name) }

// openStore opens the store in dir, or starts an empty one if dir holds none. A store sealed
// under an older key of ring is rewritten under the primary key. logger (nil discards) gets
// the durability problems of writes.
func openStore(dir string, ring *secretbox.Keyring, now func() time.Time, logger *slog.Logger) (*store, error) {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &store{dir: dir, ring: ring, now: now, log: logger, st: state{
		Users: map[string]*user{}, NextID: 1,
		Generations: map[string]uint64{}, Revoked: map[auth.TokenID]time.Time{},
		RevokedOwners: map[auth.TokenID]string{}, authorBytes: map[string]int{},
	}}
	// A crash during a write can leave the temporary file of secretbox.EncryptFile behind; it
	// was never renamed into place, so it holds nothing that was acknowledged.
	if stale, err := filepath.Glob(filepath.Join(dir, "."+storeFile+".tmp-*")); err == nil {
		for _, name := range stale {
			_ = os.Remove(name) //nolint:gosec // G703: the names come from a glob inside the operator's -data directory
		}
	}
	var buf bytes.Buffer
	path := filepath.Join(dir, storeFile)
	f, err := os.Open(path) //nolint:gosec // G304: the path is the operator's -data directory
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	r, err := secretbox.NewReader(f, ring, []byte(storeAD))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w (wrong SECUREAPI_STORE_KEYS or key file?)", path, err)
	}
	if _, err := r.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(buf.Bytes(), &s.st); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if s.st.Users == nil {
		s.st.Users = map[string]*user{}
	}
	if s.st.Generations == nil {
		s.st.Generations = map[string]uint64{}
	}
	if s.st.Revoked == nil {
		s.st.Revoked = map[auth.TokenID]time.Time{}
	}
	if s.st.RevokedOwners == nil {
		s.st.RevokedOwners = map[auth.TokenID]string{}
	}
	s.st.count()
	if r.Stale() {
		if err := s.write(&s.st); errors.Is(err, secretbox.ErrNotDurable) {
			s.notDurable(err) // re-encrypted all the same
		} else if err != nil {
			return nil, fmt.Errorf("re-encrypt %s under the new key: %w", path, err)
		}
	}
	return s, nil
}

// update applies change to a copy of the state, writes the copy, and publishes it once it is
// on disk: memory never holds what the disk does not, nor lacks what it does. change may
// modify the maps and append to Items of its argument, but must not modify a *user in place
// (it is shared with the published state): it replaces the pointer instead.
//
// If only the directory sync after the rename failed (secretbox.ErrNotDurable), the file holds
// the change: update publishes it and succeeds, and logs the problem, since a crash before the
// next write syncs the directory may bring back the previous file.
func (s *store) update(change func(st *state) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed {
		return errClosed
	}
	s.mu.RLock()
	next := s.st.clone()
	s.mu.RUnlock()
	if err := change(&next); err != nil {
		return err
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	err := s.write(&next)
	if err != nil && !errors.Is(err, secretbox.ErrNotDurable) {
		return err // the file was not replaced
	}
	s.mu.Lock()
	s.st = next
	s.mu.Unlock()
	if err != nil {
		s.notDurable(err)
	}
	return nil
}

// notDurable logs a write whose file was renamed into place but whose directory could not be
// synced.
func (s *store) notDurable(err error) {
	s.log.Error("store written, but a crash may undo the write: the directory could not be synced",
		"event", "store_not_durable", "error", err.Error())
}

// clone returns a copy of st that a writer may change without disturbing readers of st. Items
// shares its array: a writer only appends beyond the length that readers of st see.
func (st *state) clone() state {
	return state{
		Users:         maps.Clone(st.Users),
		Items:         st.Items,
		NextID:        st.NextID,
		Generations:   maps.Clone(st.Generations),
		Revoked:       maps.Clone(st.Revoked),
		RevokedOwners: maps.Clone(st.RevokedOwners),
		itemBytes:     st.itemBytes,
		authorBytes:   maps.Clone(st.authorBytes),
	}
}

// write encrypts st into the store file, crash-safely. The JSON is not HTML-escaped: the
// file is never HTML, and escaping would store each "&" of an escaped item as \u0026.
func (s *store) write(st *state) error {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(st); err != nil {
		return err
	}
	encrypt := s.encryptFile
	if encrypt == nil {
		encrypt = secretbox.EncryptFile
	}
	return encrypt(filepath.Join(s.dir, storeFile), &b, s.ring, []byte(storeAD))
}

// close waits for a write in progress and refuses later ones. Every change was written when it
// was made, so nothing is left to flush.
func (s *store) close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.closed = true
	return nil
}

// createUser adds u, failing with errUserExists if its name is taken (in any case).
func (s *store) createUser(u user) error {
	k := userKey(u.Name)
	return s.update(func(st *state) error {
		if _, ok := st.Users[k]; ok {
			return errUserExists
		}
		if len(st.Users) >= maxUsers {
			return errStoreFull
		}
		st.Users[k] = &u
		return nil
	})
}

// user returns the user named name (in any case).
func (s *store) user(name string) (user, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.st.Users[userKey(name)]
	if !ok {
		return user{}, false
	}
	return *u, true
}

// setHash replaces the password hash of the user named name (after an upgrade on login).
func (s *store) setHash(name, hash string) error {
	k := userKey(name)
	return s.update(func(st *state) error {
		u, ok := st.Users[k]
		if !ok {
			return fmt.Errorf("secureapi: no user %q", name)
		}
		nu := *u // the published state shares *u
		nu.Hash = hash
		st.Users[k] = &nu
		return nil
	})
}

// users returns every user, oldest first.
func (s *store) users() []user {
	s.mu.RLock()
	out := make([]user, 0, len(s.st.Users))
	for _, u := range s.st.Users {
		out = append(out, *u)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b user) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// addItem stores it with the next ID and returns it as stored. It fails with errStoreFull
// beyond maxItems or maxItemBytes in all, and errQuota beyond maxItemsPerUser or
// maxItemBytesPerUser of its author.
func (s *store) addItem(it item) (item, error) {
	err := s.update(func(st *state) error {
		it.ID = st.NextID
		size := itemSize(&it)
		if len(st.Items) >= maxItems || st.itemBytes+size > maxItemBytes {
			return errStoreFull
		}
		author, n := userKey(it.Author), 0
		for i := range st.Items {
			if userKey(st.Items[i].Author) == author {
				n++
			}
		}
		if n >= maxItemsPerUser || st.authorBytes[author]+size > maxItemBytesPerUser {
			return errQuota
		}
		st.NextID++
		st.Items = append(st.Items, it)
		st.itemBytes += size
		st.authorBytes[author] += size
		return nil
	})
	return it, err
}

// items returns every stored item, in order of ID.
func (s *store) items() []item {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.st.Items)
}

// Generation implements auth.RevocationStore.
func (s *store) Generation(ctx context.Context, subject string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.Generations[subject], nil
}

// IncrementGeneration implements auth.RevocationStore: "log out everywhere", persisted.
func (s *store) IncrementGeneration(ctx context.Context, subject string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var gen uint64
	err := s.update(func(st *state) error {
		old, ok := st.Generations[subject]
		if !ok && len(st.Generations) >= maxGenerations {
			return auth.ErrRevocationStoreFull
		}
		gen = old + 1
		st.Generations[subject] = gen
		// The subject's denylisted sessions are now refused by their generation: their
		// entries can go, which frees the user's share of the denylist.
		for id, owner := range st.RevokedOwners {
			if owner == subject {
				delete(st.Revoked, id)
				delete(st.RevokedOwners, id)
			}
		}
		return nil
	})
	return gen, err
}

// Revoke implements auth.RevocationStore: the token ID stays on the denylist, on disk, until
// expiry. Expired entries are dropped as new ones arrive. The entry is charged to subject, and
// a subject with maxRevokedPerUser live entries gets errUserRevocationsFull. Either cap
// matches auth.ErrRevocationStoreFull.
func (s *store) Revoke(ctx context.Context, subject string, id auth.TokenID, expiry time.Time) error {
	_, err := s.RevokeOnce(ctx, subject, id, expiry)
	return err
}

// RevokeOnce implements auth.RevokeOnceStore: Revoke, reporting whether the ID had no live
// entry before (the check and the write happen under one lock), so that auth.Sessions
// replaces a session exactly once when requests race.
func (s *store) RevokeOnce(ctx context.Context, subject string, id auth.TokenID, expiry time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := s.now()
	if !expiry.After(now) {
		return false, nil
	}
	k := id
	first := false
	err := s.update(func(st *state) error {
		owned := 0
		for id, exp := range st.Revoked {
			if !exp.After(now) {
				delete(st.Revoked, id)
				delete(st.RevokedOwners, id)
			} else if st.RevokedOwners[id] == subject {
				owned++
			}
		}
		old, had := st.Revoked[k]
		if !had && len(st.Revoked) >= maxRevoked {
			return auth.ErrRevocationStoreFull
		}
		if !had && owned >= maxRevokedPerUser {
			return errUserRevocationsFull
		}
		if !had || expiry.After(old) {
			st.Revoked[k] = expiry.UTC()
		}
		if !had {
			st.RevokedOwners[k] = strings.Clone(subject) // not the token's roles with it
		}
		first = !had
		return nil
	})
	if err != nil {
		return false, err
	}
	return first, nil
}

// Lookup implements auth.RevocationStore. It reads memory only: one map lookup of each kind.
func (s *store) Lookup(ctx context.Context, subject string, id auth.TokenID) (uint64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	exp, revoked := s.st.Revoked[id]
	return s.st.Generations[subject], revoked && exp.After(s.now()), nil
}
