package redisstore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/ratelimittest"
	"github.com/rampart-go/rampart/redisstore"
)

// waitBatch waits until s has busy batches in flight and queued decisions waiting.
func waitBatch(t *testing.T, s *redisstore.LimitStore, busy, queued int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, q := redisstore.BatchState(s)
		if b == busy && q == queued {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("batches in flight %d, decisions waiting %d; want %d and %d", b, q, busy, queued)
		}
		time.Sleep(time.Millisecond)
	}
}

// ownStore returns a store with cfg (Timeout testTimeout when zero) on a redis-server of its
// own, for tests that stop it, with hooks on its client; and the server.
func ownStore(t *testing.T, cfg redisstore.Config, hooks ...redis.Hook) (*redisstore.LimitStore, *server) {
	t.Helper()
	srv := startServer(t)
	c := newClient(t, srv.URL())
	for _, h := range hooks {
		c.AddHook(h)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = testTimeout
	}
	s, err := redisstore.NewLimitStore(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, srv
}

// pausedStore is ownStore with the default batching, which it checks is on.
func pausedStore(t *testing.T, hooks ...redis.Hook) (*redisstore.LimitStore, *server) {
	t.Helper()
	s, srv := ownStore(t, redisstore.Config{}, hooks...)
	if busy, _ := redisstore.BatchState(s); busy != 0 {
		t.Fatalf("a store on a *redis.Client does not batch (busy %d)", busy)
	}
	return s, srv
}

// mustFresh checks that key has its whole quota under p, which also loads the script on a
// fresh server.
func mustFresh(t *testing.T, s *redisstore.LimitStore, p ratelimit.Policy, key string) {
	t.Helper()
	if got := peek(t, s, p, key); got != p.Limit {
		t.Fatalf("fresh key %s: %d remaining, want %d", key, got, p.Limit)
	}
}

// fillLanes starts two decisions on key while srv is paused, so that both batch lanes are in
// flight and every further decision waits; it returns a wait for them.
func fillLanes(t *testing.T, s *redisstore.LimitStore, p ratelimit.Policy, key string) func() {
	t.Helper()
	return fillLanesWith(t, s, &ratelimit.Request{Key: key, Policies: []ratelimit.Policy{p}, Cost: 1})
}

// fillLanesWith is fillLanes with the two decisions' request.
func fillLanesWith(t *testing.T, s *redisstore.LimitStore, req *ratelimit.Request) func() {
	t.Helper()
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			if err := s.Take(context.Background(), req, make([]ratelimit.Decision, len(req.Policies))); err != nil {
				t.Errorf("lane %d: %v", i, err)
			}
		})
	}
	waitBatch(t, s, 2, 0)
	return wg.Wait
}

// peek returns the remaining quota of key under p.
func peek(t *testing.T, s *redisstore.LimitStore, p ratelimit.Policy, key string) int {
	t.Helper()
	out := make([]ratelimit.Decision, 1)
	if err := s.Take(t.Context(), &ratelimit.Request{Key: key, Policies: []ratelimit.Policy{p}, Peek: true}, out); err != nil {
		t.Fatal(err)
	}
	return out[0].Remaining
}

