package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkTokens/verify/keys=1/rampart-2         	 1000	 1000 ns/op	 200 cpu-ns/op	 64 B/op	 1 allocs/op
BenchmarkTokens/verify/keys=1/rampart-2         	 1000	 3000 ns/op	 400 cpu-ns/op	 64 B/op	 1 allocs/op
BenchmarkTokens/verify/keys=1/rampart-2         	 1000	 2000 ns/op	 300 cpu-ns/op	 64 B/op	 1 allocs/op
BenchmarkTokens/verify/keys=1/securecookie-2    	 1000	 5000 ns/op	 1500 cpu-ns/op	 64 B/op	 1 allocs/op
BenchmarkTokens/verify/keys=1/jwt-HS256-2       	 1000	 5000 ns/op	 600 cpu-ns/op	 64 B/op	 1 allocs/op
BenchmarkRedis/overshoot/rampart-token-bucket-2 	 3	 9 ns/op	 100 admitted	 0 overshoot	 0 errors/run
BenchmarkRedis/overshoot/redis_rate-2           	 3	 9 ns/op	 104 admitted	 4 overshoot	 0 errors/run
BenchmarkRateLimitMemory/1M-keys/rampart-token-bucket-2	 1	 9 ns/op	 30.5 bytes/key
BenchmarkRateLimitMemory/1M-keys/x-time-rate-map-2    	 1	 9 ns/op	 305 bytes/key
--- FAIL: BenchmarkSomething
PASS
`

func TestParseMedians(t *testing.T) {
	rs, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 7 {
		t.Fatalf("got %d results, want 7", len(rs))
	}
	r := rs[0]
	if r.area != "BenchmarkTokens" || r.group != "BenchmarkTokens/verify/keys=1" || r.impl != "rampart" {
		t.Errorf("names: %q %q %q", r.area, r.group, r.impl)
	}
	if v, _ := r.median("ns/op"); v != 2000 {
		t.Errorf("median ns/op = %v, want 2000", v)
	}
	if v, _ := r.median("cpu-ns/op"); v != 300 {
		t.Errorf("median cpu-ns/op = %v, want 300", v)
	}
}

func TestReport(t *testing.T) {
	var out strings.Builder
	if err := run(strings.NewReader(sample), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		// CPU time is the compared figure when every row has it: 1500/300 and 600/300.
		"| Token verify (1 key(s)) ≥ 3× faster than securecookie | met | 5.00× |",
		"| Token verify (1 key(s)) ≥ 3× faster than jwt-HS256 | **missed** | 2.00× |",
		"| Token verify (3 key(s)) ≥ 3× faster than securecookie | not measured |",
		"overshoot 0; peers: redis_rate 4",
		"| Rate limit rampart-token-bucket ≤ 48 bytes per key at 1M keys | met | 30.5 bytes/key |",
		"| verify/keys=1 ‡ | securecookie | 5.00 µs | 1.50 µs | 64 | 1 |  | 5.00× |",
		"| 1M-keys | x-time-rate-map | 9 ns |  |  |  | 305 bytes/key | 10.00× |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q\n%s", want, s)
		}
	}
}
