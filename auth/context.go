package auth

import (
	"context"
	"time"
)

// claimsContextKey is the context key of verified claims.
type claimsContextKey struct{}

// claimsContext is a context carrying claims: what context.WithValue(parent, claimsContextKey{}, c)
// would make, in one allocation instead of two (the value context and the boxed Claims), or
// three when [Middleware] verifies a token of at most len(rolesBuf) roles into it. Times are kept
// as Unix seconds, which is all a token carries, so the context is 184 bytes instead of 248;
// claims with finer or non-UTC times (only [ContextWithClaims] gets such) are kept whole in full.
type claimsContext struct {
	context.Context
	subject                         string
	roles                           []string
	extra                           []byte
	id                              TokenID
	generation                      uint64
	issuedAt, notBefore, exp, authn int64 // Unix seconds, 0 for the zero time
	full                            *Claims
	rolesBuf                        [2]string   // storage for roles
	by                              *Middleware // the middleware that verified the claims; nil from ContextWithClaims
}

// Value returns the context itself for claimsContextKey and asks the parent otherwise, so
// cancellation and every other value pass through as with context.WithValue.
func (ctx *claimsContext) Value(key any) any {
	if _, ok := key.(claimsContextKey); ok {
		return ctx
	}
	return ctx.Context.Value(key)
}

// String names the context like the standard library's, without printing the claims.
func (ctx *claimsContext) String() string {
	name := "context"
	if s, ok := ctx.Context.(interface{ String() string }); ok {
		name = s.String()
	}
	return name + ".WithValue(auth.Claims)"
}

// compactTime returns t in Unix seconds, and whether that keeps all of t: t is zero (0), or a
// whole second in UTC other than the Unix epoch, as every time of a verified token is.
func compactTime(t time.Time) (int64, bool) {
	if t.IsZero() {
		return 0, true
	}
	s := t.Unix()
	// Same second, no fraction, UTC, no monotonic reading: the representation, not the instant.
	return s, s != 0 && t == time.Unix(s, 0).UTC() //nolint:staticcheck // QF1009: Equal would accept other locations and monotonic readings
}

// unixTime is the inverse of compactTime.
func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// set stores c in ctx.
func (ctx *claimsContext) set(c Claims) {
	var ok [4]bool
	ctx.issuedAt, ok[0] = compactTime(c.IssuedAt)
	ctx.notBefore, ok[1] = compactTime(c.NotBefore)
	ctx.exp, ok[2] = compactTime(c.Expiry)
	ctx.authn, ok[3] = compactTime(c.AuthTime)
	if ok != [4]bool{true, true, true, true} {
		full := new(Claims)
		*full = c
		ctx.full = full
		return
	}
	ctx.full = nil
	ctx.subject, ctx.roles, ctx.extra, ctx.id, ctx.generation = c.Subject, c.Roles, c.Extra, c.ID, c.Generation
}

// claims returns the claims stored in ctx.
func (ctx *claimsContext) claims() Claims {
	if ctx.full != nil {
		return *ctx.full
	}
	return Claims{
		Subject:    ctx.subject,
		Roles:      ctx.roles,
		ID:         ctx.id,
		IssuedAt:   unixTime(ctx.issuedAt),
		NotBefore:  unixTime(ctx.notBefore),
		Expiry:     unixTime(ctx.exp),
		AuthTime:   unixTime(ctx.authn),
		Generation: ctx.generation,
		Extra:      ctx.extra,
	}
}

// ContextWithClaims returns a copy of ctx carrying c, as [Middleware] does for every
// authenticated request. Tests use it to call handlers without a token.
func ContextWithClaims(ctx context.Context, c Claims) context.Context {
	if ctx == nil {
		panic("auth: ContextWithClaims with a nil parent context") // as context.WithValue
	}
	cc := &claimsContext{Context: ctx}
	cc.set(c)
	return cc
}

// ClaimsFromContext returns the verified claims that [Middleware] put in ctx, and whether
// there were any.
func ClaimsFromContext(ctx context.Context) (Claims, bool) {
	if cc, ok := ctx.Value(claimsContextKey{}).(*claimsContext); ok {
		return cc.claims(), true
	}
	return Claims{}, false
}
