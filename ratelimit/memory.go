package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"sync"
	"time"
)

// DefaultMaxKeys is the key cap of a [Memory] store whose MaxKeys is zero.
const DefaultMaxKeys = 1 << 20

// setWays is the number of slots per set of the memory store's hash table.
const setWays = 8

// MemoryConfig configures a [Memory] store. The zero value is ready to use.
type MemoryConfig struct {
	// MaxKeys is the hard cap on the number of (key, policy) entries held; when it is reached,
	// idle entries are reused first and then the least recently used one (by the CLOCK
	// algorithm) is evicted, which resets that client's quota. Zero means [DefaultMaxKeys]. The
	// cap is split evenly between the shards, so eviction may start slightly before MaxKeys
	// entries are held. The table grows with use, to about 30 bytes per entry at the cap. At
	// most 2³² (2³⁰ on 32-bit platforms).
	MaxKeys int
	// Now is the store's clock, used when a request carries no instant. Nil means the wall
	// time at creation advanced by the monotonic clock, which wall-clock steps do not affect.
	Now func() time.Time
}

// Memory is the in-memory [Store]: a sharded, fixed-cap hash table of 24-byte entries with no
// pointers (so the garbage collector never scans it), no background goroutine, and lazy expiry
// of idle keys. Keys are hashed with [hash/maphash] under a per-store random seed to a 64-bit
// fingerprint and never stored, so memory does not depend on key length; two keys whose
// fingerprints collide (probability about n²/2⁶³ for n keys, and not steerable by clients, who do
// not know the seed) share a quota.
//
// Entries of [SlidingLog] policies also hold their instants: 8 bytes per admitted unit in the
// last Window, up to 8·Limit bytes per key, so size MaxKeys with that in mind.
//
// A Memory is safe for concurrent use. Use it through a [Limiter]; a Limiter whose store is a
// *Memory calls it directly, without allocating.
type Memory struct {
	seed     maphash.Seed
	shards   []shard
	mask     uint64
	now      func() time.Time // nil: the monotonic clock below
	start    time.Time        // carries a monotonic reading
	startNs  int64
	mu       sync.Mutex // guards salts
	salts    map[string]uint64
	perShard int
}

type shard struct {
	mu      sync.Mutex
	slots   []slot
	nsets   uint64
	maxSets uint64
	count   int
	cap     int
	hand    int
	logs    map[uint64]*logRing
	_       [64]byte // keep shards on separate cache lines
}

// ErrConfig is wrapped by the errors constructors return for an invalid configuration.
var ErrConfig = errors.New("ratelimit: invalid configuration")

// maxMaxKeys bounds MemoryConfig.MaxKeys (about 128 GiB of entries; 2³⁰ where int has 32
// bits), so that the table's sizing arithmetic cannot overflow.
const maxMaxKeys = min(1<<32, math.MaxInt>>1)

// NewMemory returns an empty in-memory store. It fails only for a MaxKeys that is negative or
// above 2³² (2³⁰ on 32-bit platforms).
func NewMemory(cfg MemoryConfig) (*Memory, error) {
	maxKeys := cfg.MaxKeys
	if maxKeys < 0 || maxKeys > maxMaxKeys {
		return nil, fmt.Errorf("%w: MaxKeys %d out of range [0, %d]", ErrConfig, maxKeys, maxMaxKeys)
	}
	if maxKeys == 0 {
		maxKeys = DefaultMaxKeys
	}
	n := 1
	for n < 64 && n*512 <= maxKeys {
		n *= 2
	}
	m := &Memory{
		seed:   maphash.MakeSeed(),
		shards: make([]shard, n),
		mask:   uint64(n - 1), // #nosec G115 -- n is a power of two in [1, 64]
		now:    cfg.Now,
		salts:  make(map[string]uint64),
	}
	if m.now == nil {
		m.start = time.Now()
		m.startNs = m.start.UnixNano()
	}
	m.perShard = (maxKeys + n - 1) / n
	for i := range m.shards {
		sh := &m.shards[i]
		sh.cap = m.perShard
		// 25% headroom over the cap keeps two-choice placement from overflowing a set.
		sh.maxSets = uint64((sh.cap*5/4 + setWays - 1) / setWays) // #nosec G115 -- positive: cap >= 1
		sh.maxSets = max(sh.maxSets, 1)
		sh.nsets = min(sh.maxSets, 4)
	}
	return m, nil
}

