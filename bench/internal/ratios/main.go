// Command ratios reads `go test -bench` output of the bench module (several -count runs) and
// writes Markdown to standard output: one table per benchmark with the median of each metric and
// the ratio of every peer to every rampart implementation of the same scenario, then the goals of
// issue 12 with met or missed.
//
// Benchmarks are named Benchmark<Area>/<scenario>/<implementation>; implementations whose name
// starts with "rampart" are rampart's.
//
// Usage:
//
//	go run ./internal/ratios raw.txt > tables.md
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result holds every sample of every metric of one benchmark.
type result struct {
	area, group, impl string // "BenchmarkTokens", "BenchmarkTokens/verify/keys=1", "rampart"
	samples           map[string][]float64
}

func (r *result) median(unit string) (float64, bool) {
	s := slices.Clone(r.samples[unit])
	if len(s) == 0 {
		return 0, false
	}
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads benchmark lines and returns the results in first-seen order.
func parse(r io.Reader) ([]*result, error) {
	byName := map[string]*result{}
	var order []*result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		res := byName[name]
		if res == nil {
			i := strings.LastIndexByte(name, '/')
			if i < 0 {
				continue
			}
			area, _, _ := strings.Cut(name, "/")
			res = &result{area: area, group: name[:i], impl: name[i+1:], samples: map[string][]float64{}}
			byName[name] = res
			order = append(order, res)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			res.samples[f[i+1]] = append(res.samples[f[i+1]], v)
		}
	}
	return order, sc.Err()
}

func isRampart(impl string) bool { return strings.HasPrefix(impl, "rampart") }

// primary is the metric a group's ratios compare: bytes per key for the memory benchmark,
// nothing for the overshoot one (its figures are counts), CPU time per operation where every
// implementation of the group has it (it does not count time spent waiting for a core on a
// loaded machine), and wall-clock time per operation otherwise (Redis, where the server's time
// is part of the cost).
func primary(rs []*result) string {
	cpu := true
	for _, r := range rs {
		if _, ok := r.samples["bytes/key"]; ok {
			return "bytes/key"
		}
		if _, ok := r.samples["overshoot"]; ok {
			return ""
		}
		if _, ok := r.samples["cpu-ns/op"]; !ok {
			cpu = false
		}
	}
	if cpu {
		return "cpu-ns/op"
	}
	return "ns/op"
}

func isTime(unit string) bool { return unit == "ns/op" || unit == "cpu-ns/op" }

func fmtNum(v float64, unit string) string {
	switch {
	case isTime(unit):
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.2f s", v/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.2f ms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.2f µs", v/1e3)
		default:
			return fmt.Sprintf("%.0f ns", v)
		}
	case v == math.Trunc(v) && math.Abs(v) < 1e12:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// report holds the parsed results and answers lookups for the goals.
type report struct {
	results []*result
	groups  map[string][]*result
}

func (rp *report) get(group, impl, unit string) (float64, bool) {
	for _, r := range rp.groups[group] {
		if r.impl == impl {
			return r.median(unit)
		}
	}
	return 0, false
}

