# Make targets of the rotation pack. `make test` is the README's test command:
# it installs what the tests need, then runs every test against real servers
# (OpenBao, PostgreSQL, podman) that the tests start themselves.
SHELL := /bin/bash
GO ?= go
export PATH := $(CURDIR)/.bin:$(PATH)
# Go as go.mod's toolchain line says (1.26.10, fetched from the module proxy once),
# whatever the local go's default (Debian's and go.dev's tarball say local).
export GOTOOLCHAIN ?= auto

.PHONY: all deps deps-demo build lint kestra-check test test-short demo image bench fresh-check clean

all: build

deps: ## install every server and tool the tests need (Debian packages, OpenBao, moto, Go tools, Kestra)
	bash scripts/install-deps.sh

deps-demo: ## install only what the demo needs (PostgreSQL, OpenBao, the Go toolchain and modules)
	bash scripts/install-deps.sh --demo

build: ## build every binary into dist/bin (stripped: a third smaller, see docs/benchmarks.md)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o dist/bin/ ./cmd/...

lint: ## the tree holds only sources, gofmt, go vet, staticcheck, govulncheck (local database, see scripts/vulncheck.sh)
	bash scripts/check-tree.sh
	@test -z "$$(gofmt -l cmd rotators)" || { gofmt -l cmd rotators; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	staticcheck ./...
	bash scripts/vulncheck.sh

kestra-check: ## every flow parsed and validated by Kestra 1.3 and 2.0 themselves (Java)
	bash kestra-check/run.sh

test: deps lint kestra-check ## everything: unit, conformance, leak, flow and container tests
	$(GO) test -count=1 -timeout 45m ./...

test-short: ## unit tests only, no servers, seconds
	$(GO) test -short ./...

demo: deps-demo ## a real rotation of a PostgreSQL password stored in OpenBao
	CGO_ENABLED=0 $(GO) run ./rotators/internal/demo

image: deps ## the container image (podman offline, or CONTAINER=docker)
	bash docker/build.sh

# BENCH_ARGS: flags of rotators/internal/bench, e.g. BENCH_ARGS=-quick or "-runs 20 -redis-users 100".
bench: image ## benchmarks against bao, aws, OpenBao rotate-role and Kestra's guide; writes docs/benchmarks.md
	$(GO) run ./rotators/internal/bench $(BENCH_ARGS)

# FRESH_CHECK_TARGETS: which make targets to run in the fresh root (default: demo test).
fresh-check: ## run the README's commands (make demo, make test) in a throwaway Debian bookworm root; prints timings
	bash scripts/fresh-check.sh $(FRESH_CHECK_TARGETS)

clean:
	rm -rf dist
