package logredact_test

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/logredact"
	"github.com/rampart-go/rampart/logredact/redacttest"
)

var update = flag.Bool("update", false, "rewrite testdata/benign.txt from its generator")

// fakes returns the fake secret for a corpus placeholder kind[#variant], built at run time.
func fakes(t testing.TB, name string) string {
	enc := base64.RawURLEncoding
	switch name {
	case "jwt", "bearer#jwt":
		return redacttest.FakeJWT()
	case "jwt#jwe":
		return enc.EncodeToString([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)) + "." +
			enc.EncodeToString([]byte("rampart fake encrypted key")) + "." +
			enc.EncodeToString([]byte("fake iv 0123")) + "." +
			enc.EncodeToString([]byte("rampart fake ciphertext")) + "." +
			enc.EncodeToString([]byte("fake tag 0123456"))
	case "aws":
		return redacttest.FakeAWSKeyID()
	case "aws#asia":
		return "AS" + "IA" + "RAMPARTFAKETEMPZ"
	case "github":
		return redacttest.FakeGitHubToken()
	case "github#fg":
		return redacttest.FakeGitHubFineGrained()
	case "slack":
		return redacttest.FakeSlackToken()
	case "slack#hook":
		return "T0000" + "0000/B0000" + "0000/RampartFakeHookPath0000"
	case "slack#app":
		return "xa" + "pp-1-A0RAMPART-1234567890-" + strings.Repeat("0f", 16)
	case "stripe":
		return redacttest.FakeStripeKey()
	case "stripe#rk":
		return "rk" + "_test_" + "RampartFakeRestricted0001"
	case "stripe#whsec":
		return "wh" + "sec_" + "RampartFakeWebhookSecret00000001"
	case "private-key":
		return redacttest.FakePrivateKey()
	case "private-key#json":
		return strings.ReplaceAll(redacttest.FakePrivateKey(), "\n", `\n`)
	case "apikey":
		return redacttest.FakeAPIKey("rk")
	case "apikey#acme":
		return redacttest.FakeAPIKey("acme")
	case "rampart-token":
		return redacttest.FakeSessionToken()
	}
	t.Fatalf("unknown corpus placeholder %q", name)
	return ""
}

// expand fills the placeholders of a secret-corpus template and returns the input, the expected
// output and the secrets planted.
func expand(t testing.TB, tmpl string) (in, want string, secrets []string) {
	var bi, bw strings.Builder
	rest := tmpl
	for {
		a := strings.Index(rest, "{{")
		if a < 0 {
			break
		}
		b := strings.Index(rest[a:], "}}")
		if b < 0 {
			t.Fatalf("unclosed placeholder in %q", tmpl)
		}
		ph := rest[a+2 : a+b]
		bi.WriteString(rest[:a])
		bw.WriteString(rest[:a])
		rest = rest[a+b+2:]
		var kind, value string
		if k, lit, ok := strings.Cut(ph, ":"); ok {
			kind, value = k, lit
		} else {
			expect, fill, ok := strings.Cut(ph, "=")
			if !ok {
				fill = expect
			}
			kind, _, _ = strings.Cut(expect, "#")
			value = fakes(t, fill)
		}
		bi.WriteString(value)
		bw.WriteString("[REDACTED:" + kind + "]")
		secrets = append(secrets, value)
	}
	bi.WriteString(rest)
	bw.WriteString(rest)
	return bi.String(), bw.String(), secrets
}