// Cap returns the store's key cap (MaxKeys rounded up to a multiple of the shard count).
func (m *Memory) Cap() int { return m.perShard * len(m.shards) }

// Len returns the number of (key, policy) entries currently held, idle ones included until
// they are reused or evicted.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		n += sh.count
		sh.mu.Unlock()
	}
	return n
}

func (m *Memory) salt(p Policy) uint64 {
	id := p.ID()
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.salts[id]
	if !ok {
		s = maphash.String(m.seed, id)
		if len(m.salts) < 1024 {
			m.salts[id] = s
		}
	}
	return s
}

func (m *Memory) instant(t time.Time) int64 {
	if !t.IsZero() {
		return unixNano(t)
	}
	if m.now != nil {
		return unixNano(m.now())
	}
	// Wall time at creation plus monotonic time since: immune to wall-clock steps, and cheaper
	// than time.Now.
	return m.startNs + int64(time.Since(m.start))
}

// Take implements [Store]. It never fails except for a request that breaks the Store contract
// (an invalid policy or cost, or the same policy twice), which returns an error wrapping
// [ErrInvalidPolicy], [ErrCost] or [ErrConfig].
func (m *Memory) Take(_ context.Context, req *Request, out []Decision) error {
	if len(out) != len(req.Policies) || len(req.Policies) == 0 {
		return fmt.Errorf("%w: Take needs one policy or more and one output per policy", ErrConfig)
	}
	ps := make([]prepared, len(req.Policies))
	for i, p := range req.Policies {
		if err := p.Validate(); err != nil {
			return err
		}
		if req.Cost < 0 || req.Cost > p.Capacity() {
			return ErrCost
		}
		ps[i] = prepare(p, i, m.salt(p))
		for j := range i {
			if ps[j].salt == ps[i].salt { // the same policy ID: one state, which would be charged twice
				return fmt.Errorf("%w: policy %s appears twice in one Take", ErrConfig, p.HeaderName())
			}
		}
	}
	m.decide(maphash.String(m.seed, req.Key), ps, m.instant(req.Now), int64(req.Cost), req.Peek, out)
	return nil
}

// Reset implements [Store]; it never fails.
func (m *Memory) Reset(_ context.Context, key string, policies []Policy) error {
	h := maphash.String(m.seed, key)
	var tags [8]uint64
	for len(policies) > 0 {
		n := min(len(policies), len(tags))
		for i, p := range policies[:n] {
			tags[i] = tagOf(h, m.salt(p))
		}
		policies = policies[n:]
		sh := &m.shards[h&m.mask]
		sh.mu.Lock()
		for _, tag := range tags[:n] {
			if s := sh.find(tag); s != nil {
				sh.remove(s)
			}
		}
		sh.mu.Unlock()
	}
	return nil
}

func (m *Memory) hash(key string) uint64 { return maphash.String(m.seed, key) }

// tagOf mixes a key hash with a policy salt into a slot tag with bit 1 set and bit 0 clear.
func tagOf(h, salt uint64) uint64 {
	x := h ^ salt
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x&^3 | 2
}

// decide is the whole decision for one key under policies ps, under one shard lock. If out is
// not nil it receives the per-policy decisions. ([Limiter] takes the shorter path of
// shard.decide1 for a single counter or token-bucket policy.)
func (m *Memory) decide(h uint64, ps []prepared, t, cost int64, peek bool, out []Decision) Decision {
	sh := &m.shards[h&m.mask]
	sh.mu.Lock()
	var best, bestDenied Decision
	var found [4]*slot // slots seen in the first pass, reused by the second
	allowed := true
	for i := range ps {
		p := &ps[i]
		st := slot{exp: fresh}
		var ring *logRing
		s := sh.find(tagOf(h, p.salt))
		if s != nil && s.exp > t {
			st = *s
			if p.Algorithm == SlidingLog {
				ring = sh.logs[s.tag&^1]
			}
		}
		if i < len(found) {
			found[i] = s
		}
		d := p.eval(&st, ring, t, cost)
		if out != nil {
			out[i] = d
		}
		if !d.Allowed {
			if allowed || d.RetryAfter > bestDenied.RetryAfter {
				bestDenied = d
			}
			allowed = false
		} else if i == 0 || d.Remaining < best.Remaining || (d.Remaining == best.Remaining && d.Reset > best.Reset) {
			best = d
		}
	}
	if allowed && !peek && cost > 0 {
		inserted := false // an insertion may grow the table or evict, invalidating found
		for i := range ps {
			p := &ps[i]
			var s *slot
			if i < len(found) && found[i] != nil && !inserted {
				s = found[i]
				if s.exp <= t {
					sh.clear(s)
				}
			} else {
				s = sh.findOrInsert(tagOf(h, p.salt), t, m.reclaimAt(t))
				inserted = true
			}
			var ring *logRing
			if p.Algorithm == SlidingLog {
				ring = sh.ring(s.tag&^1, p.Limit)
			}
			p.apply(s, ring, t, cost)
		}
	}
	sh.mu.Unlock()
	if !allowed {
		return bestDenied
	}
	return best
}

