# daitchain: one entry point for building, testing and running.
GO        ?= go
BUILD_DIR ?= $(CURDIR)/build
DAITD     := $(BUILD_DIR)/daitd
# Packages that link the whole app are heavy on 2 cores: one at a time.
TEST_P    ?= 1

.PHONY: all demo build install test loadtest sim-quick sim-long test-unit test-e2e lint vet fmt proto-gen proto-check test-deps localnet localnet-fresh localnet-stop testnet testnet-stop testnet-faults fuzz bench clean

all: build

build:
	$(GO) build -o $(DAITD) ./cmd/daitd

install:
	$(GO) install ./cmd/daitd

## test: everything CI runs (the README's test command)
test: proto-check lint test-deps
	DAIT_TESTNET=1 $(GO) test -p $(TEST_P) -count=1 ./...
	$(MAKE) sim-quick
	$(MAKE) fuzz FUZZTIME=$(FUZZ_SMOKE)

## sim-quick: the SDK simulation of the whole app with the computemarket
## invariants checked every block: full run, determinism (each seed twice,
## same app hash) and export/import (every store equal). CI runs it.
SIM_SEEDS      ?= 1,7,32
SIM_BLOCKS     ?= 150
SIM_BLOCK_SIZE ?= 50
SIM_TESTS      ?= TestFullAppSimulation|TestAppStateDeterminism|TestAppImportExport
SIM_PARALLEL   ?= 2
SIM_DB         ?= memdb
SIM_FLAGS       = -NumBlocks=$(SIM_BLOCKS) -BlockSize=$(SIM_BLOCK_SIZE) -Commit=true -DBBackend=$(SIM_DB)
sim-quick:
	SIM_SEEDS=$(SIM_SEEDS) $(GO) test -tags sims -count=1 -timeout 180m -parallel $(SIM_PARALLEL) ./app/ \
		-run '^($(SIM_TESTS))$$' $(SIM_FLAGS)

## sim-long: full app and export/import on ten seeds, 300 blocks of up to
## 100 operations (determinism is sim-quick's), one process per seed on
## goleveldb: a process that runs seeds one after another keeps each
## finished app in memory (ten seeds went past 20 GiB)
SIM_LONG_SEEDS ?= 1 2 4 7 32 123 124 582 1893 2989
sim-long:
	set -e; for seed in $(SIM_LONG_SEEDS); do \
		echo "== seed $$seed"; \
		$(MAKE) --no-print-directory sim-quick SIM_SEEDS=$$seed SIM_BLOCKS=300 SIM_BLOCK_SIZE=100 \
			SIM_TESTS='TestFullAppSimulation|TestAppImportExport' SIM_DB=goleveldb; \
	done

test-unit:
	$(GO) test -count=1 ./x/...

vet:
	$(GO) vet -tags sims ./...

fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '\.pb\.\(gw\.\)\?go$$')

GOLANGCI_VERSION ?= v2.15.0
GOLANGCI := $(BUILD_DIR)/tools/golangci-lint

$(GOLANGCI):
	GOBIN=$(BUILD_DIR)/tools $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

## lint: gofmt, go vet and golangci-lint (pinned, built from the Go proxy)
lint: vet $(GOLANGCI)
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.\(gw\.\)\?go$$')); if [ -n "$$out" ]; then echo "gofmt wants to change:"; echo "$$out"; exit 1; fi
	$(GOLANGCI) run ./...

## test-deps: what the tests need from Debian (dockerd for the docker runtime's tests)
test-deps:
	@. scripts/need.sh; need dockerd docker.io

## proto-gen: regenerate the Go code of proto/ (offline, pinned plugins)
proto-gen:
	./scripts/protocgen.sh

## proto-check: fail if regenerating changes any committed generated file
proto-check: proto-gen
	@if [ -n "$$(git status --porcelain -- '*.pb.go' '*.pb.gw.go')" ]; then \
		echo "generated code is stale: run make proto-gen and commit"; git status --porcelain -- '*.pb.go' '*.pb.gw.go'; exit 1; fi

## demo: the marketplace running by itself, narrated; finishes and stops everything
demo: build
	./scripts/demo.sh

## localnet: start (or resume) a one-validator chain in ./.localnet
localnet: build
	./scripts/localnet.sh start

localnet-fresh: build
	./scripts/localnet.sh fresh

localnet-stop:
	./scripts/localnet.sh stop

## testnet: start (or resume) a 4-validator chain on 127.0.0.1 in ./.testnet
testnet: build
	./scripts/testnet.sh start

testnet-stop:
	./scripts/testnet.sh stop

## testnet-faults: stop/kill/restart validators; check liveness, halt, no fork, same app hash
testnet-faults: build
	./scripts/testnet_faults.sh

## fuzz: each fuzz target for FUZZTIME, one at a time with one worker, with
## minimizing off: a wall-clock minimize limit has the coordinator kill the
## worker mid-run, and the keeper target (invariants every block, ~9 ms an
## input) spent most of its time shrinking; a finding is written as it was
FUZZTIME ?= 60s
# make test's smoke run: each target from its committed corpus, then 300
# inputs. A count, not a duration: go1.26's coordinator can report its own
# -fuzztime deadline as a failure (golang/go#75804, fixed in go1.27)
FUZZ_SMOKE ?= 300x
FUZZ_FLAGS = -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 -parallel 1
fuzz:
	$(GO) test $(FUZZ_FLAGS) -fuzz '^FuzzMsgValidateBasic$$' ./x/computemarket/types/
	$(GO) test $(FUZZ_FLAGS) -fuzz '^FuzzRequirements$$' ./x/computemarket/types/
	$(GO) test $(FUZZ_FLAGS) -fuzz '^FuzzParseDeploymentFile$$' ./x/computemarket/client/cli/
	$(GO) test $(FUZZ_FLAGS) -fuzz '^FuzzParse$$' ./manifest/
	$(GO) test $(FUZZ_FLAGS) -fuzz '^FuzzMarketSequence$$' ./x/computemarket/keeper/
	$(GO) test $(FUZZ_FLAGS) -fuzz '^FuzzGenesis$$' ./x/computemarket/keeper/

## bench: auction close vs bids, EndBlock vs idle leases, the worst block of 10,000 exhaustions, a market buy vs the book (100/10,000 offers), EndBlock vs resting limit buys (100/10,000) (keeper, in memory),
## and gas per message on a real in-process node
bench:
	$(GO) test -run '^$$' -bench 'AuctionClose' -benchtime 50x ./x/computemarket/keeper/
	$(GO) test -run '^$$' -bench 'EndBlockIdleLeases' -benchtime 5000x -count 3 ./x/computemarket/keeper/
	$(GO) test -run '^$$' -bench 'EndBlockExhaustions' -benchtime 3x ./x/computemarket/keeper/
	$(GO) test -run '^$$' -bench 'MarketBuy|EndBlockRestingBuys' -benchtime 1000x -count 5 ./x/computemarket/keeper/
	$(GO) test -run '^$$' -bench 'Gas' -benchtime 1x ./tests/e2e/

## loadtest: bank sends, then a market mix, from many funded accounts
## against an in-process node on loopback (LOAD_SECONDS a phase, default
## 30; LOAD_ACCOUNTS, default 64): committed tx/s, block times, refusals,
## the market/bank ratio; every accepted tx must be in a block.
loadtest:
	$(GO) test -tags loadtest -count=1 -timeout 30m -run '^TestLoad$$' -v ./tests/load/

clean:
	rm -rf $(BUILD_DIR)