func readLines(t testing.TB, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestSecretCorpus: every secret in testdata/secrets.txt is found, and the text around it is kept
// byte for byte.
func TestSecretCorpus(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	kinds := map[string]bool{}
	for _, tmpl := range readLines(t, "secrets.txt") {
		in, want, secrets := expand(t, tmpl)
		if got := r.Redact(in); got != want {
			t.Errorf("Redact(%q)\n got  %q\n want %q", in, got, want)
		}
		for _, s := range secrets {
			if strings.Contains(r.Redact(in), s) {
				t.Errorf("secret %q survived in %q", s, r.Redact(in))
			}
		}
		for _, k := range strings.Split(want, "[REDACTED:")[1:] {
			kinds[k[:strings.IndexByte(k, ']')]] = true
		}
	}
	for _, k := range []string{"card", "jwt", "bearer", "basic", "aws", "github", "slack", "stripe", "private-key", "url-password", "query", "field", "email", "apikey", "rampart-token"} {
		if !kinds[k] {
			t.Errorf("the secret corpus has no %s", k)
		}
	}
}

// TestSecretSurroundings plants every fake secret between many kinds of neighbours and requires the
// secret replaced and the neighbours kept.
func TestSecretSurroundings(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	around := [][2]string{
		{"", ""}, {" ", " "}, {"(", ")"}, {"[", "]"}, {"<", ">"}, {`"`, `"`}, {"'", "'"}, {"`", "`"},
		{"\t", "\t"}, {"x ", ","}, {"x ", ";"}, {"x ", "."}, {"note=", " y"}, {"{\"v\":\"", "\"}"},
		{"line1\n", "\nline3"}, {"→ ", " ←"}, {"detail: ", ""}, {"|", "|"},
	}
	for _, p := range redacttest.Plants() {
		if p.Kind == "url-password" || p.Kind == "query" || p.Kind == "field" || p.Kind == "bearer" || p.Kind == "basic" {
			continue // their surroundings are part of the secret's context; secrets.txt covers them
		}
		for _, a := range around {
			if p.Kind == "private-key" && a[1] == "." {
				continue
			}
			in := a[0] + p.Value + a[1]
			want := a[0] + "[REDACTED:" + p.Kind + "]" + a[1]
			if p.Kind == "private-key" && a[0] == "detail: " {
				continue // "detail:" is not sensitive but bare-key values run to the end of the line
			}
			if got := r.Redact(in); got != want {
				t.Errorf("Redact(%q)\n got  %q\n want %q", in, got, want)
			}
		}
	}
}

// TestBenignCorpus: realistic log lines without secrets come out unchanged.
func TestBenignCorpus(t *testing.T) {
	lines := readLines(t, "benign.txt")
	if len(lines) < 1000 {
		t.Fatalf("benign corpus has %d lines, want at least 1000", len(lines))
	}
	r := logredact.MustNew(logredact.Config{})
	n := 0
	for _, l := range lines {
		if got := r.Redact(l); got != l {
			n++
			t.Errorf("false positive:\n in  %q\n out %q", l, got)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d benign lines were changed", n, len(lines))
	}
}

// TestBenignCorpusUpToDate checks that testdata/benign.txt is what its generator writes; run
// go test -run TestBenignCorpusUpToDate -update ./logredact/ to regenerate it.
func TestBenignCorpusUpToDate(t *testing.T) {
	want := "# Benign corpus for TestBenignCorpus, written by genBenign in corpus_test.go (go test -update).\n" +
		strings.Join(genBenign(1200), "\n") + "\n"
	path := filepath.Join("testdata", "benign.txt")
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is stale; regenerate it with -update", path)
	}
}

// rng is splitmix64: a tiny deterministic generator, so the corpus is the same everywhere.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) pick(xs ...string) string { return xs[r.intn(len(xs))] }

func (r *rng) pickInt(xs ...int) int { return xs[r.intn(len(xs))] }

func (r *rng) hex(n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(r.next())
	}
	return hex.EncodeToString(b)[:n]
}

func (r *rng) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.intn(10))
	}
	return string(b)
}

