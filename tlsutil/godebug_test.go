package tlsutil_test

import (
	"slices"
	"testing"

	"github.com/rampart-go/rampart/tlsutil"
)

func names(ws []tlsutil.WeakSetting) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name+"="+w.Value+"@"+w.Source)
	}
	return out
}

func TestCheckGODEBUGValues(t *testing.T) {
	for _, tc := range []struct {
		build, env string
		want       []string
	}{
		{"", "", nil},
		// what a main module declaring go 1.21 gets
		{"tls10server=1,tlsrsakex=1,tls3des=1,tlsmlkem=0,tlssha1=1,x509keypairleaf=0", "",
			[]string{"tls10server=1@build", "tls3des=1@build", "tlsmlkem=0@build", "tlsrsakex=1@build", "tlssha1=1@build"}},
		{"", "tlsrsakex=1", []string{"tlsrsakex=1@GODEBUG"}},
		{"tlsrsakex=1", "tlsrsakex=0", nil},                           // the environment overrides the build
		{"", "tlsmlkem=0,tlsmlkem=1", nil},                            // the last occurrence wins
		{"", "tlsmlkem=1,tlsmlkem=0", []string{"tlsmlkem=0@GODEBUG"}}, // the last occurrence wins
		{"", "tls3des=1#pattern", []string{"tls3des=1@GODEBUG"}},      // bisect suffix
		{"", " tlsunsafeekm=1 , ,=1,junk,x509sha1=1", []string{"tlsunsafeekm=1@GODEBUG", "x509sha1=1@GODEBUG"}},
		{"", "tlsmaxrsasize=4096", nil},
		{"", "tlsmaxrsasize=16384", []string{"tlsmaxrsasize=16384@GODEBUG"}},
		{"", "tlsmaxrsasize=lots", []string{"tlsmaxrsasize=lots@GODEBUG"}},
		{"", "rsa1024min=0,x509negativeserial=1,tlssecpmlkem=0,fips140ems=0", []string{
			"fips140ems=0@GODEBUG", "rsa1024min=0@GODEBUG", "x509negativeserial=1@GODEBUG"}},
		{"", "httplaxcontentlength=1,httpcookiemaxnum=0,urlmaxqueryparams=0", []string{
			"httpcookiemaxnum=0@GODEBUG", "httplaxcontentlength=1@GODEBUG", "urlmaxqueryparams=0@GODEBUG"}},
		{"", "tls10server=0,tlsmlkem=1,http2client=0,gctrace=1", nil}, // safe or unrelated
	} {
		got := names(tlsutil.CheckGODEBUGValues(tc.build, tc.env))
		if !slices.Equal(got, tc.want) {
			t.Errorf("CheckGODEBUGValues(%q, %q) = %v, want %v", tc.build, tc.env, got, tc.want)
		}
	}
}

func TestCheckGODEBUGEnvironment(t *testing.T) {
	t.Setenv("GODEBUG", "tlsrsakex=1,tlsmlkem=0")
	got := tlsutil.CheckGODEBUG()
	if want := []string{"tlsmlkem=0@GODEBUG", "tlsrsakex=1@GODEBUG"}; !slices.Equal(names(got), want) {
		t.Fatalf("CheckGODEBUG() = %v, want %v", names(got), want)
	}
	if s := got[0].String(); s == "" || got[0].Effect == "" {
		t.Errorf("WeakSetting.String() = %q", s)
	}
	t.Setenv("GODEBUG", "")
	// The test binary is built from this module (go 1.25.0), whose defaults (tlssecpmlkem=0
	// among them) are not reported.
	if got := tlsutil.CheckGODEBUG(); len(got) != 0 {
		t.Errorf("CheckGODEBUG() with an empty GODEBUG = %v, want none", names(got))
	}
}
