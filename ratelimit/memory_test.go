package ratelimit_test

import (
	"testing"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/ratelimittest"
)

func TestMemoryConformance(t *testing.T) {
	ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
		m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}
