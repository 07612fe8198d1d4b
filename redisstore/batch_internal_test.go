package redisstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The hand-over rules of the batcher, which tests on a real server cannot time: an entry that
// was to lead its batch and whose caller gave up passes the batch to the next live entry, or
// its lane to the queue, or frees the lane; nothing is left without a leader.
func TestBatcherAbandonHandsOver(t *testing.T) {
	entry := func(st entryState) *batchEntry {
		return &batchEntry{cctx: context.Background(), wake: make(chan struct{}, 1), state: st}
	}
	woken := func(e *batchEntry) bool {
		select {
		case <-e.wake:
			return true
		default:
			return false
		}
	}
	t.Run("NextLiveEntryLeads", func(t *testing.T) {
		b := newBatcher(nil, 0, 16, 2)
		b.busy = 2
		e1, e2, e3 := entry(taken), entry(abandoned), entry(taken)
		e1.lead = []*batchEntry{e1, e2, e3}
		if _, err := b.abandon(e1, context.Canceled); !errors.Is(err, context.Canceled) {
			t.Fatalf("abandon: %v, want context.Canceled", err)
		}
		if e1.state != abandoned || e1.lead != nil {
			t.Fatalf("abandoned leader: state %v, lead %v", e1.state, e1.lead)
		}
		if !woken(e3) || !slices.Equal(e3.lead, []*batchEntry{e3}) {
			t.Fatalf("e3 woken %v with lead %v, want it to lead [e3]", woken(e3), e3.lead)
		}
		if woken(e2) || b.busy != 2 {
			t.Fatalf("e2 woken or busy %d changed", b.busy)
		}
	})
	t.Run("QueueTakesTheLane", func(t *testing.T) {
		b := newBatcher(nil, 0, 2, 2)
		b.busy = 1
		e1, q1, q2, q3 := entry(taken), entry(queued), entry(queued), entry(queued)
		e1.lead = []*batchEntry{e1}
		b.queue = []*batchEntry{q1, q2, q3}
		if _, err := b.abandon(e1, context.DeadlineExceeded); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("abandon: %v", err)
		}
		if !woken(q1) || !slices.Equal(q1.lead, []*batchEntry{q1, q2}) || q1.state != taken || q2.state != taken {
			t.Fatalf("q1 woken %v, lead %v, states %v %v: want q1 to lead [q1 q2], both taken", woken(q1), q1.lead, q1.state, q2.state)
		}
		if !slices.Equal(b.queue, []*batchEntry{q3}) || q3.state != queued || b.busy != 1 {
			t.Fatalf("queue %v, q3 %v, busy %d: want [q3] queued and the lane still busy", b.queue, q3.state, b.busy)
		}
	})
	t.Run("LaneFreed", func(t *testing.T) {
		b := newBatcher(nil, 0, 16, 2)
		b.busy = 1
		e1, e2 := entry(taken), entry(abandoned)
		e1.lead = []*batchEntry{e1, e2}
		_, _ = b.abandon(e1, context.Canceled)
		if b.busy != 0 || woken(e2) {
			t.Fatalf("busy %d, e2 woken %v: want the lane freed and no one woken", b.busy, woken(e2))
		}
	})
	t.Run("QueuedLeavesTheQueue", func(t *testing.T) {
		b := newBatcher(nil, 0, 16, 2)
		b.busy = 2
		q1, q2 := entry(queued), entry(queued)
		b.queue = []*batchEntry{q1, q2}
		_, _ = b.abandon(q1, context.Canceled)
		if !slices.Equal(b.queue, []*batchEntry{q2}) || q1.state != abandoned {
			t.Fatalf("queue %v, state %v", b.queue, q1.state)
		}
	})
	t.Run("AnsweredKeepsTheReply", func(t *testing.T) {
		b := newBatcher(nil, 0, 16, 2)
		e := entry(answered)
		e.reply = "reply"
		if r, err := b.abandon(e, context.Canceled); r != "reply" || err != nil {
			t.Fatalf("abandon of an answered entry: %v, %v; want its reply", r, err)
		}
	})
	t.Run("SentIsNotWaitedFor", func(t *testing.T) {
		b := newBatcher(nil, 0, 16, 2)
		e := entry(sent)
		if r, err := b.abandon(e, context.Canceled); r != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("abandon of a sent entry: %v, %v; want the caller's error", r, err)
		}
	})
}

// keysSent is a go-redis hook that records the keys of every script call the client makes
// (the calls then go on: to a port where nothing listens, in TestBatcherSendsLiveEntries).
type keysSent struct {
	mu   sync.Mutex
	keys [][]any
}

