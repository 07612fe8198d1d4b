package auth

import (
	"container/heap"
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"time"
)

// Default bounds of a [MemoryRevocationStore].
const (
	DefaultMaxRevokedSubjects = 1 << 20
	DefaultMaxRevokedTokens   = 1 << 20
	// DefaultMaxRevokedTokensPerSubject is far above what logouts and role changes produce in
	// a session's lifetime, and far below DefaultMaxRevokedTokens.
	DefaultMaxRevokedTokensPerSubject = 1024
)

// MemoryRevocationConfig tunes a [MemoryRevocationStore]. The zero value is ready to use.
type MemoryRevocationConfig struct {
	// MaxSubjects bounds the number of generation counters (subjects that were ever logged out
	// everywhere). Counters are never evicted, because an evicted counter would revive revoked
	// tokens; once the bound is reached IncrementGeneration for a new subject fails with
	// [ErrRevocationStoreFull]. Zero means [DefaultMaxRevokedSubjects].
	MaxSubjects int

	// MaxTokens bounds the number of denylisted token IDs not yet expired. Expired entries
	// are dropped as new ones arrive; if the bound is still reached, Revoke fails with
	// [ErrRevocationStoreFull]. Zero means [DefaultMaxRevokedTokens].
	MaxTokens int

	// MaxTokensPerSubject bounds the unexpired denylist entries of one subject, so that one
	// user who logs in and out in a loop cannot fill the denylist and make everyone's logout
	// fail. Past it, Revoke of that subject fails with [ErrRevocationStoreFull]; the caller can
	// then end all of the user's sessions with [Keyring.RevokeSubject], which needs no entry
	// ([Sessions.ChangeRoles] and [Sessions.Reauthenticate] do so themselves). The subject's
	// entries still count until they expire. Zero means [DefaultMaxRevokedTokensPerSubject];
	// set it to MaxTokens to bound only the total.
	MaxTokensPerSubject int

	// Now returns the current time; nil means time.Now. Tests inject a synthetic clock.
	Now func() time.Time
}

// MemoryRevocationStore is a [RevocationStore] held in the memory of one process: right for a
// single instance and for tests, wrong for a service with several replicas (each would keep its
// own denylist) or one that must remember revocations across restarts. Its memory is bounded
// (see [MemoryRevocationConfig]); denylist entries expire with their tokens without any
// background goroutine. It is safe for concurrent use.
type MemoryRevocationStore struct {
	maxSubjects int
	maxTokens   int
	maxPer      int
	now         func() time.Time

	mu      sync.RWMutex
	gens    map[string]uint64
	deny    map[TokenID]denyEntry
	owned   map[string]int // unexpired entries per subject, for subjects that have some
	expires expiryHeap
}

// denyEntry is a denylisted token ID's expiry (Unix nanoseconds) and subject.
type denyEntry struct {
	exp     int64
	subject string
}

var _ RevocationStore = (*MemoryRevocationStore)(nil)

