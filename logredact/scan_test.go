package logredact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/logredact"
	"github.com/rampart-go/rampart/logredact/redacttest"
)

// TestDetectors pairs each detector with inputs it must catch and lookalikes it must leave alone.
func TestDetectors(t *testing.T) {
	enc := base64.RawURLEncoding
	noAlg := enc.EncodeToString([]byte(`{"typ":"JWT","kid":"1"}`)) + "." + enc.EncodeToString([]byte(`{"sub":"x"}`)) + ".c2ln"
	unsecured := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(`{"sub":"x"}`)) + "."
	key := redacttest.FakeAPIKey("acme")
	badSum := key[:len(key)-1] + "0"
	if strings.HasSuffix(key, "0") {
		badSum = key[:len(key)-1] + "1"
	}
	tests := []struct {
		in, want string
	}{
		// card
		{"4111111111111111", "[REDACTED:card]"},
		{"card 4111-1111-1111-1111.", "card [REDACTED:card]."},
		{"4111 1111 1111 1111 2024", "[REDACTED:card] 2024"},
		{"4111111111111112", "4111111111111112"},                                   // Luhn fails
		{"1732713600000 1732713600000000000", "1732713600000 1732713600000000000"}, // ms and ns timestamps
		{"41111111111111111111", "41111111111111111111"},                           // 20 digits
		{"0.4111111111111111", "0.4111111111111111"},                               // a fraction
		{"4111111111111111.5", "4111111111111111.5"},                               // a decimal
		{"+4111111111111111", "+4111111111111111"},                                 // a phone number
		{"4111111111111111abc x4111111111111111 4111_1111111111111111", "4111111111111111abc x4111111111111111 4111_1111111111111111"},
		{"EAN 4006381333924", "EAN 4006381333924"}, // valid GS1, Luhn-valid too
		{"1234-5678-9012-3456", "1234-5678-9012-3456"},
		{"visa13 4006381333924x", "visa13 4006381333924x"},
		{"4222222222222", "[REDACTED:card]"}, // 13-digit Visa test number, not a GS1 code
		// jwt
		{"t=" + redacttest.FakeJWT() + ".", "t=[REDACTED:jwt]."},
		{unsecured + " x", "[REDACTED:jwt] x"},
		{noAlg, noAlg},
		{"eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9"},
		{"eyJub3QganNvbg.e30.sig", "eyJub3QganNvbg.e30.sig"},
		// bearer and basic
		{"bearer abcdefgh1", "bearer [REDACTED:bearer]"},
		{"missing Bearer token; the bearer of bad news", "missing Bearer token; the bearer of bad news"},
		{"Basic dXNlcjpwYXNz", "Basic [REDACTED:basic]"},
		{"Basic auth off; Basic dGVzdA==", "Basic auth off; Basic dGVzdA=="},
		// aws
		{"id " + redacttest.FakeAWSKeyID(), "id [REDACTED:aws]"},
		{"AKIA111111111111111X AKIAABCDEFGHIJKLMNO akiaabcdefghijklmnop", "AKIA111111111111111X AKIAABCDEFGHIJKLMNO akiaabcdefghijklmnop"},
		// github
		{redacttest.FakeGitHubToken()[:39], redacttest.FakeGitHubToken()[:39]},
		{"ghx_" + strings.Repeat("a", 36), "ghx_" + strings.Repeat("a", 36)},
		// slack
		{"xoxb-123", "xoxb-123"},
		{"xoxz-1234567890-abcdefghijk", "xoxz-1234567890-abcdefghijk"},
		// stripe
		{"pk_live_" + strings.Repeat("a", 24), "pk_live_" + strings.Repeat("a", 24)},
		{"sk_live_short", "sk_live_short"},
		// private keys
		{"-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"},
		{"-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----"},
		{"a -----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY----- b", "a [REDACTED:private-key] b"},
		{"x -----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl", "x [REDACTED:private-key]"},
		// urls
		{"https://user@host/p https://host:8080/p?page=2&sort=name mailto:a", "https://user@host/p https://host:8080/p?page=2&sort=name mailto:a"},
		{"ftp://u:@h", "ftp://u:@h"},
		// query
		{"/p?tokens=5&token_type=bearer&state=x", "/p?tokens=5&token_type=bearer&state=x"},
		{"/p?a=1&Password=x%20y&b=2", "/p?a=1&Password=[REDACTED:query]&b=2"},
		// email
		{"user@localhost pkg@v1.2.3 git@github.com:org/repo @types/node", "user@localhost pkg@v1.2.3 git@github.com:org/repo @types/node"},
		{"mail Jane.Doe+x@Example.COM.", "mail [REDACTED:email]."},
		// apikey
		{"k=" + key + ",", "k=[REDACTED:apikey],"},
		{badSum, badSum},
		{strings.ToUpper(key[:4]) + key[4:], strings.ToUpper(key[:4]) + key[4:]},
		{"abcdefghijklmnopq" + key[4:], "abcdefghijklmnopq" + key[4:]},
		// apikey known answers (checksums computed independently with Python's zlib.crc32)
		{"rk_0123456789ABCDEFGHIJKLMNOPQRSTUV_2lyDbd", "[REDACTED:apikey]"},
		{"acme_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz_4Jbez0", "[REDACTED:apikey]"},
		{"rk_0123456789ABCDEFGHIJKLMNOPQRSTUV_2lyDbe", "rk_0123456789ABCDEFGHIJKLMNOPQRSTUV_2lyDbe"},
		// the auth package's API-key test vectors (auth/apikey_test.go), which share the format
		{"rk_00000000000000000000000000000000_1yIhSk", "[REDACTED:apikey]"},
		{"rk_abcdefghijklmnopqrstuvwxyzABCDEF_3762MC", "[REDACTED:apikey]"},
		{"acme_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp_3ZWGIW", "[REDACTED:apikey]"},
		{"a0123456789abcde_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz_0R04mU", "[REDACTED:apikey]"},
		{"rk_abcdefghijklmnopqrstuvwxyzABCDEF_3762Mc", "rk_abcdefghijklmnopqrstuvwxyzABCDEF_3762Mc"},
		// markers stay put
		{"[REDACTED:card:****1111] [REDACTED] password=[REDACTED:field]", "[REDACTED:card:****1111] [REDACTED] password=[REDACTED:field]"},
	}
	r := logredact.MustNew(logredact.Config{})
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got  %q\n want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeepEmails(t *testing.T) {
	r := logredact.MustNew(logredact.Config{KeepEmails: true})
	if got := r.Redact("jane@example.com"); got != "jane@example.com" {
		t.Errorf("KeepEmails: Redact = %q", got)
	}
}

