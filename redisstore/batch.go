package redisstore

import (
	"context"
	_ "embed" // the Lua script
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultMaxBatch is the number of concurrent decisions a [LimitStore] sends in one EVALSHA
// when [Config.MaxBatch] is zero.
const DefaultMaxBatch = 16

// maxMaxBatch bounds Config.MaxBatch: a batch holds the script's whole reply in Redis's memory
// and blocks Redis while it runs (about 15 µs a decision).
const maxMaxBatch = 256

// eagerLanes is how many calls a batcher lets go at once, each alone, before decisions start
// to wait and leave in batches. One would leave Redis idle while the client reads a reply and
// builds the next batch; two let the client and Redis work at the same time.
const eagerLanes = 2

//go:embed lua/batch.lua
var batchMain string

// batchScript runs several decisions in one call: it is the code of bucketScript, windowScript
// and limitScript, unchanged, wrapped as three functions, and a loop (lua/batch.lua).
var batchScript = newScript("local function g(KEYS, ARGV)\n" + bucketLua + "\nend\n" +
	"local function w(KEYS, ARGV)\n" + windowLua + "\nend\n" +
	"local function l(KEYS, ARGV)\n" + limitLua + "\nend\n" + batchMain)

// A batcher coalesces the concurrent decisions of a LimitStore. While eagerLanes calls are
// in flight, new decisions wait in a queue; when a call comes back, the oldest waiting
// decisions (up to max) leave together as the next one, and whenever a full batch is waiting
// it leaves at once on a further lane, up to lanes (the client's pool size), so that batching
// never caps the calls in flight below what the pool allows: a Redis far away, whose round
// trips are long, still sees as many decisions per round trip as the callers make. A decision
// that finds fewer than eagerLanes calls in flight goes at once, alone, with its own script,
// exactly as without batching. It starts no goroutine: one caller whose decision is in a batch
// sends it (it leads), and hands its lane to the next batch when the reply is in.
type batcher struct {
	client  redis.UniversalClient
	timeout time.Duration
	max     int // decisions per batch
	lanes   int // calls in flight at most, at least eagerLanes

	mu    sync.Mutex
	busy  int           // calls in flight, or about to be sent
	queue []*batchEntry // decisions waiting for a lane, oldest first
}

// batchEntry is one decision in a batcher. Its state and lead are guarded by the batcher's mu;
// reply and err are written before the entry is answered and read after wake or under mu.
type batchEntry struct {
	sc    *script
	a     []any           // the decision's command, in script.runArgs's layout
	n     int             // its number of policies, so of keys
	cctx  context.Context // the caller's context, bounded by the store's timeout
	wake  chan struct{}   // buffered: the entry is answered, or must lead lead
	lead  []*batchEntry   // when not nil: the batch this entry must send, itself included
	state entryState
	reply any
	err   error
}

type entryState uint8

const (
	queued    entryState = iota // in batcher.queue
	taken                       // in a batch that has not been sent yet
	sent                        // in a batch sent to Redis: it may have been charged
	abandoned                   // its caller gave up before it was sent: never sent
	answered                    // reply and err are set
)

// errBatchPanic answers the decisions of a batch whose sending panicked (in a go-redis hook).
var errBatchPanic = errors.New("redisstore: sending a batch panicked")

func newBatcher(client redis.UniversalClient, timeout time.Duration, maxBatch, lanes int) *batcher {
	return &batcher{client: client, timeout: timeout, max: maxBatch, lanes: max(lanes, eagerLanes)}
}

// do decides one request of n policies: a is its command for sc in runArgs's layout, cctx the
// caller's ctx bounded by the store's timeout. When cctx ends before the decision is sent,
// the decision is withdrawn and never charged; when it ends after, do returns cctx.Err() at
// once, as a call that timed out in flight (the decision may have been charged).
func (b *batcher) do(ctx, cctx context.Context, sc *script, a []any, n int) (any, error) {
	b.mu.Lock()
	if b.busy < eagerLanes {
		b.busy++
		b.mu.Unlock()
		defer b.release() // even if a go-redis hook panics, so that no lane is ever lost
		return sc.runArgs(cctx, b.client, a)
	}
	e := &batchEntry{sc: sc, a: a, n: n, cctx: cctx, wake: make(chan struct{}, 1)}
	b.queue = append(b.queue, e)
	if len(b.queue) >= b.max && b.busy < b.lanes {
		b.busy++ // a full batch waits: it leaves now, on a lane of its own
		b.promote(nil)
	}
	b.mu.Unlock()
	return b.wait(ctx, e)
}

// release hands the lane of a call that went alone to the waiting decisions, or frees it.
func (b *batcher) release() {
	b.mu.Lock()
	b.promote(nil)
	b.mu.Unlock()
}

// wait waits until queued e is answered, or woken to lead its batch, which it then sends, or
// until its caller gives up.
func (b *batcher) wait(ctx context.Context, e *batchEntry) (any, error) {
	select {
	case <-e.wake:
	case <-e.cctx.Done():
		return b.abandon(e, e.cctx.Err())
	}
	if e.lead != nil {
		if err := e.cctx.Err(); err != nil { // woken to lead, but too late: pass the batch on
			return b.abandon(e, err)
		}
		b.send(ctx, e)
	}
	return e.reply, e.err
}

// abandon withdraws e, whose caller's context ended with err while it waited, and returns what
// do returns: err, unless the reply came in meanwhile. e is never sent if it had not been.
func (b *batcher) abandon(e *batchEntry, err error) (any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e.state {
	case queued:
		if i := slices.Index(b.queue, e); i >= 0 {
			b.queue = slices.Delete(b.queue, i, i+1)
		}
		e.state = abandoned
	case taken:
		e.state = abandoned
		if e.lead != nil { // it was to lead its batch: pass that on
			next := e.lead
			e.lead = nil
			b.promote(next)
		}
	case answered: // answered while the caller gave up: the decision was made, use it
		return e.reply, e.err
	}
	return nil, err
}

// send sends the batch e leads, answers every decision in it, and hands e's lane on, even if
// sending panics (a go-redis hook may), so that no lane is ever lost.
func (b *batcher) send(ctx context.Context, e *batchEntry) {
	b.mu.Lock()
	batch := e.lead[:0]
	for _, m := range e.lead {
		if m.state != abandoned {
			m.state = sent
			batch = append(batch, m)
		}
	}
	e.lead = nil
	b.mu.Unlock()

	done := false
	defer func() {
		b.mu.Lock()
		b.promote(nil)
		for _, m := range batch {
			if !done {
				m.reply, m.err = nil, errBatchPanic
			}
			m.state = answered
		}
		b.mu.Unlock()
		for _, m := range batch {
			if m != e { // e reads its answer itself
				m.wake <- struct{}{}
			}
		}
	}()
	if len(batch) == 1 { // e alone (the others withdrew): as without batching, on e's context
		e.reply, e.err = e.sc.runArgs(e.cctx, b.client, e.a)
		done = true
		return
	}
	// The batch carries other callers' decisions, so e's caller giving up must not cut it
	// short; but no one waits for it past the latest of their deadlines (e's, as promote
	// chose e), each at most the store's timeout from its call.
	var deadline time.Time
	for _, m := range batch {
		if d, ok := m.cctx.Deadline(); ok && d.After(deadline) {
			deadline = d
		}
	}
	if limit := time.Now().Add(b.timeout); deadline.IsZero() || deadline.After(limit) {
		deadline = limit
	}
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	b.run(sctx, batch)
	done = true
}

// promote makes a live entry of next lead it; with none left, the lane goes to the oldest
// waiting decisions, or is freed when none wait. The leader is the entry whose caller waits
// longest (the latest deadline): it waits for the batch anyway, while a leader that gave up
// sooner could not return before the batch did. b.mu must be held.
func (b *batcher) promote(next []*batchEntry) {
	next = slices.DeleteFunc(next, func(m *batchEntry) bool { return m.state == abandoned })
	if len(next) == 0 {
		if len(b.queue) == 0 {
			b.busy--
			return
		}
		n := min(len(b.queue), b.max)
		next = slices.Clone(b.queue[:n])
		b.queue = slices.Delete(b.queue, 0, n)
		for _, m := range next {
			m.state = taken
		}
	}
	leader := next[0]
	for _, m := range next[1:] {
		if later(m.cctx, leader.cctx) {
			leader = m
		}
	}
	leader.lead = next
	leader.wake <- struct{}{}
}

// later reports whether a's deadline is later than b's; no deadline is the latest.
func later(a, b context.Context) bool {
	da, oka := a.Deadline()
	db, okb := b.Deadline()
	return okb && (!oka || da.After(db))
}

// batchError is the error of one decision of a batch (an OOM, READONLY or MISCONF reply to
// its write): Redis gives it in that decision's place in the batch's reply, and the store
// handles it as the error reply the decision would have got alone.
type batchError string

func (e batchError) Error() string { return string(e) }

// RedisError marks batchError as a redis.Error, an error reply from Redis.
func (batchError) RedisError() {}

var _ redis.Error = batchError("")

// run sends a batch of two or more decisions in one round trip and sets every entry's reply
// and err.
func (b *batcher) run(ctx context.Context, batch []*batchEntry) {
	// Each entry's a is {_, _, n, n keys, 5+4n arguments}: the batch's KEYS are the keys one
	// entry after the other, its ARGV each entry's n and arguments, its reply each entry's
	// 1+4n integers, or an error message and 4n zeros.
	var nkeys, nargs, nreply int
	for _, m := range batch {
		nkeys += m.n
		nargs += len(m.a) - 3 - m.n + 1
		nreply += 1 + 4*m.n
	}
	a := make([]any, 3, 3+nkeys+nargs)
	a[2] = nkeys
	for _, m := range batch {
		a = append(a, m.a[3:3+m.n]...)
	}
	for _, m := range batch {
		a = append(a, m.n)
		a = append(a, m.a[3+m.n:]...)
	}
	v, err := batchScript.runArgs(ctx, b.client, a)
	res, ok := v.([]any)
	off := 0
	for _, m := range batch {
		n := 1 + 4*m.n
		switch {
		case err != nil:
			m.err = err
		case !ok || len(res) != nreply:
			m.reply = v // Take reports it as an unexpected reply
		default:
			if msg, isErr := res[off].(string); isErr {
				m.err = batchError(msg)
			} else {
				m.reply = res[off : off+n : off+n]
			}
		}
		off += n
	}
}
