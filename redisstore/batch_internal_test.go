package redisstore

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// The hand-over rules of the batcher, which tests on a real server cannot time: an entry that
// was to lead its batch and whose caller gave up passes the batch to the next live entry, or
// its lane to the queue, or frees the lane; nothing is left without a leader.
func TestBatcherAbandonHandsOver(t *testing.T) {
	entry := func(st entryState) *batchEntry {
		return &batchEntry{wake: make(chan struct{}, 1), state: st}
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
		b := newBatcher(nil, 0, 16)
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
		b := newBatcher(nil, 0, 2)
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
		b := newBatcher(nil, 0, 16)
		b.busy = 1
		e1, e2 := entry(taken), entry(abandoned)
		e1.lead = []*batchEntry{e1, e2}
		_, _ = b.abandon(e1, context.Canceled)
		if b.busy != 0 || woken(e2) {
			t.Fatalf("busy %d, e2 woken %v: want the lane freed and no one woken", b.busy, woken(e2))
		}
	})
	t.Run("QueuedLeavesTheQueue", func(t *testing.T) {
		b := newBatcher(nil, 0, 16)
		b.busy = 2
		q1, q2 := entry(queued), entry(queued)
		b.queue = []*batchEntry{q1, q2}
		_, _ = b.abandon(q1, context.Canceled)
		if !slices.Equal(b.queue, []*batchEntry{q2}) || q1.state != abandoned {
			t.Fatalf("queue %v, state %v", b.queue, q1.state)
		}
	})
	t.Run("AnsweredKeepsTheReply", func(t *testing.T) {
		b := newBatcher(nil, 0, 16)
		e := entry(answered)
		e.reply = "reply"
		if r, err := b.abandon(e, context.Canceled); r != "reply" || err != nil {
			t.Fatalf("abandon of an answered entry: %v, %v; want its reply", r, err)
		}
	})
	t.Run("SentIsNotWaitedFor", func(t *testing.T) {
		b := newBatcher(nil, 0, 16)
		e := entry(sent)
		if r, err := b.abandon(e, context.Canceled); r != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("abandon of a sent entry: %v, %v; want the caller's error", r, err)
		}
	})
}
