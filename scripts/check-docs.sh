#!/usr/bin/env bash
# Checks that every test, fuzz target and example that docs/asvs.md and SECURITY.md cite exists
# in some module of the repository (`make test` then runs and passes them all).
set -euo pipefail
cd "$(dirname "$0")/.."
defined=$(grep -rhoE --include='*_test.go' '^func (Test|Fuzz|Example)[A-Za-z0-9_]*' . | sed 's/^func //' | sort -u)
missing=0
for doc in docs/asvs.md SECURITY.md; do
  [ -f "$doc" ] || continue
  # TestName is the placeholder in asvs.md's "how to run one" line.
  for name in $(grep -oE '\b(Test|Fuzz)[A-Z][A-Za-z0-9_]*' "$doc" | grep -vx TestName | sort -u); do
    if ! grep -qx "$name" <<<"$defined"; then
      echo "$doc cites $name, which no test file defines"
      missing=$((missing + 1))
    fi
  done
done
if [ "$missing" -gt 0 ]; then exit 1; fi
echo "docs: every cited test exists"
