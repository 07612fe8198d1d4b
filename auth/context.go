package auth

import "context"

// claimsContextKey is the context key of verified claims.
type claimsContextKey struct{}

// claimsContext is a context carrying claims: what context.WithValue(parent, claimsContextKey{}, c)
// would make, in one allocation instead of two (the value context and the boxed Claims), or
// three when [Middleware] verifies a token of at most len(roles) roles into it.
type claimsContext struct {
	context.Context
	c     Claims
	roles [2]string // storage for c.Roles
}

// Value returns a *Claims for claimsContextKey and asks the parent otherwise, so cancellation
// and every other value pass through as with context.WithValue.
func (ctx *claimsContext) Value(key any) any {
	if _, ok := key.(claimsContextKey); ok {
		return &ctx.c
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

// ContextWithClaims returns a copy of ctx carrying c, as [Middleware] does for every
// authenticated request. Tests use it to call handlers without a token.
func ContextWithClaims(ctx context.Context, c Claims) context.Context {
	if ctx == nil {
		panic("auth: ContextWithClaims with a nil parent context") // as context.WithValue
	}
	return &claimsContext{Context: ctx, c: c}
}

// ClaimsFromContext returns the verified claims that [Middleware] put in ctx, and whether
// there were any.
func ClaimsFromContext(ctx context.Context) (Claims, bool) {
	if c, ok := ctx.Value(claimsContextKey{}).(*Claims); ok {
		return *c, true
	}
	return Claims{}, false
}