func (rp *report) tables(w io.Writer) {
	var areas []string
	for _, r := range rp.results {
		if !slices.Contains(areas, r.area) {
			areas = append(areas, r.area)
		}
	}
	for _, area := range areas {
		var groups []string
		var rampartImpls []string
		for _, r := range rp.results {
			if r.area != area {
				continue
			}
			if !slices.Contains(groups, r.group) {
				groups = append(groups, r.group)
			}
			if isRampart(r.impl) && !slices.Contains(rampartImpls, r.impl) {
				rampartImpls = append(rampartImpls, r.impl)
			}
		}
		fmt.Fprintf(w, "### %s\n\n", strings.TrimPrefix(area, "Benchmark"))
		fmt.Fprint(w, "| scenario | implementation | wall time/op | CPU time/op | B/op | allocs/op | other |")
		for _, ri := range rampartImpls {
			fmt.Fprintf(w, " ÷ %s |", ri)
		}
		fmt.Fprint(w, "\n|---|---|--:|--:|--:|--:|---|")
		for range rampartImpls {
			fmt.Fprint(w, "--:|")
		}
		fmt.Fprintln(w)
		for _, g := range groups {
			rs := rp.groups[g]
			unit := primary(rs)
			scenario := strings.TrimPrefix(strings.TrimPrefix(g, area), "/")
			if unit == "cpu-ns/op" {
				scenario += " ‡"
			}
			for _, r := range rs {
				cell := func(u string) string {
					if v, ok := r.median(u); ok {
						return fmtNum(v, u)
					}
					return ""
				}
				var other []string
				units := make([]string, 0, len(r.samples))
				for u := range r.samples {
					units = append(units, u)
				}
				slices.Sort(units)
				for _, u := range units {
					if isTime(u) || u == "B/op" || u == "allocs/op" {
						continue
					}
					v, _ := r.median(u)
					other = append(other, fmtNum(v, u)+" "+u)
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |", scenario, r.impl, cell("ns/op"), cell("cpu-ns/op"),
					cell("B/op"), cell("allocs/op"), strings.Join(other, ", "))
				for _, ri := range rampartImpls {
					fmt.Fprint(w, " ")
					base, ok1 := rp.get(g, ri, unit)
					v, ok2 := r.median(unit)
					if unit != "" && !isRampart(r.impl) && ok1 && ok2 && base > 0 {
						fmt.Fprintf(w, "%.2f×", v/base)
					}
					fmt.Fprint(w, " |")
				}
				fmt.Fprintln(w)
			}
		}
		fmt.Fprintln(w)
	}
}

// goal is one line of the goals section.
type goal struct {
	text   string
	met    bool
	known  bool // false when a figure is missing from the run
	detail string
}

