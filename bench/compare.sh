#!/usr/bin/env bash
# compare.sh runs rampart's side-by-side benchmarks against its peers and rewrites
# bench/RESULTS.md with the ratios peer time / rampart time, the goals of issue 12 (met or
# missed), the machine, the Go version and the date. `make bench-compare` calls it.
#
# It needs Go and, for the Redis benchmarks, either REDIS_URL (a database it may FLUSHDB) or a
# redis-server binary on PATH: it then starts a throwaway server on a free loopback port in a
# temporary directory and stops it on exit. Without either, the Redis rows say "not measured".
#
# Environment:
#   COUNT       repetitions of the fast benchmarks (default 6); slow ones use about half
#   BENCHTIME   -benchtime of the fast benchmarks (default 300ms)
#   REDIS_URL   use this Redis instead of starting one
#   OUT         where to write the report (default bench/RESULTS.md)
#   REPORT_ONLY a raw `go test -bench` output (such as bench/results-raw.txt) to rebuild the
#               report from, without running anything (the header then describes this machine
#               now, so use it only right after the run, to refresh the notes)
# The full run takes about 10 minutes on an idle 2-core machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-300ms}
SLOWCOUNT=$(( (COUNT + 1) / 2 ))
OUT=${OUT:-$here/RESULTS.md}
GO=${GO:-go}
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da
BENCHSTAT=$root/.tools/benchstat-$BENCHSTAT_VERSION/benchstat

work=$(mktemp -d)
redis_pid=
cleanup() {
	if [ -n "$redis_pid" ]; then
		kill "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${REPORT_ONLY:-}" ]; then
	REPORT_ONLY=$(cd "$(dirname "$REPORT_ONLY")" && pwd)/$(basename "$REPORT_ONLY")
fi

if [ ! -x "$BENCHSTAT" ]; then
	echo "installing benchstat into $(dirname "$BENCHSTAT")"
	GOBIN=$(dirname "$BENCHSTAT") GOFLAGS= "$GO" install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION"
fi

# A throwaway redis-server unless REDIS_URL is given.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -z "${REDIS_URL:-}" ] && [ -z "${REPORT_ONLY:-}" ]; then
	if command -v redis-server >/dev/null; then
		for _ in 1 2 3 4 5; do
			port=$(( 20000 + RANDOM % 40000 ))
			port_open "$port" && continue
			redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
				--daemonize no --loglevel warning --logfile "$work/redis.log" &
			redis_pid=$!
			for _ in $(seq 50); do
				port_open "$port" && break
				sleep 0.1
			done
			if port_open "$port" && kill -0 "$redis_pid" 2>/dev/null; then
				export REDIS_URL="redis://127.0.0.1:$port/0"
				break
			fi
			kill "$redis_pid" 2>/dev/null || true
			redis_pid=
		done
		[ -n "${REDIS_URL:-}" ] || { echo "compare.sh: could not start redis-server" >&2; exit 1; }
		echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on $REDIS_URL"
	else
		echo "compare.sh: no REDIS_URL and no redis-server on PATH: the Redis benchmarks will not run" >&2
	fi
fi

cd "$here"
raw=$work/raw.txt
: >"$raw"
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
started=$(date -u +%s)
[ -n "${REPORT_ONLY:-}" ] || "$GO" test -c -o "$work/bench.test" .

# run PATTERN BENCHTIME COUNT: one -count=1 pass per repetition, so that a change in the
# machine's load between repetitions hits rampart and the peers alike.
run() {
	local pattern=$1 benchtime=$2 count=$3
	for i in $(seq "$count"); do
		echo "== $pattern ($i/$count)" >&2
		"$work/bench.test" -test.run='^$' -test.bench="$pattern" -test.benchmem \
			-test.benchtime="$benchtime" -test.count=1 -test.timeout=0 | tee -a "$raw" | grep -E '^(Benchmark|---|FAIL|panic)' >&2 || true
	done
}

if [ -n "${REPORT_ONLY:-}" ]; then
	cp "$REPORT_ONLY" "$raw"
else
run '^BenchmarkTokens$' "$BENCHTIME" "$COUNT"
run '^BenchmarkRateLimit$' "$BENCHTIME" "$COUNT"
run '^BenchmarkRateLimitMiddleware$' "$BENCHTIME" "$COUNT"
run '^BenchmarkFernet$' "$BENCHTIME" "$COUNT"
run '^BenchmarkHTML$' "$BENCHTIME" "$COUNT"
run '^BenchmarkRedaction$' "$BENCHTIME" "$COUNT"
run '^BenchmarkPasswords$' 5x "$SLOWCOUNT"
run '^BenchmarkStream$' 3x "$SLOWCOUNT"
run '^BenchmarkRateLimitMemory$' 1x 2
if [ -n "${REDIS_URL:-}" ]; then
	run '^BenchmarkRedis$/^decisions$' 1s "$SLOWCOUNT"
	run '^BenchmarkRedis$/^overshoot$' 3x "$SLOWCOUNT"
fi
fi

if [ -n "${REPORT_ONLY:-}" ]; then
	cp "$(dirname "$REPORT_ONLY")/results-header.md" "$work/header.md"
else
	load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
	minutes=$(( ( $(date -u +%s) - started + 59 ) / 60 ))
	cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
	commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -n "$(git -C "$root" status --porcelain --untracked-files=no -- bench auth ratelimit secretbox sanitize logredact redisstore 2>/dev/null)" ]; then
		commit="$commit (with uncommitted changes)"
	fi
	{
		echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'), run time about $minutes min, rampart commit $commit"
		echo "- Machine: ${cpu:-unknown CPU}, $(nproc) CPUs (GOMAXPROCS $(nproc)), $(uname -sr)"
		echo "- Go: $("$GO" version | cut -d' ' -f3-)"
		echo "- Load average (1, 5, 15 min) at start: $load_start; at end: $load_end"
		echo "- Method: fast benchmarks -benchtime=$BENCHTIME, $COUNT interleaved runs; passwords 5 iterations and"
		echo "  64 MiB streams 3 iterations, $SLOWCOUNT runs; 1M keys 1 iteration, 2 runs; Redis decisions 1s and"
		echo "  overshoot 3 iterations, $SLOWCOUNT runs. Figures are medians; benchstat's confidence intervals are"
		echo "  at the end. On a shared or loaded machine, trust the ratios (same run) more than the absolute times."
	} >"$work/header.md"
fi

{
	echo "# rampart against its peers"
	echo
	echo "Generated by \`bench/compare.sh\` (\`make bench-compare\`); do not edit by hand. The analysis"
	echo "at the end comes from bench/NOTES.md."
	echo
	cat "$work/header.md"
	echo
	"$GO" run ./internal/ratios "$raw"
	if [ -f "$here/NOTES.md" ]; then
		echo
		cat "$here/NOTES.md"
	fi
	echo
	echo "## benchstat"
	echo
	echo '<details><summary>Every benchmark with its confidence interval</summary>'
	echo
	echo '```'
	"$BENCHSTAT" "this-run=$raw"
	echo '```'
	echo
	echo '</details>'
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
if [ -z "${REPORT_ONLY:-}" ]; then
	cp "$raw" "$here/results-raw.txt"
	cp "$work/header.md" "$here/results-header.md"
fi
echo "wrote $OUT"
