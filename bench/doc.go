// Package bench holds rampart's side-by-side benchmarks against the libraries its users would
// otherwise pick. It is a separate module so that the peers are required here only, never by
// rampart itself, and it exports nothing: everything is in the _test.go files.
//
// # Running
//
// From the repository root, `make bench-compare` (or ./bench/compare.sh) runs every benchmark
// with enough repetitions for benchstat, starts a throwaway redis-server for the Redis benchmarks
// unless REDIS_URL is set, and rewrites bench/RESULTS.md with the ratios peer time / rampart time.
// A single area runs with the ordinary go test flags:
//
//	cd bench && go test -run '^$' -bench 'RateLimit/hot' -benchmem -count 5
//
// # Naming
//
// Every benchmark is named Benchmark<Area>/<scenario>/<implementation>. Implementations whose name
// starts with "rampart" are rampart's; the others are peers measured on the same inputs in the
// same run. The report generator (internal/ratios) divides each peer's time by each rampart
// implementation's time within the same Benchmark<Area>/<scenario> group.
//
// # Fairness
//
// Every implementation gets identical inputs (claims, passwords, keys, documents, records) and
// its documented default or recommended configuration for the same security outcome: signed (not
// encrypted) tokens, the same argon2id parameters, the same limit and window. Key spaces are
// filled before timing. Where a peer has no in-process decision API, or no middleware, the nearest
// public entry point is used, and the benchmark's comment says which.
//
// # Time
//
// Besides wall-clock ns/op, every in-process benchmark reports cpu-ns/op: the process's CPU time
// (getrusage) per operation, every goroutine included. On a machine shared with other work,
// wall-clock time mostly measures waiting for a core; the report therefore computes ratios from
// CPU time wherever every implementation of a scenario has it, and from wall-clock time for Redis,
// whose server's work is part of the cost.
package bench
