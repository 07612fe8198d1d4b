package tlsutil

import (
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// WeakSetting is a GODEBUG setting, in effect for the running program, that weakens TLS,
// certificate verification, or the parsing limits and escaping of net/http, net/url,
// mime/multipart and html/template.
type WeakSetting struct {
	Name   string // the setting, such as "tlsrsakex"
	Value  string // its effective value, such as "1"
	Source string // "GODEBUG" (the environment) or "build" (go.mod go line, godebug block, //go:debug)
	Effect string // what it weakens, in one sentence
}

// String formats the setting as "name=value (source): effect".
func (w WeakSetting) String() string {
	return fmt.Sprintf("%s=%s (%s): %s", w.Name, w.Value, w.Source, w.Effect)
}

// weakRule decides whether a value of one setting is weak.
type weakRule struct {
	name   string
	weak   func(v string) bool
	effect string
}

func equals(want string) func(string) bool { return func(v string) bool { return v == want } }

// weakRules lists the settings known to Go 1.25 and 1.26 (plus x509sha1, removed in Go 1.24)
// whose non-default values weaken security. tlssecpmlkem=0 is deliberately absent: it is the
// default of every module declaring go 1.25 or older and only removes the NIST-curve hybrids,
// leaving X25519MLKEM768 (which tlsmlkem=0 would remove, and is reported). urlstrictcolons=0
// is absent for the same reason: every module declaring go 1.25 or older runs with it, and it
// only keeps net/url's pre-1.26 leniency for extra colons in http and https hosts. Sources: https://go.dev/doc/godebug and the
// crypto/tls, crypto/x509, crypto/rsa and net/http sources of Go 1.26.
var weakRules = []weakRule{
	{"tls10server", equals("1"), "servers whose tls.Config leaves MinVersion unset accept TLS 1.0 and 1.1"},
	{"tlsrsakex", equals("1"), "tls.Configs without explicit CipherSuites offer RSA key exchange (no forward secrecy)"},
	{"tls3des", equals("1"), "tls.Configs without explicit CipherSuites offer 3DES (Sweet32)"},
	{"tlsmlkem", equals("0"), "the X25519MLKEM768 post-quantum key exchange is disabled, even where CurvePreferences lists it"},
	{"tlssha1", equals("1"), "SHA-1 signature algorithms are accepted in TLS 1.2 handshakes (RFC 9155 forbids them)"},
	{"tlsunsafeekm", equals("1"), "ExportKeyingMaterial works on connections without Extended Master Secret"},
	{"tlsmaxrsasize", func(v string) bool {
		n, err := strconv.Atoi(v)
		return err != nil || n > 8192
	}, "handshakes accept RSA keys above 8192 bits (a CPU exhaustion vector)"},
	{"fips140ems", equals("0"), "FIPS 140-3 mode stops enforcing Extended Master Secret"},
	{"x509sha1", equals("1"), "asks for SHA-1 certificate signatures to be trusted (ignored since Go 1.24, but a sign of a weak policy)"},
	{"x509negativeserial", equals("1"), "certificates with negative serial numbers are parsed"},
	{"rsa1024min", equals("0"), "RSA keys shorter than 1024 bits are accepted"},
	{"httplaxcontentlength", equals("1"), "net/http accepts invalid empty Content-Length headers (request smuggling risk)"},
	{"httpcookiemaxnum", raisesLimit(3000, true), "net/http parses more than 3000 cookies per request, or any number (denial of service)"},
	{"urlmaxqueryparams", raisesLimit(10000, true), "net/url parses more than 10000 query parameters, or any number (denial of service)"},
	{"multipartmaxparts", raisesLimit(1000, false), "mime/multipart forms may have more than 1000 parts (denial of service)"},
	{"multipartmaxheaders", raisesLimit(10000, false), "mime/multipart parts may have more than 10000 headers in total (denial of service)"},
	{"htmlmetacontenturlescape", equals("0"), "html/template stops filtering URLs in <meta content> attributes (javascript: redirects, XSS)"},
}

// raisesLimit reports values of a numeric limit that are weaker than its default: larger
// ones and, when zeroUnlimited, 0. As in the standard library, a value that does not parse
// leaves the default in force.
func raisesLimit(def int, zeroUnlimited bool) func(string) bool {
	return func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && (n > def || zeroUnlimited && n == 0)
	}
}

// CheckGODEBUG reports the GODEBUG settings of the running program that weaken security: the
// defaults compiled in from the main module's go.mod (its go line and godebug block) and
// //go:debug directives, as recorded in the build information, overridden by the GODEBUG
// environment variable as the runtime does. An empty result means no known weakening.
//
// A program declaring go 1.21, for example, runs with tls10server=1, tlsrsakex=1 and tls3des=1.
// The configurations of this package set versions and suites explicitly and are immune to those
// three, but other tls.Configs in the same program are not; tlsmlkem=0 and tlssha1=1 affect
// every configuration. A service can refuse to start:
//
//	if weak := tlsutil.CheckGODEBUG(); len(weak) > 0 {
//		return fmt.Errorf("weak GODEBUG settings: %v", weak)
//	}
func CheckGODEBUG() []WeakSetting {
	var build string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "DefaultGODEBUG" {
				build = s.Value
			}
		}
	}
	return CheckGODEBUGValues(build, os.Getenv("GODEBUG"))
}

// CheckGODEBUGValues is [CheckGODEBUG] for explicit values: build is the DefaultGODEBUG build
// setting and env the GODEBUG environment variable, each a comma-separated list of name=value.
// As in the runtime, a setting in env overrides the same one in build and, within one list,
// the last occurrence wins; a "#pattern" suffix (bisect) is ignored. Malformed entries are
// skipped. The result is sorted by name.
func CheckGODEBUGValues(build, env string) []WeakSetting {
	type val struct{ v, src string }
	eff := map[string]val{}
	for _, l := range []struct{ s, src string }{{build, "build"}, {env, "GODEBUG"}} {
		for item := range strings.SplitSeq(l.s, ",") {
			name, v, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok || name == "" {
				continue
			}
			v, _, _ = strings.Cut(v, "#")
			eff[name] = val{v, l.src}
		}
	}
	var out []WeakSetting
	for _, r := range weakRules {
		if e, ok := eff[r.name]; ok && r.weak(e.v) {
			out = append(out, WeakSetting{Name: r.name, Value: e.v, Source: e.src, Effect: r.effect})
		}
	}
	slices.SortFunc(out, func(a, b WeakSetting) int { return strings.Compare(a.Name, b.Name) })
	return out
}