// decide1 is decide for the common case of one counter or token-bucket policy, in the shard of
// h of m; it fills *d.
func (sh *shard) decide1(m *Memory, d *Decision, h uint64, p *prepared, t, cost int64, peek bool) {
	tag := tagOf(h, p.salt)
	sh.mu.Lock()
	s := sh.find(tag)
	st := slot{exp: fresh}
	if s != nil && s.exp > t {
		st = *s
	}
	p.evalInto(d, &st, nil, t, cost)
	if d.Allowed && !peek && cost > 0 {
		if s == nil {
			s = sh.findOrInsert(tag, t, m.reclaimAt(t))
		} else if s.exp <= t {
			sh.clear(s)
		}
		p.apply(s, nil, t, cost)
	}
	sh.mu.Unlock()
}

// markUsed sets the slot's CLOCK reference bit. It writes only when the bit is clear, so a hot
// key's lookups leave its cache line clean: another core reading it need not fetch it back.
func (s *slot) markUsed() {
	if s.tag&1 == 0 {
		s.tag |= 1
	}
}

// sets returns the two candidate sets of a tag.
func (sh *shard) sets(tag uint64) (uint64, uint64) {
	hi, _ := bits.Mul64(tag, sh.nsets)
	s2 := ((tag >> 2 & 0xffffffff) * sh.nsets) >> 32
	return hi, s2
}

func (sh *shard) find(tag uint64) *slot {
	if sh.slots == nil {
		return nil
	}
	s1, _ := bits.Mul64(tag, sh.nsets)
	set := sh.slots[s1*setWays : s1*setWays+setWays]
	for i := range set {
		if set[i].tag&^1 == tag {
			set[i].markUsed()
			return &set[i]
		}
	}
	_, s2 := sh.sets(tag)
	if s2 == s1 {
		return nil
	}
	set = sh.slots[s2*setWays : s2*setWays+setWays]
	for i := range set {
		if set[i].tag&^1 == tag {
			set[i].markUsed()
			return &set[i]
		}
	}
	return nil
}

// reclaimAt returns the instant by which an insertion at t judges other keys' entries expired
// (to reuse, evict or drop them): t, but never later than the store's own clock, so that a
// caller's far-future instant on one key cannot expire, and so reset, the live state of others.
func (m *Memory) reclaimAt(t int64) int64 { return min(t, m.instant(time.Time{})) }

// findOrInsert returns the slot of tag, resetting it if it has expired by t, or a new fresh
// slot; other entries are judged expired by reclaim (see Memory.reclaimAt).
func (sh *shard) findOrInsert(tag uint64, t, reclaim int64) *slot {
	if s := sh.find(tag); s != nil {
		if s.exp <= t {
			sh.clear(s)
		}
		return s
	}
	if sh.slots == nil {
		sh.slots = make([]slot, sh.nsets*setWays)
	}
	if sh.nsets < sh.maxSets && uint64(sh.count) >= sh.nsets*setWays*3/4 { // #nosec G115 -- count >= 0
		sh.grow(reclaim)
	}
	s := sh.place(tag, reclaim)
	s.tag = tag // reference bit clear: a key seen once is the first to go (scan resistance)
	s.exp, s.cur, s.prev = fresh, 0, 0
	return s
}

