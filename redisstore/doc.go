// Package redisstore keeps rampart's shared state in Redis: rate-limit quotas
// ([LimitStore], a [ratelimit.Store]) and token revocations ([RevocationStore], an
// [auth.RevocationStore]), so that a service running on several instances enforces one limit
// per client and honours a logout everywhere.
package redisstore

import (
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
)

// The imports above exist for the documentation links.
var (
	_ ratelimit.Store      = (*LimitStore)(nil)
	_ auth.RevocationStore = (*RevocationStore)(nil)
)