// TestBatchWithdrawsAbandoned: a decision whose caller gives up while it waits for a batch is
// withdrawn: the caller gets its context's error at once and the quota is never charged. The
// decisions still waiting leave together, in one EVALSHA, when a lane comes back.
func TestBatchWithdrawsAbandoned(t *testing.T) {
	var hook counter
	s, srv := pausedStore(t, &hook)
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Hour}
	mustFresh(t, s, p, "lane")
	hook.take()

	srv.Pause(t)
	lanes := fillLanes(t, s, p, "lane")
	var gone sync.WaitGroup
	cancels := make([]context.CancelFunc, 3)
	for i := range cancels {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		gone.Go(func() {
			err := s.Take(ctx, &ratelimit.Request{Key: "gone", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("abandoned decision: %v, want an error wrapping context.Canceled", err)
			}
		})
		waitBatch(t, s, 2, i+1)
	}
	for _, cancel := range cancels {
		cancel()
	}
	gone.Wait()
	waitBatch(t, s, 2, 0)

	var kept sync.WaitGroup
	for i := range 3 {
		kept.Go(func() {
			out := make([]ratelimit.Decision, 1)
			if err := s.Take(context.Background(), &ratelimit.Request{Key: "kept", Policies: []ratelimit.Policy{p}, Cost: 1}, out); err != nil || !out[0].Allowed {
				t.Errorf("waiting decision %d: %+v, %v; want allowed", i, out[0], err)
			}
		})
		waitBatch(t, s, 2, i+1)
	}
	srv.Resume(t)
	lanes()
	kept.Wait()
	waitBatch(t, s, 0, 0)
	// Three EVALSHAs, and the batch script loaded on its first use.
	if cmds := scripts(hook.take()); !slices.Equal(cmds, []string{"evalsha", "evalsha", "evalsha", "eval"}) {
		t.Fatalf("2 lanes and a batch of 3 sent %q, want [evalsha evalsha evalsha eval]", cmds)
	}
	for key, want := range map[string]int{"lane": 8, "gone": 10, "kept": 7} {
		if got := peek(t, s, p, key); got != want {
			t.Errorf("%s: %d remaining, want %d", key, got, want)
		}
	}
}

// TestBatchMatchesMemory queues random decisions (each algorithm alone and three policies at
// once, several keys, costs, peeks, synthetic instants) behind two batches in flight, so that they leave in
// one batch, round after round, and requires the decisions ratelimit.Memory makes for the same
// requests in the same order: a batch decides each request exactly as it is decided alone.
// (A round holds one batch's worth, which leaves on a lane of its own as soon as it is full:
// two batches in flight at once may run in either order, as any two concurrent calls may.)
func TestBatchMatchesMemory(t *testing.T) {
	var hook counter
	s, srv := pausedStore(t, &hook)
	mem, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	sets := [][]ratelimit.Policy{
		{{Algorithm: ratelimit.TokenBucket, Limit: 7, Window: time.Second, Burst: 3}},
		{{Algorithm: ratelimit.SlidingWindow, Limit: 13, Window: 777 * time.Millisecond}},
		{{Algorithm: ratelimit.TokenBucket, Limit: 3, Window: time.Second}},
		{{Algorithm: ratelimit.SlidingLog, Limit: 5, Window: time.Second}},
		{
			{Name: "a", Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second, Burst: 4},
			{Name: "b", Algorithm: ratelimit.SlidingWindow, Limit: 20, Window: 3 * time.Second},
			{Name: "c", Algorithm: ratelimit.SlidingLog, Limit: 6, Window: 2 * time.Second},
		},
	}
	lane := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 100, Window: time.Hour}
	mustFresh(t, s, lane, "lane")
	r := rand.New(rand.NewPCG(11, 17)) // #nosec G404 -- deterministic test traffic
	at := ratelimittest.T0()
	for round := range 8 {
		reqs := make([]ratelimit.Request, redisstore.DefaultMaxBatch)
		for i := range reqs {
			switch r.IntN(6) {
			case 0:
				at = at.Add(time.Duration(r.Int64N(int64(2 * time.Second))))
			case 1, 2:
				at = at.Add(time.Duration(r.Int64N(int64(200 * time.Millisecond))))
			}
			ps := sets[r.IntN(len(sets))]
			capacity := ps[0].Capacity()
			for _, p := range ps {
				capacity = min(capacity, p.Capacity())
			}
			reqs[i] = ratelimit.Request{
				Key:      fmt.Sprintf("k%d", r.IntN(3)),
				Policies: ps,
				Cost:     r.IntN(capacity + 1),
				Peek:     r.IntN(5) == 0,
				Now:      at,
			}
		}
		hook.take()
		srv.Pause(t)
		lanes := fillLanes(t, s, lane, "lane")
		got := make([][]ratelimit.Decision, len(reqs))
		var wg sync.WaitGroup
		for i := range reqs {
			got[i] = make([]ratelimit.Decision, len(reqs[i].Policies))
			wg.Go(func() {
				if err := s.Take(context.Background(), &reqs[i], got[i]); err != nil {
					t.Errorf("request %d: %v", i, err)
				}
			})
			if i < len(reqs)-1 {
				waitBatch(t, s, 2, i+1)
			} else {
				waitBatch(t, s, 3, 0) // a full batch waited: it left on a third lane
			}
		}
		srv.Resume(t)
		lanes()
		wg.Wait()
		want := []string{"evalsha", "evalsha", "evalsha"}
		if round == 0 {
			want = append(want, "eval") // the batch script's first use on this server
		}
		if cmds := scripts(hook.take()); !slices.Equal(cmds, want) {
			t.Errorf("round %d: 2 lanes and %d queued decisions sent %q, want %q", round, len(reqs), cmds, want)
		}
		for i, req := range reqs {
			want := make([]ratelimit.Decision, len(req.Policies))
			if err := mem.Take(t.Context(), &req, want); err != nil {
				t.Fatal(err)
			}
			for j, p := range req.Policies {
				if p.Algorithm == ratelimit.SlidingLog && req.Cost == 0 && want[j].Allowed {
					want[j].Reset = got[i][j].Reset // as in TestMatchesMemory
				}
			}
			if !slices.Equal(got[i], want) {
				t.Fatalf("round %d, request %d (%s, %d policies, cost %d, peek %v, at T0%+v):\nbatched %+v\nmemory  %+v",
					round, i, req.Key, len(req.Policies), req.Cost, req.Peek, req.Now.Sub(ratelimittest.T0()), got[i], want)
			}
		}
	}
}