// place picks the slot for a new tag: an expired entry in a candidate set, else an empty slot
// in the less loaded candidate set (evicting elsewhere first if the shard is at its cap), else,
// after growing the table if it may still grow, an unreferenced entry of the candidate sets.
func (sh *shard) place(tag uint64, t int64) *slot {
	for {
		s1, s2 := sh.sets(tag)
		set1 := sh.slots[s1*setWays : s1*setWays+setWays]
		set2 := sh.slots[s2*setWays : s2*setWays+setWays]
		if s := expiredIn(set1, t); s != nil {
			sh.dropLog(s)
			return s
		}
		if s := expiredIn(set2, t); s != nil {
			sh.dropLog(s)
			return s
		}
		e1, n1 := emptyIn(set1)
		e2, n2 := emptyIn(set2)
		if n2 > n1 {
			e1 = e2
		}
		if e1 != nil {
			if sh.count >= sh.cap {
				sh.evict(t)
			}
			sh.count++
			return e1
		}
		if sh.nsets < sh.maxSets {
			sh.grow(t)
			continue
		}
		for _, set := range [2][]slot{set1, set2} {
			for i := range set {
				if set[i].tag&1 == 0 {
					sh.dropLog(&set[i])
					return &set[i]
				}
			}
		}
		for i := range set1 {
			set1[i].tag &^= 1
			set2[i].tag &^= 1
		}
		sh.dropLog(&set1[0])
		return &set1[0]
	}
}

func expiredIn(set []slot, t int64) *slot {
	for i := range set {
		if set[i].tag != 0 && set[i].exp <= t {
			return &set[i]
		}
	}
	return nil
}

// emptyIn returns the first empty slot of set and the number of empty slots.
func emptyIn(set []slot) (*slot, int) {
	var first *slot
	n := 0
	for i := range set {
		if set[i].tag == 0 {
			if first == nil {
				first = &set[i]
			}
			n++
		}
	}
	return first, n
}

// evict removes one entry chosen by the CLOCK hand: the first expired or unreferenced one.
func (sh *shard) evict(t int64) {
	for range 2*len(sh.slots) + 1 {
		s := &sh.slots[sh.hand]
		sh.hand = (sh.hand + 1) % len(sh.slots)
		if s.tag == 0 {
			continue
		}
		if s.exp <= t || s.tag&1 == 0 {
			sh.remove(s)
			return
		}
		s.tag &^= 1
	}
}

func (sh *shard) remove(s *slot) {
	sh.dropLog(s)
	*s = slot{}
	sh.count--
}

func (sh *shard) clear(s *slot) {
	sh.dropLog(s)
	s.exp, s.cur, s.prev = fresh, 0, 0
}

func (sh *shard) dropLog(s *slot) {
	if len(sh.logs) > 0 {
		delete(sh.logs, s.tag&^1)
	}
}

func (sh *shard) ring(tag uint64, limit int) *logRing {
	if sh.logs == nil {
		sh.logs = make(map[uint64]*logRing)
	}
	r := sh.logs[tag]
	if r == nil {
		r = newLogRing(limit)
		sh.logs[tag] = r
	}
	return r
}

// grow doubles the table (up to maxSets), dropping expired entries. An entry that finds both
// its sets full (rare at half load) makes the table grow again, while it may.
func (sh *shard) grow(t int64) {
	live := make([]slot, 0, sh.count)
	for i := range sh.slots {
		o := &sh.slots[i]
		if o.tag == 0 {
			continue
		}
		if o.exp <= t {
			sh.dropLog(o)
			continue
		}
		live = append(live, *o)
	}
	for {
		sh.nsets = min(sh.nsets*2, sh.maxSets)
		sh.slots = make([]slot, sh.nsets*setWays)
		sh.hand, sh.count = 0, 0
		failed := false
		for i := range live {
			s1, s2 := sh.sets(live[i].tag &^ 1)
			e1, n1 := emptyIn(sh.slots[s1*setWays : s1*setWays+setWays])
			e2, n2 := emptyIn(sh.slots[s2*setWays : s2*setWays+setWays])
			if n2 > n1 {
				e1 = e2
			}
			if e1 == nil {
				failed = true
				if sh.nsets < sh.maxSets {
					break
				}
				sh.dropLog(&live[i])
				continue
			}
			*e1 = live[i]
			sh.count++
		}
		if !failed || sh.nsets == sh.maxSets {
			return
		}
	}
}
