package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// FuzzLimiter drives a limiter with arbitrary sequences of instants (forwards and backwards),
// costs and peeks, and checks the invariants of every Decision: no panic; only ErrCost as an
// error; Remaining within [0, capacity]; RetryAfter positive exactly for refusals; a Peek at
// RetryAfter later admits the same cost; a Peek never changes the next decision.
func FuzzLimiter(f *testing.F) {
	f.Add(uint8(0), uint16(10), uint16(1000), []byte{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 200, 1, 0, 1})
	f.Add(uint8(1), uint16(3), uint16(500), []byte{0, 2, 0, 2, 10, 3, 255, 1, 0, 0, 5, 4})
	f.Add(uint8(2), uint16(4), uint16(100), []byte{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 99, 1, 1, 1})
	f.Add(uint8(0x81), uint16(1), uint16(1), []byte{0x80, 1, 0x7f, 1, 0xff, 1})
	f.Add(uint8(0x21), uint16(0xffff), uint16(0xffff), []byte{0, 255, 0, 255, 254, 1})
	f.Add(uint8(0x49), uint16(0x0305), uint16(0x1234), []byte{0, 1, 0, 1, 0, 1, 0, 1, 40, 2, 0, 1, 0, 1})
	f.Fuzz(func(t *testing.T, alg uint8, limit, windowMs uint16, ops []byte) {
		p := ratelimit.Policy{
			Algorithm: ratelimit.Algorithm(alg % 3),
			Limit:     1 + int(limit%200),
			Window:    time.Duration(1+int(windowMs)%5000) * time.Millisecond,
		}
		if alg&0x20 != 0 { // extreme policies: huge limits, windows up to years
			p.Limit = 1 + int(limit)*32768
			p.Window = time.Duration(1+int(windowMs)) * 48 * time.Hour
			if p.Algorithm == ratelimit.SlidingLog {
				p.Limit = ratelimit.MaxLogLimit
			}
		}
		if p.Algorithm == ratelimit.TokenBucket && alg&0x80 != 0 {
			p.Burst = 1 + int(limit>>8)
		}
		policies := []ratelimit.Policy{p}
		if alg&0x40 != 0 { // a second policy, decided together with the first
			policies = append(policies, ratelimit.Policy{
				Name:      "second",
				Algorithm: ratelimit.Algorithm((alg >> 3) % 3),
				Limit:     1 + int(limit>>8)%50,
				Window:    time.Duration(1+int(windowMs>>4)%3000) * time.Millisecond,
			})
		}
		l, err := ratelimit.New(ratelimit.Config{}, policies...)
		if err != nil {
			if !errors.Is(err, ratelimit.ErrInvalidPolicy) {
				t.Fatalf("New error %v does not wrap ErrInvalidPolicy", err)
			}
			return
		}
		// The same policies behind the generic Store path (Take, then combine), which must
		// decide exactly as the in-memory fast path does.
		mem, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{})
		generic, err := ratelimit.New(ratelimit.Config{Store: opaque{mem}}, policies...)
		if err != nil {
			t.Fatalf("New with the generic store: %v", err)
		}
		ctx := context.Background()
		capacity := p.Capacity()
		if len(policies) > 1 {
			capacity = min(capacity, policies[1].Capacity())
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i+1 < len(ops) && i < 400; i += 2 {
			// Step in ms: -16..111, mostly forwards; cost 0..capacity+1.
			at = at.Add(time.Duration(int(ops[i]>>1)-16) * time.Millisecond)
			cost := int(ops[i+1]) % (capacity + 2)
			peek := ops[i]&1 == 1
			var d ratelimit.Decision
			var g ratelimit.Decision
			var gerr error
			if peek {
				d, err = l.PeekAt(ctx, "k", at, cost)
				g, gerr = generic.PeekAt(ctx, "k", at, cost)
			} else {
				before, _ := l.PeekAt(ctx, "k", at, cost)
				d, err = l.AllowAt(ctx, "k", at, cost)
				g, gerr = generic.AllowAt(ctx, "k", at, cost)
				if err == nil && before != d {
					t.Fatalf("Peek %+v then Allow %+v at the same instant differ", before, d)
				}
			}
			if g != d || (gerr == nil) != (err == nil) {
				t.Fatalf("fast path %+v, %v; generic Store path %+v, %v; want equal", d, err, g, gerr)
			}
			if cost > capacity {
				if !errors.Is(err, ratelimit.ErrCost) || d.Allowed {
					t.Fatalf("cost %d > capacity %d: %+v, %v; want refused with ErrCost", cost, capacity, d, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("AllowAt: %v", err)
			}
			if d.Remaining < 0 || d.Remaining > policies[d.Policy].Capacity() {
				t.Fatalf("Remaining %d outside [0, %d]: %+v", d.Remaining, policies[d.Policy].Capacity(), d)
			}
			if d.Allowed != (d.RetryAfter == 0) || d.RetryAfter < 0 || d.Reset < 0 {
				t.Fatalf("inconsistent decision %+v", d)
			}
			if !d.Allowed {
				if later, _ := l.PeekAt(ctx, "k", at.Add(d.RetryAfter), cost); !later.Allowed {
					t.Fatalf("%v: refused with RetryAfter %v, but a Peek that much later is refused too: %+v", p.Algorithm, d.RetryAfter, later)
				}
			}
		}
	})
}

// opaque hides a *Memory behind the Store interface, forcing the Limiter's generic path.
type opaque struct{ ratelimit.Store }