func (rp *report) goals() []goal {
	var gs []goal
	add := func(text string, met, known bool, detail string) {
		gs = append(gs, goal{text, met, known, detail})
	}
	ratio := func(group, peer, base, unit string) (float64, bool) {
		if unit == "ns/op" {
			unit = primary(rp.groups[group])
		}
		p, ok1 := rp.get(group, peer, unit)
		r, ok2 := rp.get(group, base, unit)
		if !ok1 || !ok2 || r == 0 {
			return 0, false
		}
		return p / r, true
	}

	// Tokens.
	for _, n := range []string{"1", "3"} {
		g := "BenchmarkTokens/verify/keys=" + n
		for _, peer := range []string{"securecookie", "jwt-HS256"} {
			q, ok := ratio(g, peer, "rampart", "ns/op")
			add(fmt.Sprintf("Token verify (%s key(s)) ≥ 3× faster than %s", n, peer), q >= 3, ok, fmt.Sprintf("%.2f×", q))
		}
	}

	// Rate limiting in memory: every scenario, every rampart algorithm, against the fastest peer.
	for _, g := range sortedGroups(rp.groups, "BenchmarkRateLimit/", "BenchmarkRateLimitMiddleware/") {
		var fastest string
		var best float64
		unit := primary(rp.groups[g])
		for _, r := range rp.groups[g] {
			if v, ok := r.median(unit); ok && !isRampart(r.impl) && (fastest == "" || v < best) {
				fastest, best = r.impl, v
			}
		}
		for _, r := range rp.groups[g] {
			if !isRampart(r.impl) || fastest == "" {
				continue
			}
			v, ok := r.median(unit)
			q := best / v
			add(fmt.Sprintf("Rate limit %s, %s ≥ 2× the fastest peer", strings.TrimPrefix(g, "Benchmark"), r.impl), q >= 2, ok,
				fmt.Sprintf("%.2f× (fastest peer: %s, %s vs %s)", q, fastest, fmtNum(best, unit), fmtNum(v, unit)))
		}
	}
	for _, r := range rp.groups["BenchmarkRateLimitMemory/1M-keys"] {
		if !isRampart(r.impl) {
			continue
		}
		v, ok := r.median("bytes/key")
		add("Rate limit "+r.impl+" ≤ 48 bytes per key at 1M keys", v <= 48, ok, fmtNum(v, "bytes/key")+" bytes/key")
	}
	var peersOver []string
	for _, r := range rp.groups["BenchmarkRedis/overshoot"] {
		if v, ok := r.median("overshoot"); ok && !isRampart(r.impl) {
			peersOver = append(peersOver, fmt.Sprintf("%s %s", r.impl, fmtNum(v, "")))
		}
	}
	for _, r := range rp.groups["BenchmarkRedis/overshoot"] {
		if !isRampart(r.impl) {
			continue
		}
		v, ok := r.median("overshoot")
		add("Redis "+r.impl+": zero overshoot (32 clients, one key, limit 100, 4,000 attempts)", v == 0, ok,
			fmt.Sprintf("overshoot %s; peers: %s", fmtNum(v, ""), strings.Join(peersOver, ", ")))
	}

	// Fernet and streams.
	for _, g := range sortedGroups(rp.groups, "BenchmarkFernet/") {
		q, ok := ratio(g, "fernet-go", "rampart", "ns/op")
		add("Fernet "+strings.TrimPrefix(g, "BenchmarkFernet/")+" ≥ 2× fernet-go", q >= 2, ok, fmt.Sprintf("%.2f×", q))
	}
	for _, g := range sortedGroups(rp.groups, "BenchmarkStream/") {
		q, ok := ratio(g, "rampart", "raw-chacha20poly1305", "ns/op")
		add("Stream "+strings.TrimPrefix(g, "BenchmarkStream/")+" within 15% of the raw AEAD", q <= 1.15, ok, fmt.Sprintf("rampart takes %.2f× the raw AEAD's time", q))
		a, ok := ratio(g, "age", "rampart", "ns/op")
		add("Stream "+strings.TrimPrefix(g, "BenchmarkStream/")+" at least as fast as age", a >= 1, ok, fmt.Sprintf("age takes %.2f× rampart's time", a))
	}

	// Redaction.
	q, ok := ratio("BenchmarkRedaction/benign", "rampart", "plain-json", "ns/op")
	add("Redaction handler ≤ 1.3× a plain JSON handler (secret-free record)", q <= 1.3, ok, fmt.Sprintf("%.2f×", q))
	return gs
}

func sortedGroups(groups map[string][]*result, prefixes ...string) []string {
	var out []string
	for g := range groups {
		for _, p := range prefixes {
			if strings.HasPrefix(g, p) {
				out = append(out, g)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

func run(in io.Reader, w io.Writer) error {
	results, err := parse(in)
	if err != nil {
		return err
	}
	rp := &report{results: results, groups: map[string][]*result{}}
	for _, r := range results {
		rp.groups[r.group] = append(rp.groups[r.group], r)
	}
	gs := rp.goals()
	met := 0
	for _, g := range gs {
		if g.met && g.known {
			met++
		}
	}
	fmt.Fprintf(w, "## Goals of issue 12\n\n%d of %d met in this run.\n\n| goal | result | figure |\n|---|---|---|\n", met, len(gs))
	for _, g := range gs {
		status := "**missed**"
		switch {
		case !g.known:
			status = "not measured"
		case g.met:
			status = "met"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", g.text, status, g.detail)
	}
	fmt.Fprintln(w, "\n## Tables\n\nMedians over the runs. Ratio columns: this peer's median ÷ that rampart implementation's median on the same scenario; above 1× rampart is ahead. The ratio is of CPU time per operation on scenarios marked ‡ (it leaves out time spent waiting for a core on a loaded machine), of wall time elsewhere (Redis, where the server's work counts), and of bytes per key for the memory benchmark. The goals use the same figures.")
	fmt.Fprintln(w)
	rp.tables(w)
	return nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ratios raw-benchmark-output.txt")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1]) //nolint:gosec // G703: the path is the operator's own argument
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	err = run(f, os.Stdout)
	_ = f.Close() // read-only: nothing to lose on close
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