// scripts keeps the script calls of a command list, dropping the handshakes of new
// connections.
func scripts(cmds []string) []string {
	return slices.DeleteFunc(cmds, func(c string) bool { return c != "evalsha" && c != "eval" })
}

// TestBatchConcurrent hammers one store from many goroutines on a few keys, a fifth of them
// with deadlines short enough to expire while waiting or in flight, on Redis's clock. Every
// call returns; the lanes and the queue end empty; no key is charged more than its admitted
// decisions plus the calls that failed (which may have been charged, as after any timeout),
// nor less than its admitted ones; and with no deadline at all a hot key admits exactly its
// limit.
func TestBatchConcurrent(t *testing.T) {
	url := redisURL(t)
	var hook counter
	s := newLimitStore(t, url, testPrefix(t), &hook)
	// T = 2.88 s: a token comes back every 2.88 s, which the bounds below allow for.
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 100_000, Window: 80_000 * time.Hour}
	keys := []string{"a", "b", "c", "d"}
	start := time.Now()
	var admitted, failed [4]atomic.Int64
	var wg sync.WaitGroup
	const goroutines, calls = 64, 150
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 3)) // #nosec G404 -- test traffic
			for range calls {
				k := r.IntN(len(keys))
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if r.IntN(5) == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(r.Int64N(int64(300*time.Microsecond))))
				}
				out := make([]ratelimit.Decision, 1)
				err := s.Take(ctx, &ratelimit.Request{Key: keys[k], Policies: []ratelimit.Policy{p}, Cost: 1}, out)
				cancel()
				switch {
				case err == nil && out[0].Allowed:
					admitted[k].Add(1)
				case err == nil:
					t.Errorf("refused below the limit: %+v", out[0])
				case ctx.Err() == nil:
					t.Errorf("a call without deadline failed: %v", err)
				default:
					failed[k].Add(1)
				}
			}
		})
	}
	wg.Wait()
	waitBatch(t, s, 0, 0)
	refill := int64(time.Since(start)/(p.Window/time.Duration(p.Limit))) + 1
	var fails int64
	for k, key := range keys {
		charged := int64(p.Limit - peek(t, s, p, key))
		a, f := admitted[k].Load(), failed[k].Load()
		fails += f
		if charged < a-refill || charged > a+f {
			t.Errorf("key %s charged %d, admitted %d, failed %d, refilled at most %d: want admitted-refilled..admitted+failed", key, charged, a, f, refill)
		}
	}
	cmds := len(scripts(hook.take()))
	t.Logf("%d decisions (%d failed on their deadline) in %d commands", goroutines*calls, fails, cmds)
	if cmds >= goroutines*calls {
		t.Errorf("%d concurrent decisions took %d commands: none were batched", goroutines*calls, cmds)
	}

	for _, hot := range [][]ratelimit.Policy{
		{{Algorithm: ratelimit.SlidingWindow, Limit: 100, Window: time.Hour}},
		{
			{Name: "s", Algorithm: ratelimit.TokenBucket, Limit: 1000, Window: time.Second},
			{Name: "h", Algorithm: ratelimit.SlidingWindow, Limit: 100, Window: time.Hour},
		},
	} {
		var allowed atomic.Int64
		key := fmt.Sprintf("hot%d", len(hot))
		for range goroutines {
			wg.Go(func() {
				for range 20 {
					out := make([]ratelimit.Decision, len(hot))
					if err := s.Take(context.Background(), &ratelimit.Request{Key: key, Policies: hot, Cost: 1}, out); err != nil {
						t.Error(err)
						return
					}
					if !slices.ContainsFunc(out, func(d ratelimit.Decision) bool { return !d.Allowed }) {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if got := allowed.Load(); got != 100 {
			t.Errorf("hot key, %d policies, limit 100, %d attempts: %d admitted", len(hot), goroutines*20, got)
		}
	}
}

// TestBatchOpensLanes: a full batch never waits for a lane while the client's pool has
// connections to spare, so that a Redis far away (long round trips) still gets every caller's
// decision in flight; past the pool size, batches wait.
func TestBatchOpensLanes(t *testing.T) {
	srv := startServer(t)
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true
	opt.PoolSize = 4
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisstore.NewLimitStore(c, redisstore.Config{Timeout: testTimeout, MaxBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 100, Window: time.Hour}
	mustFresh(t, s, p, "k")
	srv.Pause(t)
	lanes := fillLanes(t, s, p, "k")
	var wg sync.WaitGroup
	want := []struct{ busy, queued int }{{2, 1}, {3, 0}, {3, 1}, {4, 0}, {4, 1}, {4, 2}, {4, 3}}
	for i, w := range want {
		wg.Go(func() {
			out := make([]ratelimit.Decision, 1)
			if err := s.Take(context.Background(), &ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p}, Cost: 1}, out); err != nil || !out[0].Allowed {
				t.Errorf("decision %d: %+v, %v", i, out[0], err)
			}
		})
		waitBatch(t, s, w.busy, w.queued)
	}
	srv.Resume(t)
	lanes()
	wg.Wait()
	waitBatch(t, s, 0, 0)
	if got := peek(t, s, p, "k"); got != 100-2-len(want) {
		t.Errorf("%d remaining after %d decisions", got, 2+len(want))
	}
}

// TestBatchCallerDeadline: a decision that goes alone is bounded by its caller's deadline,
// exactly as without batching; one woken to lead a batch after its deadline passes the batch
// on rather than sending it late; and either way the error wraps the caller's
// context.DeadlineExceeded, even when the socket deadline fires before the context's timer.
func TestBatchCallerDeadline(t *testing.T) {
	for _, maxBatch := range []int{1, 0} {
		t.Run(fmt.Sprintf("MaxBatch=%d", maxBatch), func(t *testing.T) {
			s, srv := ownStore(t, redisstore.Config{Timeout: 5 * time.Second, MaxBatch: maxBatch})
			p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1000, Window: time.Hour}
			mustFresh(t, s, p, "k")
			srv.Pause(t)
			defer srv.Resume(t)
			for i := range 10 {
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
				start := time.Now()
				err := s.Take(ctx, &ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1))
				elapsed := time.Since(start)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redisstore.ErrUnavailable) {
					t.Errorf("call %d: %v; want the caller's DeadlineExceeded, not ErrUnavailable", i, err)
				}
				if elapsed > time.Second {
					t.Errorf("call %d with a 20 ms deadline returned after %v", i, elapsed)
				}
			}
		})
	}
}