func TestSensitiveKey(t *testing.T) {
	r := logredact.MustNew(logredact.Config{Keys: []string{"SSN", "x-internal-ref"}})
	tests := []struct {
		key  string
		want bool
	}{
		{"password", true}, {"Password", true}, {"PASSWORD", true}, {"db_password", true}, {"passwordHash", true},
		{"passwd", true}, {"pwd", true}, {"pass", true}, {"pw", true}, {"secret", true}, {"clientSecret", true},
		{"client_secret", true}, {"token", true}, {"access_token", true}, {"refreshToken", true}, {"X-CSRF-Token", true},
		{"api_key", true}, {"apikey", true}, {"apiKey", true}, {"API-KEY", true}, {"x-api-key", true},
		{"authorization", true}, {"Proxy-Authorization", true}, {"cookie", true}, {"Set-Cookie", true},
		{"session", true}, {"session_id", true}, {"PHPSESSID", true}, {"JSESSIONID", true}, {"private_key", true},
		{"privateKey", true}, {"aws_secret_access_key", true}, {"signature", true}, {"sig", true}, {"cvv", true},
		{"signing_key", true}, {"encryptionKey", true}, {"master-key", true}, {"hmac_key", true},
		{"ssh_privkey", true}, {"sessionKey", true}, {"X-Api-Key", true}, {"passwd1", true},
		{"secretKey", true}, {"sessionId", true}, {"sessions_count", false}, {"AUTH", false},
		{"otp", false}, {"pin", false}, {"cache_key", false}, {"primary_key", false}, {"keyId", false},
		{"ssn", true}, {"customer_ssn", true}, {"x_internal_ref", true}, {"credentials", true}, {"passphrase", true},
		{"user", false}, {"level", false}, {"msg", false}, {"tokens", false}, {"max_tokens", false},
		{"token_type", false}, {"status", false}, {"request_id", false}, {"key", false}, {"code", false},
		{"auth", false}, {"bypass", false}, {"compass", false}, {"session_count", false}, {"", false},
		// a "pass" of its own at the end of the key
		{"DB_PASS", true}, {"RABBITMQ_DEFAULT_PASS", true}, {"smtp_pass", true}, {"redisPass", true},
		{"smtp-pass", true}, {"db2pass", true}, {"pass_", true}, {"BYPASS", false}, {"ByPass", false},
		{"by_pass", false}, {"use_compass", false}, {"Surpass", false}, {"trespass", false}, {"overpass", false},
	}
	for _, tt := range tests {
		if got := r.SensitiveKey(tt.key); got != tt.want {
			t.Errorf("SensitiveKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := logredact.New(logredact.Config{Mode: logredact.Pseudonym}); !errors.Is(err, logredact.ErrPseudonymKey) {
		t.Errorf("Pseudonym without key: err = %v, want ErrPseudonymKey", err)
	}
	if _, err := logredact.New(logredact.Config{Mode: logredact.Pseudonym, PseudonymKey: make([]byte, 31)}); !errors.Is(err, logredact.ErrPseudonymKey) {
		t.Errorf("short key: err = %v, want ErrPseudonymKey", err)
	}
	if _, err := logredact.New(logredact.Config{Mode: logredact.Mode(9)}); err == nil {
		t.Error("unknown mode accepted")
	}
	if _, err := logredact.New(logredact.Config{MaxLine: 100}); err == nil {
		t.Error("MaxLine 100 accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNew did not panic on a bad config")
		}
	}()
	logredact.MustNew(logredact.Config{Mode: logredact.Pseudonym})
}

func TestPseudonym(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	r := logredact.MustNew(logredact.Config{Mode: logredact.Pseudonym, PseudonymKey: key})
	a := r.Redact("4111 1111 1111 1111")
	b := r.Redact("4111-1111-1111-1111")
	if a != b || !strings.HasPrefix(a, "[REDACTED:card:") || len(a) != len("[REDACTED:card:]")+12 {
		t.Errorf("card pseudonyms %q and %q: want equal, 12 hex digits", a, b)
	}
	other := logredact.MustNew(logredact.Config{Mode: logredact.Pseudonym, PseudonymKey: bytes.Repeat([]byte{0x43}, 32)})
	if other.Redact("4111 1111 1111 1111") == a {
		t.Error("pseudonyms under different keys are equal")
	}
	p, err := r.Pseudonym("jane@example.com")
	if err != nil || len(p) != 12 {
		t.Errorf("Pseudonym = %q, %v", p, err)
	}
	if _, err := r.Pseudonym("short"); !errors.Is(err, logredact.ErrTooShort) {
		t.Errorf("Pseudonym(short) err = %v, want ErrTooShort", err)
	}
	if _, err := logredact.MustNew(logredact.Config{}).Pseudonym("long enough value"); !errors.Is(err, logredact.ErrPseudonymKey) {
		t.Errorf("Pseudonym without key err = %v, want ErrPseudonymKey", err)
	}
	// Too short to pseudonymize: typed instead.
	if got := r.Redact("pw=abc"); got != "pw=[REDACTED:field]" {
		t.Errorf("short value: %q", got)
	}
}

func TestPartial(t *testing.T) {
	r := logredact.MustNew(logredact.Config{Mode: logredact.Partial})
	tests := []struct{ in, want string }{
		{"378282246310005", "[REDACTED:card:****0005]"},
		{"pw=short", "pw=[REDACTED:field]"},
		{"token=abcdefghijklmnopWXYZ", "token=[REDACTED:field:****WXYZ]"},
		{"token=abcdefghijklmnop!!!!", "token=[REDACTED:field]"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestZeroRedactor(t *testing.T) {
	var r logredact.Redactor
	if got := r.Redact("mail jane@example.com card 4111111111111111"); got != "mail [REDACTED:email] card [REDACTED:card]" {
		t.Errorf("zero Redactor: %q", got)
	}
	var buf bytes.Buffer
	w := r.Writer(&buf)
	_, _ = w.Write([]byte(strings.Repeat("x ", 40000) + "token=abc\n"))
	if !strings.HasSuffix(buf.String(), "token=[REDACTED:field]\n") {
		t.Errorf("zero Redactor Writer: %q", buf.String()[max(0, buf.Len()-40):])
	}
}

// TestFieldSpellings covers key=value spellings that an earlier version let through: spaces
// around '=' and ':' (more than two before '=', any before ':', more than four after either),
// Ruby/Perl "=>", and percent-encoded key names in URL query strings.
func TestFieldSpellings(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	tests := []struct{ in, want string }{
		{"password = hunter2 ok=1", "password = [REDACTED:field] ok=1"},
		{"password  =  hunter2", "password  =  [REDACTED:field]"},
		{"password=>hunter2", "password=>[REDACTED:field]"},
		{`{"password"=>"hunter2", "user"=>"jane"}`, `{"password"=>"[REDACTED:field]", "user"=>"jane"}`},
		{`{"password" => "hunter2"}`, `{"password" => "[REDACTED:field]"}`},
		{"password == hunter2", "password == [REDACTED:field]"},
		{"password==hunter2", "password==[REDACTED:field]"},
		// A backslash at the end of a line escapes nothing: the value, and the redaction, stop there.
		{"token:\"hunter2\\\nnext line", "token:\"[REDACTED:field]\nnext line"},
		{"GET /x?Pass%77ord=hunter2 HTTP/1.1", "GET /x?Pass%77ord=[REDACTED:query] HTTP/1.1"},
		{"GET /x?a=1&%70assword=hunter2&b=2", "GET /x?a=1&%70assword=[REDACTED:query]&b=2"},
		{"GET /x?access%5Ftoken=abc123", "GET /x?access%5Ftoken=[REDACTED:query]"},
		{"50%password=hunter2", "50%password=[REDACTED:field]"},
		// Spaces and tabs on either side of the separator (pretty printers, aligned config files).
		{`{"password" : "hunter2"}`, `{"password" : "[REDACTED:field]"}`},
		{"password : hunter2", "password : [REDACTED:field]"},
		{"db.password    = hunter2", "db.password    = [REDACTED:field]"},
		{"db.password\t\t= hunter2", "db.password\t\t= [REDACTED:field]"},
		{`"password":      "hunter2"`, `"password":      "[REDACTED:field]"`},
		{"password=     hunter2", "password=     [REDACTED:field]"},
		// Benign neighbours stay as they are.
		{"a = b, x => y, 100% = done", "a = b, x => y, 100% = done"},
		{"GET /x?q%75ery=cats&page=2", "GET /x?q%75ery=cats&page=2"},
		{"x   = password", "x   = password"},
	}
	for _, tt := range tests {
		checkRedact(t, r, tt.in, tt.want)
	}
}

// TestPassSuffixFields: a key ending in a "pass" of its own (DB_PASS, redisPass) is sensitive in
// free text too; words that end in "pass" (bypass, compass) are not.
func TestPassSuffixFields(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	tests := []struct{ in, want string }{
		{"DB_PASS=hunter2", "DB_PASS=[REDACTED:field]"},
		{"RABBITMQ_DEFAULT_PASS=hunter2 user=bob", "RABBITMQ_DEFAULT_PASS=[REDACTED:field] user=bob"},
		{"smtp_pass: hunter2", "smtp_pass: [REDACTED:field]"},
		{`{"redisPass":"hunter2"}`, `{"redisPass":"[REDACTED:field]"}`},
		{"DBPass=hunter2 SMTPPass=hunter3", "DBPass=[REDACTED:field] SMTPPass=[REDACTED:field]"}, // after an acronym
		{"bypass=on compass=north ByPass=1 surpass: x", "bypass=on compass=north ByPass=1 surpass: x"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStructuredValues: a sensitive key whose value is an array or object has all it holds
// replaced, up to its matching bracket, as json.Marshal and fmt.Sprint print url.Values and
// http.Header; with no matching bracket, the rest of the line is replaced.
func TestStructuredValues(t *testing.T) {
	h := http.Header{}
	h.Set("X-Api-Key", "k7Hq2mZpXw")
	h.Set("Cookie", "sid=k7Hq2mZpXw")
	h.Set("Accept", "text/html")
	hj, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	uj, err := json.Marshal(url.Values{"password": {"hunter2"}, "user": {"bob"}})
	if err != nil {
		t.Fatal(err)
	}
	r := logredact.MustNew(logredact.Config{})
	tests := []struct{ in, want string }{
		{string(uj), `{"password":[[REDACTED:field]],"user":["bob"]}`},
		{string(hj), `{"Accept":["text/html"],"Cookie":[[REDACTED:field]],"X-Api-Key":[[REDACTED:field]]}`},
		{fmt.Sprint(h), `map[Accept:[text/html] Cookie:[[REDACTED:field]] X-Api-Key:[[REDACTED:field]]]`},
		{`{"password":{"value":"hunter2"},"user":"bob"}`, `{"password":{[REDACTED:field]},"user":"bob"}`},
		{`{"password":{"v":["a","]}"],"w":{}},"user":"bob"}`, `{"password":{[REDACTED:field]},"user":"bob"}`},
		{`password: ["hunter2", "x"] ok`, `password: [[REDACTED:field]] ok`},
		{"token={abc [hunter2 user=bob\nnext line", "token=[REDACTED:field]\nnext line"},
		// A bracket closed on a later line does not count: the value ends with its line, as the
		// Writer, which sees one line at a time, ends it.
		{"pw:{\n]0", "pw:[REDACTED:field]\n]0"},
		{"password: [\"a\",\n\"b\"] ok", "password: [REDACTED:field]\n\"b\"] ok"},
		{`{"user":["bob"],"roles":{"admin":true}}`, `{"user":["bob"],"roles":{"admin":true}}`},
		{`{"password":[],"token":{}}`, `{"password":[],"token":{}}`},
	}
	for _, tt := range tests {
		checkRedact(t, r, tt.in, tt.want)
	}
}

// TestStructuredValueBrackets: a ']' or '}' inside a value under a sensitive key, in Go's fmt
// print form of maps and structs (which does not quote strings), does not end the redaction
// early. A closing bracket counts as the value's end only when what follows it (after any more
// closing brackets) is a space, a separator, a quote or the end of the line; otherwise the value
// is replaced to the end of its line after a bare "key:" (fmt, YAML), and up to the next space,
// separator or quote after "key=" or a quoted key.
func TestStructuredValueBrackets(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	tests := []struct{ in, want string }{
		{"map[Password:[abc]def] rest", "map[Password:[REDACTED:field]"},
		{"{Token:[x]y}", "{Token:[REDACTED:field]"},
		{"map[Password:[abc]]def] rest", "map[Password:[REDACTED:field]"},
		{"&{Name:bob Token:{x}y} next\nline two", "&{Name:bob Token:[REDACTED:field]\nline two"},
		{`{"token":[a]b,"user":"bob"}`, `{"token":[REDACTED:field],"user":"bob"}`},
		{`{"token":abc]def,"user":"bob"}`, `{"token":[REDACTED:field],"user":"bob"}`},
		// After "key=" or a quoted key, the value so extended ends where a bare value ends: the
		// fields after it stay.
		{"secret=[abc]def user=bob status=200", "secret=[REDACTED:field] user=bob status=200"},
		{`{"password":[1,2]}. ok`, `{"password":[REDACTED:field] ok`},
		{"token=[x]y&page=2", "token=[REDACTED:field]&page=2"},
		{`{"token":abc}def}`, `{"token":[REDACTED:field]`},
		// As fmt prints them: a map[string]string, a struct with a []string, an http.Header.
		{fmt.Sprint(map[string]string{"Password": "[abc]def", "User": "bob"}), "map[Password:[REDACTED:field]"},
		{fmt.Sprintf("%+v", struct{ Token []string }{[]string{"x]y"}}), "{Token:[REDACTED:field]"},
		{fmt.Sprint(http.Header{"Cookie": {"sid=a]b"}}), "map[Cookie:[REDACTED:field]"},
		// Brackets that do end the value: the text after them stays.
		{"map[Cookie:[sid=x] User:bob]", "map[Cookie:[[REDACTED:field]] User:bob]"},
		{`{"a":{"password":["x"]},"b":1}`, `{"a":{"password":[[REDACTED:field]]},"b":1}`},
		{"(token=[x]); next", "(token=[[REDACTED:field]]); next"},
		{"/p?token=[x]&page=2", "/p?token=[[REDACTED:query]]&page=2"},
		{`{"token":123}, {"token":[1]}`, `{"token":[REDACTED:field]}, {"token":[[REDACTED:field]]}`},
		{`{"token":[1]}` + "\r\nnext", `{"token":[[REDACTED:field]]}` + "\r\nnext"},
	}
	for _, tt := range tests {
		checkRedact(t, r, tt.in, tt.want)
		var buf bytes.Buffer
		w := r.Writer(&buf)
		_, _ = io.WriteString(w, tt.in+"\n")
		_ = w.Close()
		if buf.String() != r.Redact(tt.in+"\n") {
			t.Errorf("Writer(%q) = %q, want %q", tt.in+"\n", buf.String(), r.Redact(tt.in+"\n"))
		}
	}
}

// TestEmailUTF8: addresses with non-ASCII letters in the local part or the domain are found;
// non-ASCII punctuation and spaces around an address are not taken into it.
func TestEmailUTF8(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	tests := []struct{ in, want string }{
		{"andré@example.com", "[REDACTED:email]"},
		{"jane@例え.jp", "[REDACTED:email]"},
		{"to José.Müller@bücher.de ok", "to [REDACTED:email] ok"},
		{"ユーザー@サーバー.テスト", "[REDACTED:email]"},
		{"連絡先：jane@example.com、よろしく", "連絡先：[REDACTED:email]、よろしく"},
		{"“jane@example.com”.", "“[REDACTED:email]”."},
		{"mail jane@example.com.” next", "mail [REDACTED:email].” next"},
		{"é@x 例@例", "é@x 例@例"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFullwidthCard: a card number typed in full-width digits (as East Asian input methods do) is
// a card; the same rules as for ASCII digits decide.
func TestFullwidthCard(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	tests := []struct{ in, want string }{
		{"card ４１１１１１１１１１１１１１１１ ok", "card [REDACTED:card] ok"},
		{"カード番号：４１１１　１１１１　１１１１　１１１１です", "カード番号：[REDACTED:card]です"},
		{"４１１１－１１１１－１１１１－１１１１", "[REDACTED:card]"},
		{"４１１１-1111-1111-1111", "[REDACTED:card]"},
		{"５５５５５５５５５５５５４４４４", "[REDACTED:card]"},
		// Not cards: Luhn fails, too short, a phone number, a GS1 code, inside a word.
		{"４１１１１１１１１１１１１１１２", "４１１１１１１１１１１１１１１２"},
		{"電話：０３－１２３４－５６７８", "電話：０３－１２３４－５６７８"},
		{"ＪＡＮ ４００６３８１３３３９２４", "ＪＡＮ ４００６３８１３３３９２４"},
		{"x４１１１１１１１１１１１１１１１", "x４１１１１１１１１１１１１１１１"},
		{"（全角）ＡＢＣ", "（全角）ＡＢＣ"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	p := logredact.MustNew(logredact.Config{Mode: logredact.Partial})
	if got := p.Redact("４１１１１１１１１１１１１１１１"); got != "[REDACTED:card:****1111]" {
		t.Errorf("Partial = %q", got)
	}
	key := bytes.Repeat([]byte{7}, 32)
	ps := logredact.MustNew(logredact.Config{Mode: logredact.Pseudonym, PseudonymKey: key})
	if a, b := ps.Redact("４１１１１１１１１１１１１１１１"), ps.Redact("4111111111111111"); a != b {
		t.Errorf("Pseudonym of full-width %q != of ASCII %q", a, b)
	}
	// Through the handler (short values pass a cheaper screen first) and the writer.
	var buf bytes.Buffer
	slog.New(r.Handler(slog.NewJSONHandler(&buf, nil))).Info("m", "pan", "４１１１１１１１１１１１１１１１")
	w := r.Writer(&buf)
	_, _ = w.Write([]byte("card ４１１１１１１１"))
	_, _ = w.Write([]byte("１１１１１１１１\n"))
	if strings.Contains(buf.String(), "１１１１１１") {
		t.Errorf("handler or writer output leaks the card: %s", buf.String())
	}
}

// TestMarkerThenText: a rest-of-line value that an earlier pass left as a marker and punctuation
// is stable (FuzzRedact found "A0://token:0@" redacted differently the second time), while a
// marker followed by more text, which a person can type, is still redacted whole.
func TestMarkerThenText(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, tc := range []struct{ in, want string }{
		{"A0://token:0@", "A0://token:[REDACTED:url-password]@"},
		{"A0://token:0@0", "A0://token:[REDACTED:url-password]@0"},
		{"see https://user:[REDACTED:url-password]@db/x and token: abc", "see https://user:[REDACTED:url-password]@db/x and token: [REDACTED:field]"},
		{"token: [REDACTED:url-password]@", "token: [REDACTED:url-password]@"},
		{"password: [REDACTED] hunter2", "password: [REDACTED:field]"},
		{"Authorization: [REDACTED]x", "Authorization: [REDACTED:field]"},
	} {
		got := r.Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := r.Redact(got); again != got {
			t.Errorf("Redact(%q) = %q, not idempotent", got, again)
		}
	}
}

// TestFullwidthRunHidesNoCard: a full-width digit in front of a card does not make the scanner
// skip the card (FuzzPlanted, in the long campaign, found "３ 378282246310005 0" left as it was).
func TestFullwidthRunHidesNoCard(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, tc := range []struct{ in, want string }{
		{"３ 378282246310005 0", "３ [REDACTED:card] 0"},
		{"１ ４１１１ １１１１ １１１１ １１１１", "１ [REDACTED:card]"},
	} {
		if got := r.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTokenScanLinear: text made of many would-be token starts ("AQ-AQ-...", where '-' ends a
// word but not a base64url run) costs linear time. Each start used to scan up to 4 KiB again,
// 700x the time of ordinary text at 4 KiB. The check compares the two inputs' costs on this
// machine, so it does not depend on its speed.
func TestTokenScanLinear(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	cost := func(s string) time.Duration {
		best := time.Duration(1 << 62)
		for range 5 {
			start := time.Now()
			for range 10 {
				_ = r.Redact(s)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	hostile := strings.Repeat("AQ-", 20_000)
	plain := strings.Repeat("ab-", 20_000)
	if h, p := cost(hostile), cost(plain); h > 20*p+time.Millisecond {
		t.Errorf("Redact of 60 KB of \"AQ-\" took %v, of \"ab-\" %v: not linear", h, p)
	}
}

// TestRedactIdempotentSchemeValues: a sensitive key whose value is a Bearer or Basic credential
// keeps its scheme word and loses the credentials; redacting that output again changes nothing.
func TestRedactIdempotentSchemeValues(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, f := range []string{"password=%s", "token: %s", `{"token":%s}`, "password => %s", "x password=%s y",
		"Authorization: %s", "?token=%s&x=1", "map[Password:%s]"} {
		for _, v := range []string{"Bearer abc", "Bearer abcdefghijklmnop1234", "Basic dXNlcjpwYXNz", "bearer  abcdefghijklmnop1234"} {
			in := strings.Replace(f, "%s", v, 1)
			once := r.Redact(in)
			if twice := r.Redact(once); twice != once {
				t.Errorf("Redact(%q) = %q, and Redact of that = %q", in, once, twice)
			}
			if strings.Contains(once, "abc") || strings.Contains(once, "dXNl") {
				t.Errorf("Redact(%q) = %q leaks", in, once)
			}
		}
	}
}

// checkRedact checks that r.Redact(in) is want and a fixed point of Redact.
func checkRedact(t *testing.T, r *logredact.Redactor, in, want string) {
	t.Helper()
	got := r.Redact(in)
	if got != want {
		t.Errorf("Redact(%q)\n got %q\nwant %q", in, got, want)
	}
	if again := r.Redact(got); again != got {
		t.Errorf("Redact(%q) = %q, not idempotent: %q", in, got, again)
	}
}

// TestValueWords: a bare value after a sensitive "key=" takes the words after it up to the first
// that looks like the next field, so an unquoted passphrase is redacted whole.
func TestValueWords(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	tests := []struct{ in, want string }{
		{"password=correct horse battery staple user=bob", "password=[REDACTED:field] user=bob"},
		{"password=correct horse battery", "password=[REDACTED:field]"},
		{"password=correct horse\tbattery  user = bob", "password=[REDACTED:field]  user = bob"},
		{"password=correct horse user: bob", "password=[REDACTED:field] user: bob"},
		{"password=correct horse ts=2026-11-28T04:00:00Z", "password=[REDACTED:field] ts=2026-11-28T04:00:00Z"},
		{"token=abc took 5ms", "token=[REDACTED:field]"},
		{"password=a b\nnext line", "password=[REDACTED:field]\nnext line"},
		{"password=a b \n", "password=[REDACTED:field] \n"},
		{`{"q":"password=correct horse","u":1}`, `{"q":"password=[REDACTED:field]","u":1}`},
		{"password=correct horse 'x' y=1", "password=[REDACTED:field] 'x' y=1"},
		{"password=correct horse jane@example.com", "password=[REDACTED:field]"},
		{"password=correct [REDACTED:email] x", "password=[REDACTED:field] [REDACTED:email] x"},
		{`"password"=correct horse user=bob`, `"password"=[REDACTED:field] user=bob`},
		{"password => correct horse user=bob", "password => [REDACTED:field] user=bob"},
		// Not after '=': a bare "key:" runs to the end of the line anyway; a query value ends at '&'.
		{"password: correct horse user=bob", "password: [REDACTED:field]"},
		{"GET /login?password=hunter2&user=bob HTTP/1.1", "GET /login?password=[REDACTED:query]&user=bob HTTP/1.1"},
		// The documented limit: a later word of the value holding '=' or ':' reads as the next field.
		{"password=correct horse:battery", "password=[REDACTED:field] horse:battery"},
		// An apostrophe between letters is inside a word; \v and \f are blanks, not line ends.
		{"password=don't tell anyone", "password=[REDACTED:field]"},
		{"password=the 90's baby rock'n'roll", "password=[REDACTED:field]"},
		// A key block after the value is the private-key detector's.
		{"password=correct horse -----BEGIN PRIVATE KEY-----", "password=[REDACTED:field] [REDACTED:private-key]"},
		{"password=correct horse battery\vstaple", "password=[REDACTED:field]"},
		// A Bearer or Basic scheme word is the value's unless credentials follow it, which the
		// scheme's detector replaces; at the end of the text, as at the end of a line, it is the
		// value's.
		{"password=correct horse basic", "password=[REDACTED:field]"},
		{"password=correct horse basic\n", "password=[REDACTED:field]\n"},
		{"password=correct Basic dXNlcjpwYXNz", "password=[REDACTED:field] Basic [REDACTED:basic]"},
	}
	for _, tt := range tests {
		got := r.Redact(tt.in)
		if got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := r.Redact(got); again != got {
			t.Errorf("Redact(Redact(%q)) = %q, not a fixed point", tt.in, again)
		}
	}
}

// TestValueWordsPseudonym: in Pseudonym mode a multi-word value is identified by its first word,
// so the prose after a token does not change its pseudonym.
func TestValueWordsPseudonym(t *testing.T) {
	r := logredact.MustNew(logredact.Config{Mode: logredact.Pseudonym, PseudonymKey: bytes.Repeat([]byte{7}, 32)})
	want := r.Redact("token=abc123def456 user=bob")
	for _, in := range []string{"token=abc123def456 took 5ms", "token=abc123def456 took 7ms user=bob"} {
		got := r.Redact(in)
		if i := strings.Index(got, "]"); i < 0 || got[:i] != want[:strings.Index(want, "]")] {
			t.Errorf("Redact(%q) = %q: pseudonym differs from %q", in, got, want)
		}
	}
}

// TestEmailLongLocalPart: an address whose local part is longer than 64 bytes takes the whole run
// before its '@', so a card number glued to it is not left standing (Redact stays idempotent).
func TestEmailLongLocalPart(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	in := `x "4111111111111111dXNlcjpwYXNzabcdefgh12345678abcdefgh12345678abcdefgh12345678jane@example.com`
	out := r.Redact(in)
	if strings.Contains(out, "4111") {
		t.Errorf("Redact(%q) = %q: the card glued to the address was left", in, out)
	}
	if again := r.Redact(out); again != out {
		t.Errorf("not idempotent: %q, then %q", out, again)
	}
}
