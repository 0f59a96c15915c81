# zdt's make targets. Only Go is needed for build, run and test; e2e and images set up Docker.
GO       ?= go
BIN      := bin/zdt
SCENARIO ?= ha-well-configured
OUT      ?= runs/latest

.PHONY: all build run test vet fmt fuzz bench bench-loadgen e2e clean certify

all: build

build:
	$(GO) build -o $(BIN) ./cmd/zdt

## run: run the default scenario on the simulator; the report lands in $(OUT)
run: build
	./$(BIN) run $(SCENARIO) --provider sim --out $(OUT) --force

## certify: run the certification library on the simulator, CERTIFY_SEEDS seeds per scenario;
## the release qualification (HTML, JUnit, JSON) lands in $(CERTIFY_OUT)
CERTIFY_SEEDS ?= 20
CERTIFY_OUT   ?= runs/certify
certify: build
	./$(BIN) certify --seeds $(CERTIFY_SEEDS) --out $(CERTIFY_OUT)

## test: vet and run every test that needs no Docker
test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test ./...

## fuzz: every fuzz target in turn, FUZZTIME each (4 targets x 3m = 12 minutes by default): the
## scenario loader, the run-directory reader (zdt report on arbitrary files), Cluster API's drain
## messages, and manifests for zdt audit. New failing inputs land in the package's testdata/fuzz.
FUZZTIME ?= 3m
FUZZ_TARGETS = ./scenarios:FuzzParse ./report:FuzzFromDir ./harness/capi/internal/drain:FuzzParse ./scenarios/manifests:FuzzDecode
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "== $$pkg $$name ($(FUZZTIME))"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s; \
	done

## bench: a 10,000-seed random-fault sweep as zdt sweep runs it (seeds/s, wall, CPU per seed,
## simulated seconds per real second, peak RSS), the bytes and allocations of one seed (the
## same on any machine, where times vary with the host), one small and one 5,000-node fleet
## upgrade on the simulator (wall per run, sim:real, peak RSS), and the load generator. Each
## benchmark runs in its own process, so that its peak RSS is its own. Run it on an otherwise
## idle machine.
bench:
	GOGC=800 $(GO) test ./harness/sweep -run '^$$' -bench '^BenchmarkSweep$$' -benchtime 1x
	$(GO) test ./harness/sweep -run '^$$' -bench '^BenchmarkSweepSmall$$' -benchtime 2000x -benchmem
	$(GO) test ./harness/sim -run '^$$' -bench '^BenchmarkSmall$$' -benchtime 300x -benchmem
	$(GO) test ./harness/sim -run '^$$' -bench '^BenchmarkLarge$$' -benchtime 1x -benchmem
	$(GO) test ./loadgen -run '^$$' -bench . -benchmem

## bench-loadgen: zdt's attacker and recorder side by side with plain `vegeta attack` at the same
## rate (BENCH_RATE req/s, BENCH_DURATION per attack): achieved rate and CPU per request of each
BENCH_RATE     ?= 500
BENCH_DURATION ?= 10s
BENCH_ROUNDS   ?= 2
bench-loadgen:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/tsenart/vegeta/v12@v12.13.0
	$(GO) build -o bin/zdt-loadbench ./loadgen/bench
	./bin/zdt-loadbench -vegeta bin/vegeta -rate $(BENCH_RATE) -duration $(BENCH_DURATION) -rounds $(BENCH_ROUNDS)

## report-screenshot: render the failing fixture run's report.html with zdt report and take a
## screenshot of it in headless Chromium (installs Debian's chromium if missing); PNG in $(SHOT_DIR)
SHOT_DIR ?= runs/report-screenshot
.PHONY: report-screenshot
report-screenshot:
	@command -v chromium >/dev/null 2>&1 || { apt-get update && apt-get install -y chromium; }
	rm -rf $(SHOT_DIR) && mkdir -p $(SHOT_DIR)
	cp report/testdata/runs/broken/* $(SHOT_DIR)/
	$(GO) build -o bin/zdt ./cmd/zdt
	@# The fixture is a failing run: zdt report must exit 1 (FAIL).
	./bin/zdt report $(SHOT_DIR) > $(SHOT_DIR)/summary.txt; code=$$?; cat $(SHOT_DIR)/summary.txt; \
	  if [ $$code -ne 1 ]; then echo "zdt report exited $$code, want 1 (FAIL)"; exit 1; fi
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
	  --disable-sync --no-first-run --user-data-dir=$$(mktemp -d) \
	  --screenshot=$(CURDIR)/$(SHOT_DIR)/report.png --window-size=1400,3000 file://$(CURDIR)/$(SHOT_DIR)/report.html
	@echo "screenshot: $(SHOT_DIR)/report.png"

## docker-setup: install and start Docker where missing; on hosts that withhold CAP_SYS_RESOURCE,
## register zdt's runc wrapper as dockerd's default runtime (idempotent; needs root)
.PHONY: docker-setup images
docker-setup:
	sh scripts/docker-setup.sh

## images: build, offline, every image the kind + Cluster API Docker path needs (cached;
## KUBERNETES=v1.36.3,v1.37.2 picks the node image versions). Nothing is pulled from a registry
## unless IMAGES_PULL=1: zdt sends nothing off this machine by default.
KUBERNETES  ?=
IMAGES_PULL ?=
images: docker-setup build
	./$(BIN) images build $(if $(KUBERNETES),--kubernetes $(KUBERNETES)) $(if $(IMAGES_PULL),,--no-pull)

## e2e: the Ginkgo suite in test/e2e on real clusters (gated by the e2e build tag): kind-small on
## kind + Cluster API's Docker provider, then a misconfigured scenario with the kubeconfig provider
## against the management cluster the first kept; every container removed at the end
## (ZDT_E2E_KEEP=1 keeps them). E2E_PKGS=./... also runs the images package's e2e tests.
E2E_TIMEOUT ?= 60m
E2E_PKGS    ?= ./test/e2e
e2e: docker-setup images
	ZDT_E2E=1 $(GO) test -tags e2e -timeout $(E2E_TIMEOUT) -v $(E2E_PKGS) -args -ginkgo.v

## calibrate: the calibration matrix on kind (five scenarios, one after another, about 10 minutes
## each on 2 cores; start nothing else meanwhile), a profile fitted to them, the same scenarios on
## the simulator before and after the fit (CALIBRATE_SEEDS seeds each), and docs/fidelity.md
## rewritten. CALIBRATE_RUNS=DIR... refits from real runs made before instead of running them.
CALIBRATE_MATRIX ?= kind-small kind-small-no-prestop kind-small-single-replica kind-small-pdb-stall kind-small-apiserver-restart
CALIBRATE_SEEDS  ?= 3
CALIBRATE_OUT    ?= runs/calibrate
CALIBRATE_RUNS   ?=
.PHONY: calibrate
calibrate: $(if $(CALIBRATE_RUNS),build,docker-setup images)
	./$(BIN) calibrate $(if $(CALIBRATE_RUNS),$(addprefix --runs ,$(CALIBRATE_RUNS)),$(addprefix testdata/scenarios/,$(addsuffix .yaml,$(CALIBRATE_MATRIX))) --provider kind) \
	  --seeds $(CALIBRATE_SEEDS) --out $(CALIBRATE_OUT) --doc docs/fidelity.md

clean:
	rm -rf bin runs
