package ratelimit

import (
	"strconv"
	"strings"
)

// The response header fields follow draft-ietf-httpapi-ratelimit-headers-10 (September 2025),
// which defines two Structured Fields (RFC 9651):
//
//	RateLimit-Policy: "10-in-1s";q=10;w=1, "1000-in-86400s";q=1000;w=86400
//	RateLimit: "10-in-1s";r=3;t=1
//
// RateLimit-Policy is a List of Items, one per quota policy: the item is the policy name (an
// sf-string), q its quota (Integer) and w its window in seconds (Integer). RateLimit is a List
// of Items naming a policy with r, the remaining quota (Integer), and t, the seconds until the
// quota resets (Integer). We send the binding policy in RateLimit, as the draft allows.

// policyHeader is the RateLimit-Policy field value of a limiter; it never changes, so it is
// built once.
func policyHeader(ps []Policy) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('"')
		b.WriteString(p.HeaderName()) // validated: printable ASCII without '"' or '\'
		b.WriteString(`";q=`)
		b.WriteString(strconv.Itoa(p.Limit))
		b.WriteString(";w=")
		b.WriteString(strconv.FormatInt(ceilSeconds(p.Window), 10))
	}
	return b.String()
}

// appendRateLimit appends the RateLimit field value for d to b.
func appendRateLimit(b []byte, name string, d Decision) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `";r=`...)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, ceilSeconds(d.Reset), 10)
	return b
}
