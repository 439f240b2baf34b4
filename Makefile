# Genesis - the two commands of the README, and a few more.
#
#   make demo   install what is missing, build, run an example campaign
#   make test   install, build (warnings are errors), run every test, also
#               under AddressSanitizer + UndefinedBehaviorSanitizer
#   make build  just build (into build/)
#   make fuzz   build the libFuzzer targets with clang and fuzz the spec reader
#   make bench  the planner benchmark against Optuna TPE and a scikit-learn GP-EI
#               loop, the suggestion-speed benchmark, and the dispatch benchmark
#               (experiments/s with no-op runners, local and MPI, against Dask;
#               with Slurm's sbatch installed also its Slurm rows, on a private
#               one-machine cluster: needs root)
#               (bench/README.md); `make bench-quick` is a smoke run,
#               `make bench-dispatch` the dispatch benchmark alone,
#               `make bench-serve` the service benchmark alone

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 120
# the dispatch benchmark's Slurm rows (bench/dispatch --slurm) when Slurm is installed
BENCH_SLURM ?= $(if $(shell command -v sbatch 2>/dev/null),--slurm)

.PHONY: all deps build demo test test-fast test-asan fuzz bench bench-quick bench-dispatch bench-serve clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@rm -rf $(BUILD)/demo && mkdir -p $(BUILD)/demo
	$(BUILD)/genesis run $(BUILD)/examples/reactor/reactor.yaml --db $(BUILD)/demo/genesis.db
	@echo
	@$(BUILD)/genesis show reactor --db $(BUILD)/demo/genesis.db --status completed | head -n 12
	@echo "..."
	@echo "The campaign is stored in $(BUILD)/demo/genesis.db; try:"
	@echo "  $(BUILD)/genesis status reactor --db $(BUILD)/demo/genesis.db"
	@echo "  $(BUILD)/genesis export reactor --format csv --db $(BUILD)/demo/genesis.db"

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGN_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE slow

test: test-fast test-asan
	@echo "make test: all suites passed (normal build: every label; sanitizer build: unit + integration)"

fuzz:
	@scripts/install-deps --fuzz
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DGN_FUZZ=ON -DGN_CLI=OFF -DGN_ONLY_TESTS=fuzz
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_spec
	mkdir -p $(FUZZ_BUILD)/corpus && cp tests/fuzz/corpus/spec/* $(FUZZ_BUILD)/corpus/
	$(FUZZ_BUILD)/tests/fuzz/fuzz_spec -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus

bench: build
	@scripts/install-deps --bench
	bench/run --build $(BUILD) $(BENCH_SLURM)

bench-quick: build
	@scripts/install-deps --bench
	bench/run --quick --build $(BUILD)

bench-dispatch: build
	@scripts/install-deps --bench
	bench/run --only dispatch --build $(BUILD) $(BENCH_SLURM)

bench-serve: build
	bench/run --only serve --build $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
