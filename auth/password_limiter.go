package auth

import (
	"container/list"
	"context"
	"sync"
)

// memoryLimiter is a weighted FIFO semaphore measured in bytes, with a cap on the number of
// holders: a hash computation acquires the memory it will allocate and one of slots places,
// and releases both when done, so concurrent computations never hold more than size bytes
// between them, nor number more than slots (bcrypt and PBKDF2 need little memory but a whole
// core each). Waiters are served strictly in arrival order (a large request is not starved by
// a stream of small ones) and leave the queue when their context is done.
type memoryLimiter struct {
	mu      sync.Mutex
	size    int64
	cur     int64
	slots   int
	used    int
	peak    int64     // highest cur seen, for tests and benchmarks
	peakN   int       // highest used seen, for tests
	grants  int64     // acquisitions granted so far (hash computations started), for tests
	waiters list.List // of *limiterWaiter
}

type limiterWaiter struct {
	n     int64
	ready chan struct{} // closed when the request is granted
}

func newMemoryLimiter(size int64, slots int) *memoryLimiter {
	return &memoryLimiter{size: size, slots: slots}
}

// fits reports whether a request of n bytes may start now. l.mu is held.
func (l *memoryLimiter) fits(n int64) bool { return l.size-l.cur >= n && l.used < l.slots }

// acquire blocks until n bytes are available or ctx is done; it fails at once if ctx is
// already done. The caller guarantees
// 0 < n <= size.
func (l *memoryLimiter) acquire(ctx context.Context, n int64) error {
	if err := ctx.Err(); err != nil {
		return err // a caller that has given up does not start an expensive hash
	}
	l.mu.Lock()
	if l.fits(n) && l.waiters.Len() == 0 {
		l.take(n)
		l.mu.Unlock()
		return nil
	}
	w := &limiterWaiter{n: n, ready: make(chan struct{})}
	elem := l.waiters.PushBack(w)
	l.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		select {
		case <-w.ready:
			// Granted while we were giving up: hand the memory and the place back.
			l.cur -= n
			l.used--
			l.grant()
		default:
			front := l.waiters.Front() == elem
			l.waiters.Remove(elem)
			if front {
				// The head of the queue left: smaller requests behind it may now fit.
				l.grant()
			}
		}
		return ctx.Err()
	}
}

// release returns n bytes and the place acquired earlier.
func (l *memoryLimiter) release(n int64) {
	l.mu.Lock()
	l.cur -= n
	l.used--
	if l.cur < 0 || l.used < 0 {
		l.mu.Unlock()
		panic("auth: memory limiter released more than it acquired")
	}
	l.grant()
	l.mu.Unlock()
}

func (l *memoryLimiter) take(n int64) {
	l.cur += n
	l.used++
	l.peak = max(l.peak, l.cur)
	l.peakN = max(l.peakN, l.used)
	l.grants++
}

// grant wakes waiters in order while the head of the queue fits. l.mu is held.
func (l *memoryLimiter) grant() {
	for {
		e := l.waiters.Front()
		if e == nil {
			return
		}
		w, _ := e.Value.(*limiterWaiter) // the list holds only *limiterWaiter
		if !l.fits(w.n) {
			return
		}
		l.take(w.n)
		l.waiters.Remove(e)
		close(w.ready)
	}
}

// stats returns the bytes in use and the peak, for tests.
func (l *memoryLimiter) stats() (cur, peak int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur, l.peak
}
