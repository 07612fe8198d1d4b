package cputime

import (
	"runtime"
	"testing"
)

// spin burns CPU on the calling thread without allocating.
func spin(n int) uint64 {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func TestClocksAdvanceWithWork(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("thread CPU clock is wired up on linux only (GOOS=%s)", runtime.GOOS)
	}
	defer LockThread()()
	p0, t0 := Process(), Thread()
	sink := spin(50_000_000)
	p1, t1 := Process(), Thread()
	if sink == 0 {
		t.Log("unreachable: keeps spin from being optimized away")
	}
	if p1 <= p0 {
		t.Errorf("Process() after work = %v, want more than %v", p1, p0)
	}
	if t1 <= t0 {
		t.Errorf("Thread() after work = %v, want more than %v", t1, t0)
	}
	if t1-t0 > p1-p0+p1/100 {
		t.Errorf("thread CPU %v exceeds process CPU %v", t1-t0, p1-p0)
	}
}