// endCtx is a context whose deadline the test decides: it ends, with DeadlineExceeded, when
// end is closed.
type endCtx struct {
	context.Context
	end chan struct{}
}

func (c endCtx) Done() <-chan struct{} { return c.end }

func (c endCtx) Err() error {
	select {
	case <-c.end:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// TestBatchQueuedPastDeadline: a decision whose deadline passes while it waits for a lane is
// withdrawn, never charged, and the decisions behind it still go when a lane comes back.
func TestBatchQueuedPastDeadline(t *testing.T) {
	s, srv := pausedStore(t)
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1000, Window: time.Hour}
	mustFresh(t, s, p, "k")
	srv.Pause(t)
	lanes := fillLanes(t, s, p, "lane")
	var wg sync.WaitGroup
	var lateErr error
	late := endCtx{context.Background(), make(chan struct{})}
	wg.Go(func() {
		lateErr = s.Take(late, &ratelimit.Request{Key: "late", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1))
	})
	waitBatch(t, s, 2, 1)
	wg.Go(func() {
		if err := s.Take(context.Background(), &ratelimit.Request{Key: "behind", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1)); err != nil {
			t.Errorf("the decision behind: %v", err)
		}
	})
	waitBatch(t, s, 2, 2)
	close(late.end)
	waitBatch(t, s, 2, 1)
	srv.Resume(t)
	lanes()
	wg.Wait()
	waitBatch(t, s, 0, 0)
	if !errors.Is(lateErr, context.DeadlineExceeded) {
		t.Errorf("late decision: %v, want DeadlineExceeded", lateErr)
	}
	if got := peek(t, s, p, "late"); got != 1000 {
		t.Errorf("the late decision was charged: %d remaining", got)
	}
	if got := peek(t, s, p, "behind"); got != 999 {
		t.Errorf("the decision behind: %d remaining, want 999", got)
	}
}

// TestBatchLeaderDeadline: the decision that sends a batch is the one whose caller waits
// longest, so a caller with a short deadline in a batch returns at its deadline, not when the
// batch does (here, never: Redis is stopped).
func TestBatchLeaderDeadline(t *testing.T) {
	s, srv := ownStore(t, redisstore.Config{Timeout: 3 * time.Second, MaxBatch: 2})
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1000, Window: time.Hour}
	mustFresh(t, s, p, "k")
	srv.Pause(t)
	defer srv.Resume(t)
	var wg sync.WaitGroup
	for range 2 { // both eager calls in flight, waiting out the store's timeout
		wg.Go(func() {
			_ = s.Take(context.Background(), &ratelimit.Request{Key: "lane", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1))
		})
	}
	waitBatch(t, s, 2, 0)
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var shortErr error
	var elapsed time.Duration
	wg.Go(func() {
		start := time.Now()
		shortErr = s.Take(short, &ratelimit.Request{Key: "short", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1))
		elapsed = time.Since(start)
	})
	waitBatch(t, s, 2, 1)
	wg.Go(func() {
		_ = s.Take(context.Background(), &ratelimit.Request{Key: "long", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1))
	})
	waitBatch(t, s, 3, 0) // a full batch of two left on a third lane
	wg.Wait()             // the others end at the store's timeout
	if !errors.Is(shortErr, context.DeadlineExceeded) || elapsed > time.Second {
		t.Errorf("a decision with a 100 ms deadline in a batch on a stopped Redis: %v after %v; want its DeadlineExceeded at about 100 ms", shortErr, elapsed)
	}
}