func (h *keysSent) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *keysSent) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *keysSent) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		a := cmd.Args()
		if n, ok := a[2].(int); ok {
			h.mu.Lock()
			h.keys = append(h.keys, slices.Clone(a[3:3+n]))
			h.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

// TestBatcherSendsLiveEntries: a decision withdrawn after it was taken into a batch is left
// out when the batch is sent; every other member is answered (with the send's error here:
// nothing listens on port 1) and woken, and the lane is freed.
func TestBatcherSendsLiveEntries(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	var h keysSent
	c.AddHook(&h)
	b := newBatcher(c, DefaultTimeout, 16, 2)
	entry := func(key string) *batchEntry {
		return &batchEntry{sc: bucketScript, a: []any{nil, nil, 1, key, 1, "0", "", 0, 0, "g", 10, 1, 10}, n: 1,
			cctx: t.Context(), wake: make(chan struct{}, 1), state: taken}
	}
	e1, e2, e3 := entry("k1"), entry("k2"), entry("k3")
	e1.lead = []*batchEntry{e1, e2, e3}
	b.busy = 1
	if _, err := b.abandon(e2, context.Canceled); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	b.send(t.Context(), e1)
	if !slices.EqualFunc(h.keys, [][]any{{"k1", "k3"}}, slices.Equal) {
		t.Fatalf("sent keys %v, want one batch of [k1 k3]", h.keys)
	}
	for _, e := range []*batchEntry{e1, e3} {
		if e.state != answered || e.err == nil {
			t.Errorf("member %v: state %v, err %v; want answered with the send's error", e.a[3], e.state, e.err)
		}
	}
	if e2.state != abandoned || e2.err != nil {
		t.Errorf("withdrawn member: state %v, err %v", e2.state, e2.err)
	}
	select {
	case <-e3.wake:
	default:
		t.Error("e3 was not woken")
	}
	if len(e1.wake) != 0 || len(e2.wake) != 0 {
		t.Error("the leader or the withdrawn member was woken")
	}
	if b.busy != 0 {
		t.Errorf("busy %d after the only batch, want 0", b.busy)
	}
}

// TestBatcherPromotedLate: an entry woken to lead its batch when its caller's deadline has
// passed (both happened at once) sends nothing: it passes the batch to the next live entry.
func TestBatcherPromotedLate(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	var h keysSent
	c.AddHook(&h)
	b := newBatcher(c, DefaultTimeout, 16, 2)
	now := time.Now()
	early, cancel := context.WithDeadline(t.Context(), now.Add(-time.Second))
	defer cancel()
	late, cancel := context.WithDeadline(t.Context(), now)
	defer cancel()
	<-late.Done()
	f := &batchEntry{sc: bucketScript, cctx: early, wake: make(chan struct{}, 1), state: queued}
	e := &batchEntry{sc: bucketScript, cctx: late, wake: make(chan struct{}, 1), state: queued}
	b.busy, b.queue = 2, []*batchEntry{f, e}
	b.mu.Lock()
	b.promote(nil) // a lane came back: e, whose caller waits longest, leads [f e]
	b.mu.Unlock()
	if !slices.Equal(e.lead, []*batchEntry{f, e}) || f.lead != nil {
		t.Fatalf("e leads %v, f leads %v: want e to lead [f e], in queue order", e.lead, f.lead)
	}
	for range 20 { // wait picks either ready channel: both must end alike
		if _, err := b.wait(t.Context(), e); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("late leader: %v, want DeadlineExceeded", err)
		}
		if e.state != abandoned || !slices.Equal(f.lead, []*batchEntry{f}) || len(f.wake) != 1 {
			t.Fatalf("late leader %v, f leads %v (woken %v): want e withdrawn and f leading [f]", e.state, f.lead, len(f.wake) == 1)
		}
		if len(h.keys) != 0 {
			t.Fatalf("the late leader sent %v", h.keys)
		}
		// Again, from the same start.
		e.state, f.state, f.lead, e.lead = taken, taken, nil, []*batchEntry{f, e}
		<-f.wake
		if len(e.wake) == 0 {
			e.wake <- struct{}{}
		}
	}
}

// TestBatcherLeaderWaitsLongest: the batch goes to the entry with the latest deadline, so
// that no caller waits for a batch past its own deadline; no deadline counts as the latest.
func TestBatcherLeaderWaitsLongest(t *testing.T) {
	now := time.Now()
	ctx := func(d time.Duration) context.Context {
		c, cancel := context.WithDeadline(t.Context(), now.Add(d))
		t.Cleanup(cancel)
		return c
	}
	tests := []struct {
		name   string
		ctxs   []context.Context
		leader int
	}{
		{"latest last", []context.Context{ctx(time.Second), ctx(2 * time.Second), ctx(3 * time.Second)}, 2},
		{"latest first", []context.Context{ctx(3 * time.Second), ctx(2 * time.Second), ctx(time.Second)}, 0},
		{"no deadline", []context.Context{ctx(time.Second), t.Context(), ctx(3 * time.Second)}, 1},
		{"ties keep the oldest", []context.Context{ctx(time.Second), ctx(time.Second)}, 0},
	}
	for _, tt := range tests {
		b := newBatcher(nil, 0, 16, 2)
		b.busy = 2
		for _, c := range tt.ctxs {
			b.queue = append(b.queue, &batchEntry{cctx: c, wake: make(chan struct{}, 1), state: queued})
		}
		entries := slices.Clone(b.queue)
		b.promote(nil)
		for i, m := range entries {
			if (m.lead != nil) != (i == tt.leader) || (i == tt.leader && !slices.Equal(m.lead, entries)) {
				t.Errorf("%s: entry %d leads %v; want entry %d to lead all, in queue order", tt.name, i, m.lead, tt.leader)
			}
		}
	}
}
