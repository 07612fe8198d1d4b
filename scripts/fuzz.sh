#!/usr/bin/env bash
# Runs every Go fuzz target in every module of the repository for FUZZTIME each (default 3s).
# Targets are discovered with `go test -list`, never listed by hand.
#   scripts/fuzz.sh            # smoke run, as in `make test`
#   FUZZTIME=10m scripts/fuzz.sh   # the long campaign, as in `make fuzz`
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
report=${FUZZREPORT:-}
count=0
for mod in $(find . -name go.mod -not -path './.tools/*' -exec dirname {} \; | sort); do
  pushd "$mod" >/dev/null
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    # Only packages with a fuzz target in their test files.
    grep -qs '^func Fuzz' "$dir"/*_test.go || continue
    for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
      echo "fuzz: $pkg $target for $fuzztime"
      start=$(date +%s)
      go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
      count=$((count + 1))
      if [ -n "$report" ]; then
        echo "$pkg $target $(( $(date +%s) - start ))s ok" >>"$report"
      fi
    done
  done
  popd >/dev/null
done
echo "fuzz: $count targets ran for $fuzztime each, all passed"