// panicHook panics on the next armed script calls, as a faulty go-redis hook would.
type panicHook struct{ armed atomic.Int32 }

func (h *panicHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *panicHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *panicHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "evalsha" && h.armed.Add(-1) >= 0 {
			panic("hook")
		}
		return next(ctx, cmd)
	}
}

// TestBatchPanicKeepsLanes: a panic while sending (in a go-redis hook; net/http recovers it
// per request) reaches that caller, answers the other decisions of its batch with an error,
// and hands the lane on: the store keeps working.
func TestBatchPanicKeepsLanes(t *testing.T) {
	var h panicHook
	s, _ := ownStore(t, redisstore.Config{}, &h)
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1000, Window: time.Hour}
	h.armed.Store(3)
	for i := range 3 {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("call %d: no panic", i)
				}
			}()
			_ = s.Take(t.Context(), &ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1))
		}()
	}
	waitBatch(t, s, 0, 0)
	if got := peek(t, s, p, "k"); got != 1000 {
		t.Errorf("after three panics: %d remaining", got)
	}

	// In a batch of three: its sender panics, the two others get an error.
	var h2 panicHook
	s, srv2 := ownStore(t, redisstore.Config{}, &h2)
	mustFresh(t, s, p, "k")
	srv2.Pause(t)
	lanes := fillLanes(t, s, p, "lane")
	var wg sync.WaitGroup
	var panics atomic.Int32
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			defer func() {
				if recover() != nil {
					panics.Add(1)
					errs[i] = errors.New("panicked")
				}
			}()
			errs[i] = s.Take(context.Background(), &ratelimit.Request{Key: "m", Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1))
		})
		waitBatch(t, s, 2, i+1)
	}
	h2.armed.Store(1)
	srv2.Resume(t)
	lanes()
	wg.Wait()
	waitBatch(t, s, 0, 0)
	if panics.Load() != 1 {
		t.Errorf("%d of a batch's callers panicked, want its sender only: %v", panics.Load(), errs)
	}
	for i, err := range errs {
		if err.Error() != "panicked" && !errors.Is(err, redisstore.ErrUnavailable) {
			t.Errorf("member %d of the batch that panicked: %v, want an error wrapping ErrUnavailable", i, err)
		}
	}
	if got := peek(t, s, p, "m"); got != 1000 {
		t.Errorf("the batch that panicked charged: %d remaining", got)
	}
}