func (r *rng) uuid() string {
	h := r.hex(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func (r *rng) ip() string {
	if r.intn(5) == 0 {
		return fmt.Sprintf("2001:db8:%x::%x", r.intn(65536), r.intn(65536))
	}
	return fmt.Sprintf("%d.%d.%d.%d", r.pickInt(10, 192, 172, 203, 198), r.intn(256), r.intn(256), r.intn(254)+1)
}

func (r *rng) ts() string {
	return fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", r.intn(12)+1, r.intn(28)+1, r.intn(24), r.intn(60), r.intn(60), r.intn(1000))
}

// orderNo returns a 13-19 digit number with a card-like prefix that fails the Luhn check.
func (r *rng) orderNo() string {
	for {
		s := r.pick("3", "4", "5", "6") + r.digits(12+r.intn(7))
		if !luhnOK(s) {
			return s
		}
	}
}

// gtin returns an n-digit GS1 product code (EAN-13, GTIN-14) with its check digit.
func (r *rng) gtin(n int) string {
	body := r.digits(n - 1)
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

func luhnOK(s string) bool {
	sum, dbl := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if dbl {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		dbl = !dbl
	}
	return sum%10 == 0
}

func (r *rng) b64(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.next())
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (r *rng) path() string {
	return r.pick("/api/v1/users/", "/v2/orders/", "/static/js/app.", "/healthz", "/metrics", "/var/log/nginx/", "/srv/data/", "C:\\Program Files\\App\\", "/home/deploy/releases/") + r.pick(fmt.Sprint(r.intn(100000)), r.hex(8), "index.html", "main.go", "access.log", r.uuid())
}

func (r *rng) version() string {
	return fmt.Sprintf("v%d.%d.%d", r.intn(5), r.intn(30), r.intn(20)) + r.pick("", "", "-rc.1", "+build.42", "-beta")
}

// genBenign writes n realistic log lines that hold no secret, from a fixed seed.
func genBenign(n int) []string {
	r := rng(20261127)
	templates := []func() string{
		func() string {
			return fmt.Sprintf(`time=%s level=INFO msg="request served" method=%s path=%s status=%d duration=%dms request_id=%s`,
				r.ts(), r.pick("GET", "POST", "PUT", "DELETE"), r.path(), r.pickInt(200, 201, 204, 304, 404, 500), r.intn(900), r.uuid())
		},
		func() string {
			return fmt.Sprintf(`{"time":"%s","level":"INFO","msg":"order created","order_id":%s,"customer_id":"%s","total":%d.%02d,"currency":"EUR"}`,
				r.ts(), r.orderNo(), r.uuid(), r.intn(5000), r.intn(100))
		},
		func() string {
			return fmt.Sprintf(`%s - - [27/Nov/2026:%02d:%02d:%02d +0000] "GET %s HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"`,
				r.ip(), r.intn(24), r.intn(60), r.intn(60), r.path(), r.pickInt(200, 301, 404), r.intn(100000))
		},
		func() string {
			return fmt.Sprintf(`2026/11/27 %02d:%02d:%02d worker %d: processed batch %s (%d items) sha256=%s`,
				r.intn(24), r.intn(60), r.intn(60), r.intn(16), r.uuid(), r.intn(1000), r.hex(64))
		},
		func() string {
			return fmt.Sprintf(`level=debug ts=%d.%06d caller=cache.go:%d msg="cache miss" key=user:%d ttl=%ds etag="%s"`,
				1764200000+r.intn(100000), r.intn(1000000), r.intn(400), r.intn(100000), r.intn(3600), r.hex(32))
		},
		func() string {
			return fmt.Sprintf(`{"level":"info","ts":%d,"logger":"grpc","msg":"finished call","grpc.method":"%s","grpc.code":"OK","grpc.time_ms":%d.%03d,"trace_id":"%s","span_id":"%s"}`,
				1764200000000+int64(r.intn(100000000)), r.pick("GetUser", "ListOrders", "Ping"), r.intn(300), r.intn(1000), r.hex(32), r.hex(16))
		},
		func() string {
			return fmt.Sprintf(`deploying %s@%s image=registry.example.com/team/app@sha256:%s replicas=%d`,
				r.pick("api", "worker", "web"), r.version(), r.hex(64), r.intn(10)+1)
		},
		func() string {
			return fmt.Sprintf(`go: downloading golang.org/x/%s %s; module github.com/acme/%s@%s`,
				r.pick("net", "crypto", "text"), r.version(), r.pick("lib", "sdk"), r.version())
		},
		func() string {
			return fmt.Sprintf(`upload complete: file=%s size=%d md5=%s content-md5=%s`,
				r.path(), r.intn(1<<30), r.hex(32), r.b64(16))
		},
		func() string {
			return fmt.Sprintf(`metrics: cpu=%d.%d%% mem=%dMiB gc_pause=%dus goroutines=%d latency_p99=0.%s`,
				r.intn(100), r.intn(10), r.intn(8192), r.intn(5000), r.intn(10000), r.digits(16))
		},
		func() string {
			return fmt.Sprintf(`invoice %s-%s issued to account %s, amount %d.%02d USD, ref %s`,
				r.pick("INV", "CR"), r.digits(8), r.orderNo(), r.intn(10000), r.intn(100), r.orderNo())
		},
		func() string {
			return fmt.Sprintf(`tracking numbers: %s %s %s`, r.orderNo(), r.digits(12), r.pick("1Z999AA10123456784", "9400111899223197428490", r.digits(22)))
		},
		func() string {
			return fmt.Sprintf(`phone callback scheduled for +%s at %s`, r.pick("4915112345678", "14155552671", "447911123456"), r.ts())
		},
		func() string {
			return fmt.Sprintf(`connecting to https://%s.example.com:%d%s?page=%d&limit=%d&sort=created_at`,
				r.pick("api", "auth", "billing"), r.pickInt(443, 8443), r.path(), r.intn(50), r.pickInt(10, 50, 100))
		},
		func() string {
			return fmt.Sprintf(`git fetch git@github.com:acme/%s.git (HEAD %s), ssh://git@gitlab.example.com:2222/%s.git`,
				r.pick("api", "infra"), r.hex(40), r.pick("ops", "web"))
		},
		func() string {
			return r.pick(
				"invalid token format, expected three segments",
				"missing bearer token in request",
				"Basic authentication is disabled for this realm",
				"password reset requested; email sent to the address on file",
				"secret rotation scheduled for the next maintenance window",
				"session expired after 30m of inactivity",
				"API key header absent; falling back to anonymous access",
				"cookie consent banner shown",
				"authorization denied by policy engine",
				"refreshing access tokens for 12 clients",
				"the bearer of this certificate is trusted",
				"WWW-Authenticate: Bearer realm=\"example\"",
			) + fmt.Sprintf(" (user %d, request %s)", r.intn(100000), r.uuid())
		},
		func() string {
			return fmt.Sprintf(`{"event":"login","user_id":%d,"ip":"%s","user_agent":"curl/8.%d.0","success":%v,"mfa":"totp","prompt_tokens":%d,"max_tokens":%d,"token_type":"Bearer"}`,
				r.intn(1000000), r.ip(), r.intn(12), r.intn(2) == 0, r.intn(4000), r.pickInt(256, 1024, 4096))
		},
		func() string {
			return fmt.Sprintf(`panic: runtime error: index out of range [%d] with length %d

goroutine %d [running]:`+"\t"+`main.handle(0xc000%s, 0x%s) /srv/app/handler.go:%d +0x%s`,
				r.intn(10), r.intn(10), r.intn(1000), r.hex(6), r.hex(8), r.intn(500), r.hex(3))
		},
		func() string {
			return fmt.Sprintf(`nonce=%s integrity="sha384-%s" build=%s`, r.hex(24), r.b64(48), r.version())
		},
		func() string {
			return fmt.Sprintf(`kafka: partition=%d offset=%s lag=%d key=order-%s committed at %s`,
				r.intn(64), r.digits(12), r.intn(10000), r.digits(10), r.ts())
		},
		func() string {
			return fmt.Sprintf(`ISBN 978-3-16-148410-0, EAN %s, GTIN %s, IBAN DE89 3704 0044 0532 0130 00 ref %d`,
				r.gtin(13), r.gtin(14), r.intn(1000))
		},
		func() string {
			return fmt.Sprintf(`timestamps: ms=%d ns=%d unix=%d`, 1764200000000+int64(r.intn(1000000000)), 1764200000000000000+int64(r.next()%1000000000000), 1764200000+r.intn(1000000))
		},
		func() string {
			return fmt.Sprintf(`Nov 27 %02d:%02d:%02d host%d sshd[%d]: Accepted publickey for deploy from %s port %d ssh2: ED25519 SHA256:%s`,
				r.intn(24), r.intn(60), r.intn(60), r.intn(20), r.intn(60000), r.ip(), r.intn(65535), strings.TrimRight(r.b64(32), "="))
		},
		func() string {
			return fmt.Sprintf(`data:image/png;base64,%s (thumbnail for %s)`, r.b64(30), r.uuid())
		},
		func() string {
			return fmt.Sprintf(`dates %s, 2026-11-27 13:20:01, 27.11.2026, 11/27/2026 and range 2026-11-01..2026-11-30; ratio 0.%s; amount 1,234,567.89`,
				r.ts(), r.digits(17))
		},
	}
	lines := make([]string, 0, n)
	for len(lines) < n {
		l := templates[r.intn(len(templates))]()
		lines = append(lines, strings.Split(l, "\n")...)
	}
	return lines[:n]
}
