package redisstore

import (
	"context"
	_ "embed" // the Lua script
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

// batchLanes is how many batches a LimitStore has in flight at once. One would leave Redis
// idle while the client reads a reply and builds the next batch; two let the client and
// Redis work at the same time; more only split the waiting decisions into smaller batches.
const batchLanes = 2

//go:embed lua/batch.lua
var batchMain string

// batchScript runs several decisions in one call: it is the code of bucketScript, windowScript
// and limitScript, unchanged, wrapped as three functions, and a loop (lua/batch.lua).
var batchScript = newScript("local function g(KEYS, ARGV)\n" + bucketLua + "\nend\n" +
	"local function w(KEYS, ARGV)\n" + windowLua + "\nend\n" +
	"local function l(KEYS, ARGV)\n" + limitLua + "\nend\n" + batchMain)

// A batcher coalesces the concurrent decisions of a LimitStore: while batchLanes
// batches are in flight, new decisions wait in a queue, and when a batch comes back the
// oldest waiting decisions (up to max) leave together as the next one. A decision that finds
// a lane free goes at once, alone, with its own script: under light load nothing waits and
// nothing changes. It starts no goroutine: the caller of the first decision in a batch sends
// it (it "leads"), and hands its lane to the next batch when it is done.
type batcher struct {
	client  redis.UniversalClient
	timeout time.Duration
	max     int

	mu    sync.Mutex
	busy  int           // lanes in use
	queue []*batchEntry // decisions waiting for a lane, oldest first
}

// batchEntry is one decision in a batcher. Its state, and its lead, are guarded by the
// batcher's mu; reply and err are written before wake is signalled and read after.
type batchEntry struct {
	sc    *script
	a     []any         // the decision's command, in script.runArgs's layout
	n     int           // its number of policies, so of keys
	wake  chan struct{} // buffered: the reply is in, or the entry must lead lead
	lead  []*batchEntry // when not nil: the batch this entry must send, itself first
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

func newBatcher(client redis.UniversalClient, timeout time.Duration, maxBatch int) *batcher {
	return &batcher{client: client, timeout: timeout, max: maxBatch}
}

// do decides one request of n policies: a is its command for sc in runArgs's layout. cctx is the caller's ctx bounded by the store's timeout:
// when it ends before the decision has been sent, the decision is withdrawn and never
// charged; when it ends after, do returns cctx.Err() at once, as a call that timed out in
// flight (the decision may have been charged).
func (b *batcher) do(ctx, cctx context.Context, sc *script, a []any, n int) (any, error) {
	e := &batchEntry{sc: sc, a: a, n: n, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.busy < batchLanes {
		b.busy++
		e.state = taken
		e.lead = []*batchEntry{e}
		b.mu.Unlock()
		b.send(ctx, e)
		return e.reply, e.err
	}
	b.queue = append(b.queue, e)
	b.mu.Unlock()
	select {
	case <-e.wake:
	case <-cctx.Done():
		return b.abandon(e, cctx.Err())
	}
	if e.lead != nil {
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
			rest := e.lead[1:]
			e.lead = nil
			b.promote(rest)
		}
	case answered: // answered while the caller gave up: the decision was made, use it
		return e.reply, e.err
	}
	return nil, err
}

// send sends the batch e leads, delivers every reply, and hands e's lane to the next batch.
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

	// The batch carries other callers' decisions: e's caller giving up must not cut it short.
	// Like any call, it is bounded by the store's timeout.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
	b.run(sctx, batch)
	cancel()

	b.mu.Lock()
	b.promote(nil)
	for _, m := range batch {
		m.state = answered
	}
	b.mu.Unlock()
	for _, m := range batch[1:] { // batch[0] is e, which reads its reply itself
		m.wake <- struct{}{}
	}
}

// promote makes the first live entry of next lead it; with none left, the lane goes to the
// oldest waiting decisions, or is freed when none wait. b.mu must be held.
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
	next[0].lead = next
	next[0].wake <- struct{}{}
}

// run sends batch in one round trip and sets every entry's reply and err. One decision goes
// with its own script, exactly as without batching.
func (b *batcher) run(ctx context.Context, batch []*batchEntry) {
	if len(batch) == 1 {
		e := batch[0]
		e.reply, e.err = e.sc.runArgs(ctx, b.client, e.a)
		return
	}
	// Each entry's a is {_, _, n, n keys, 5+4n arguments}: the batch's KEYS are the keys one
	// entry after the other, its ARGV each entry's n and arguments, its reply each entry's
	// 1+4n integers.
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
			m.reply = res[off : off+n : off+n]
		}
		off += n
	}
}
