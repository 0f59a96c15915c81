# zdt's make targets. Only Go is needed for build, run and test; e2e and images set up Docker.
GO       ?= go
BIN      := bin/zdt
SCENARIO ?= ha-well-configured
OUT      ?= runs/latest

.PHONY: all build run test vet fmt fuzz bench e2e clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/zdt

## run: run the default scenario on the simulator; the report lands in $(OUT)
run: build
	./$(BIN) run $(SCENARIO) --provider sim --out $(OUT)

## test: vet and run every test that needs no Docker
test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test ./...

## fuzz: fuzz the scenario loader (FUZZTIME=2m)
FUZZTIME ?= 2m
fuzz:
	$(GO) test ./scenarios -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)

## bench: simulator and load generator benchmarks
bench:
	$(GO) test ./harness/sim ./loadgen -run '^$$' -bench . -benchmem

clean:
	rm -rf bin runs