// TestBatchOOM: under maxmemory with noeviction, a decision that would write fails with an
// error wrapping ErrUnavailable, batched or not, and one that writes nothing (a refusal, a
// peek) is decided: in a batch, one decision's refused write does not fail the others, which
// the fail-open choice would otherwise admit.
func TestBatchOOM(t *testing.T) {
	s, srv := pausedStore(t)
	c := newClient(t, srv.URL())
	one := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1, Window: time.Hour}
	req := func(key string, peek bool) *ratelimit.Request {
		return &ratelimit.Request{Key: key, Policies: []ratelimit.Policy{one}, Cost: 1, Peek: peek}
	}
	out := make([]ratelimit.Decision, 1)
	if err := s.Take(t.Context(), req("full", false), out); err != nil || !out[0].Allowed {
		t.Fatalf("first decision: %+v, %v", out[0], err)
	}
	configSet(t, c, "maxmemory-policy", "noeviction")
	configSet(t, c, "maxmemory", "1") // the server is this test's own
	if err := s.Take(t.Context(), req("full", false), out); err != nil || out[0].Allowed {
		t.Fatalf("exhausted client alone under OOM: %+v, %v; want refused without error", out[0], err)
	}
	srv.Pause(t)
	lanes := fillLanesWith(t, s, req("lane", true)) // peeks: they write nothing
	results := make([]struct {
		d   ratelimit.Decision
		err error
	}, 3)
	var wg sync.WaitGroup
	for i, r := range []*ratelimit.Request{req("fresh", false), req("full", false), req("other", true)} {
		wg.Go(func() {
			out := make([]ratelimit.Decision, 1)
			results[i].err = s.Take(context.Background(), r, out)
			results[i].d = out[0]
		})
		waitBatch(t, s, 2, i+1)
	}
	srv.Resume(t)
	lanes()
	wg.Wait()
	if err := results[0].err; !errors.Is(err, redisstore.ErrUnavailable) || !strings.Contains(err.Error(), "OOM") {
		t.Errorf("fresh client, batched under OOM: %v; want an OOM error wrapping ErrUnavailable", err)
	}
	if r := results[1]; r.err != nil || r.d.Allowed {
		t.Errorf("exhausted client, batched under OOM: %+v, %v; want refused without error", r.d, r.err)
	}
	if r := results[2]; r.err != nil || !r.d.Allowed {
		t.Errorf("peek, batched under OOM: %+v, %v; want allowed without error", r.d, r.err)
	}

	// A sliding-log decision that trims expired entries writes nothing before its RPUSH,
	// which Redis refuses: it must not open the way for the writes after it in the batch.
	configSet(t, c, "maxmemory", "0")
	log := ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: 5, Window: time.Second}
	t0 := time.Now()
	if err := s.Take(t.Context(), &ratelimit.Request{Key: "log", Policies: []ratelimit.Policy{log}, Cost: 3, Now: t0}, out); err != nil {
		t.Fatal(err)
	}
	configSet(t, c, "maxmemory", "1")
	srv.Pause(t)
	lanes = fillLanesWith(t, s, req("lane", true))
	trim := []*ratelimit.Request{
		{Key: "log", Policies: []ratelimit.Policy{log}, Cost: 1, Now: t0.Add(2 * time.Second)}, // 3 entries expired
		req("fresh2", false),
	}
	errs := make([]error, len(trim))
	for i, r := range trim {
		wg.Go(func() { errs[i] = s.Take(context.Background(), r, make([]ratelimit.Decision, len(r.Policies))) })
		waitBatch(t, s, 2, i+1)
	}
	srv.Resume(t)
	lanes()
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, redisstore.ErrUnavailable) || !strings.Contains(err.Error(), "OOM") {
			t.Errorf("decision %d batched after a trimming log decision under OOM: %v; want OOM", i, err)
		}
	}
}

