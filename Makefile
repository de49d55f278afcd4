# aimlite — see README.md. Every target is a thin wrapper over a script in hack/.
SHELL := /usr/bin/env bash
GO ?= go
BIN ?= bin

.PHONY: all build generate verify fmt vet test test-unit test-integration run cluster-up cluster-down cluster-build bench clean

all: build

build: ## Build the operator binary into bin/aimlite.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/aimlite ./cmd/aimlite

generate: ## Regenerate deepcopy, OpenAPI, clients and CRD YAML from the Go types.
	hack/update-codegen.sh
	hack/update-crds.sh

verify: ## Fail when generated code or CRDs drift from the Go types.
	hack/verify-codegen.sh

fmt:
	gofmt -l -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

test: ## Everything CI checks (builds the local control plane on first use).
	hack/test.sh

test-unit: ## Unit tests only: no control plane needed.
	hack/test.sh unit

cluster-build: ## Build (or reuse cached) etcd, kube-* and kwok binaries.
	hack/localcluster.sh build

cluster-up: ## Start a local control plane; prints the KUBECONFIG to use.
	hack/localcluster.sh up

cluster-down: ## Stop the local control plane started by cluster-up.
	hack/localcluster.sh down

run: ## Local control plane + CRDs + aimlite + samples; Ctrl-C stops all. RUN_ONCE=1 exits after status.
	hack/run.sh

bench: ## Binary size and RSS figures.
	hack/bench.sh

clean:
	rm -rf $(BIN)
