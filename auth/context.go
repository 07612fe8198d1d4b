package auth

import "context"

// claimsContextKey is the context key of verified claims.
type claimsContextKey struct{}

// ContextWithClaims returns a copy of ctx carrying c, as [Middleware] does for every
// authenticated request. Tests use it to call handlers without a token.
func ContextWithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsContextKey{}, c)
}

// ClaimsFromContext returns the verified claims that [Middleware] put in ctx, and whether
// there were any.
func ClaimsFromContext(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsContextKey{}).(Claims)
	return c, ok
}
