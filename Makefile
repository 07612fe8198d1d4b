# rampart's one entry point for checks. `make test` is what CI runs (through .ci/run).
GO                ?= go
STATICCHECK_VERSION := v0.8.2
GOLANGCI_VERSION    := v2.15.0
BENCHSTAT_VERSION   := v0.0.0-20260908200009-22c9c6c9d4da

TOOLS       := $(CURDIR)/.tools
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
GOLANGCI    := $(TOOLS)/golangci-lint-$(GOLANGCI_VERSION)/golangci-lint
BENCHSTAT   := $(TOOLS)/benchstat-$(BENCHSTAT_VERSION)/benchstat

# Every module in the repository: the core module and the nested ones (redisstore, bench).
MODULES := $(sort $(patsubst %/go.mod,%,$(shell find . -name go.mod -not -path './.tools/*')))
GOFILES  = $(shell find . -name '*.go' -not -path './.tools/*')

FUZZTIME   ?= 3s
BENCHTIME  ?= 1s
BENCHCOUNT ?= 1

.PHONY: test fmt-check docs-check vet staticcheck lint unit bench-compile fuzz-smoke fuzz bench bench-compare tools clean

## test: every check CI runs, on every module.
test: fmt-check docs-check vet staticcheck lint unit bench-compile fuzz-smoke

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@echo "gofmt: ok"

## docs-check: every test SECURITY.md and docs/asvs.md cite exists (`unit` then runs it).
docs-check:
	@./scripts/check-docs.sh

vet:
	@set -e; for m in $(MODULES); do echo "go vet: $$m"; (cd $$m && $(GO) vet ./...); done

staticcheck: $(STATICCHECK)
	@set -e; for m in $(MODULES); do echo "staticcheck: $$m"; (cd $$m && $(STATICCHECK) ./...); done

lint: $(GOLANGCI)
	@set -e; for m in $(MODULES); do echo "golangci-lint: $$m"; (cd $$m && $(GOLANGCI) run --config $(CURDIR)/.golangci.yml ./...); done

unit:
	@set -e; for m in $(MODULES); do echo "go test -race: $$m"; (cd $$m && $(GO) test -race -count=1 ./...); done
	@# The race detector makes the two 256 MiB argon2 reference derivations take minutes, so the
	@# -race run skips just those; derive them here without it.
	$(GO) test -count=1 -run '^TestArgon2ReferenceVectors$$' ./auth/

## bench-compile: the peer benchmarks in bench/ are too slow for `make test`, but must compile.
bench-compile:
	@if [ -f bench/go.mod ]; then echo "bench: compile only"; cd bench && $(GO) test -run='^$$' -bench='^$$' ./...; fi

fuzz-smoke:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

## fuzz: the long campaign (10 minutes a target unless FUZZTIME says otherwise).
fuzz:
	FUZZTIME=$(if $(filter command line,$(origin FUZZTIME)),$(FUZZTIME),10m) FUZZREPORT=$(CURDIR)/fuzz-report.txt ./scripts/fuzz.sh

## bench: every benchmark of the core module, with allocations.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=$(BENCHCOUNT) ./...

## bench-compare: rampart against its peers, same run, ratios in bench/RESULTS.md.
bench-compare: $(BENCHSTAT)
	BENCHSTAT=$(BENCHSTAT) ./bench/compare.sh

tools: $(STATICCHECK) $(GOLANGCI)

$(STATICCHECK):
	GOBIN=$(dir $@) GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOLANGCI):
	GOBIN=$(dir $@) GOFLAGS= $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

$(BENCHSTAT):
	GOBIN=$(dir $@) GOFLAGS= $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

clean:
	rm -rf $(TOOLS)
