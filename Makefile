# Make targets of the rotation pack. `make test` is the README's test command:
# it installs what the tests need, then runs every test against real servers
# (OpenBao, PostgreSQL, podman) that the tests start themselves.
SHELL := /bin/bash
GO ?= go
export PATH := $(CURDIR)/.bin:$(PATH)

.PHONY: all deps build lint kestra-check test test-short demo image clean

all: build

deps: ## install servers and tools (Debian packages, OpenBao, staticcheck)
	bash scripts/install-deps.sh

build: ## build every binary into dist/bin
	CGO_ENABLED=0 $(GO) build -trimpath -o dist/bin/ ./cmd/...

lint: ## gofmt, go vet, staticcheck
	@test -z "$$(gofmt -l cmd rotators)" || { gofmt -l cmd rotators; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	staticcheck ./...

kestra-check: ## every flow parsed and validated by Kestra 1.3 and 2.0 themselves (Java)
	bash kestra-check/run.sh

test: deps lint kestra-check ## everything: unit, conformance, leak, flow and container tests
	$(GO) test -count=1 -timeout 45m ./...

test-short: ## unit tests only, no servers, seconds
	$(GO) test -short ./...

demo: deps ## a real rotation of a PostgreSQL password stored in OpenBao
	$(GO) run ./rotators/internal/demo

image: deps ## the container image (podman offline, or CONTAINER=docker)
	bash docker/build.sh

clean:
	rm -rf dist