// NewMemoryRevocationStore returns an empty store. It fails only for negative bounds.
func NewMemoryRevocationStore(cfg MemoryRevocationConfig) (*MemoryRevocationStore, error) {
	if cfg.MaxSubjects < 0 || cfg.MaxTokens < 0 || cfg.MaxTokensPerSubject < 0 {
		return nil, errors.New("auth: MemoryRevocationConfig bounds must not be negative")
	}
	s := &MemoryRevocationStore{
		maxSubjects: cfg.MaxSubjects,
		maxTokens:   cfg.MaxTokens,
		maxPer:      cfg.MaxTokensPerSubject,
		now:         cfg.Now,
		gens:        make(map[string]uint64),
		deny:        make(map[TokenID]denyEntry),
		owned:       make(map[string]int),
	}
	if s.maxSubjects == 0 {
		s.maxSubjects = DefaultMaxRevokedSubjects
	}
	if s.maxTokens == 0 {
		s.maxTokens = DefaultMaxRevokedTokens
	}
	if s.maxPer == 0 {
		s.maxPer = DefaultMaxRevokedTokensPerSubject
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Generation implements [RevocationStore].
func (s *MemoryRevocationStore) Generation(ctx context.Context, subject string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gens[subject], nil
}

// IncrementGeneration implements [RevocationStore]. It fails with [ErrRevocationStoreFull] for
// a new subject once MaxSubjects counters exist.
func (s *MemoryRevocationStore) IncrementGeneration(ctx context.Context, subject string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.gens[subject]
	if !ok && len(s.gens) >= s.maxSubjects {
		return 0, ErrRevocationStoreFull
	}
	if g == math.MaxUint64 {
		return 0, errors.New("auth: generation counter overflow")
	}
	g++
	s.gens[subject] = g
	return g, nil
}

// Revoke implements [RevocationStore]. It fails with [ErrRevocationStoreFull] when MaxTokens
// unexpired entries exist, or MaxTokensPerSubject of subject's. Revoking an ID again keeps its
// first subject.
func (s *MemoryRevocationStore) Revoke(ctx context.Context, subject string, id TokenID, expiry time.Time) error {
	_, err := s.RevokeOnce(ctx, subject, id, expiry)
	return err
}

// RevokeOnce implements [RevokeOnceStore], with the errors of Revoke.
func (s *MemoryRevocationStore) RevokeOnce(ctx context.Context, subject string, id TokenID, expiry time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := revocationUnixNanos(s.now())
	exp := revocationUnixNanos(expiry)
	if exp <= now {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExpired(now)
	first := true
	if old, ok := s.deny[id]; ok {
		if old.exp >= exp {
			return false, nil
		}
		first, subject = false, old.subject
	} else {
		if len(s.deny) >= s.maxTokens || s.owned[subject] >= s.maxPer {
			return false, ErrRevocationStoreFull
		}
		// A verified subject shares its memory with the token's roles: keep only its bytes.
		subject = strings.Clone(subject)
		s.owned[subject]++
	}
	s.deny[id] = denyEntry{exp: exp, subject: subject}
	if len(s.expires) >= 2*s.maxTokens {
		s.rebuildHeap()
	}
	heap.Push(&s.expires, expiryEntry{exp: exp, id: id})
	return first, nil
}

// Lookup implements [RevocationStore].
func (s *MemoryRevocationStore) Lookup(ctx context.Context, subject string, id TokenID) (uint64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	now := revocationUnixNanos(s.now())
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.deny[id]
	return s.gens[subject], ok && e.exp > now, nil
}

// Len returns the number of generation counters and of denylist entries currently held
// (expired entries not yet dropped included), for monitoring.
func (s *MemoryRevocationStore) Len() (subjects, tokens int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.gens), len(s.deny)
}

// dropExpired removes every denylist entry whose expiry is not after now. s.mu must be held.
func (s *MemoryRevocationStore) dropExpired(now int64) {
	for len(s.expires) > 0 && s.expires[0].exp <= now {
		e := heap.Pop(&s.expires).(expiryEntry)
		if cur, ok := s.deny[e.id]; ok && cur.exp == e.exp {
			delete(s.deny, e.id)
			if s.owned[cur.subject]--; s.owned[cur.subject] <= 0 {
				delete(s.owned, cur.subject)
			}
		}
	}
}

// rebuildHeap drops superseded heap entries (IDs revoked again with a later expiry).
func (s *MemoryRevocationStore) rebuildHeap() {
	s.expires = s.expires[:0]
	for id, e := range s.deny {
		s.expires = append(s.expires, expiryEntry{exp: e.exp, id: id})
	}
	heap.Init(&s.expires)
}

// revocationUnixNanos converts t to Unix nanoseconds, saturating outside the int64 range.
func revocationUnixNanos(t time.Time) int64 {
	switch sec := t.Unix(); {
	case sec >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	case sec <= math.MinInt64/int64(time.Second):
		return math.MinInt64
	}
	return t.UnixNano()
}

type expiryEntry struct {
	exp int64
	id  TokenID
}

// expiryHeap is a min-heap of denylist entries ordered by expiry.
type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp < h[j].exp }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