// TestBatchedTimeExact: decisions at Redis's TIME batched together are decided at that
// instant to the microsecond (the TAT each writes is TIME, read before and after, plus T), so
// the batch script does not round the instant it shares.
func TestBatchedTimeExact(t *testing.T) {
	s, srv := pausedStore(t)
	c := newClient(t, srv.URL())
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1000, Window: time.Hour} // T = 3.6 s
	mustFresh(t, s, p, "lane")
	const rounds, n = 3, 8
	rounded := 0
	for round := range rounds {
		before, err := c.Time(t.Context()).Result()
		if err != nil {
			t.Fatal(err)
		}
		srv.Pause(t)
		lanes := fillLanes(t, s, p, "lane")
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := s.Take(context.Background(), &ratelimit.Request{Key: fmt.Sprint("t", round, "-", i), Policies: []ratelimit.Policy{p}, Cost: 1}, make([]ratelimit.Decision, 1)); err != nil {
					t.Error(err)
				}
			})
			waitBatch(t, s, 2, i+1)
		}
		srv.Resume(t)
		lanes()
		wg.Wait()
		after, err := c.Time(t.Context()).Result()
		if err != nil {
			t.Fatal(err)
		}
		keys, err := c.Keys(t.Context(), redisstore.DefaultPrefix+"rl:{k:t"+fmt.Sprint(round)+"-*").Result()
		if err != nil || len(keys) != n {
			t.Fatalf("keys %v, %v; want %d", keys, err, n)
		}
		var tus []int64
		for _, k := range keys {
			v, err := c.Get(t.Context(), k).Bytes()
			if err != nil || len(v) != 16 {
				t.Fatalf("%s: %q, %v", k, v, err)
			}
			us := int64(math.Float64frombits(binary.LittleEndian.Uint64(v))) - int64(p.Window/time.Duration(p.Limit)/time.Microsecond)
			if us < before.UnixMicro() || us > after.UnixMicro() {
				t.Errorf("%s decided at %d µs, outside TIME %d..%d", k, us, before.UnixMicro(), after.UnixMicro())
			}
			tus = append(tus, us)
		}
		for _, u := range tus[1:] {
			if u != tus[0] {
				t.Errorf("one batch, several instants: %v", tus)
			}
		}
		if tus[0]%100 == 0 {
			rounded++
		}
	}
	if rounded == rounds {
		t.Errorf("%d batches all decided at whole multiples of 100 µs: the shared TIME was rounded", rounds)
	}
}
