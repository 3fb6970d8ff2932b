# The two set-up commands of the README: `make run` and `make test`.
# Each step is incremental: a second run skips what is already done.

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
PORT ?= 8000
JOBS ?= $(shell nproc)

.PHONY: run test deps build build-asan node-deps web unit-tests sanitizer-tests fuzz bench format format-check clean

run: build
	./$(BUILD_DIR)/apex serve --port $(PORT)

# The test binaries (unit, property, integration, e2e) run side by side: each spends much
# of its time waiting on child servers, so two at once use the two cores.
test: build node-deps
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	$(MAKE) sanitizer-tests
	$(MAKE) fuzz
	$(MAKE) format-check

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/build.ninja web
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The web dashboard (web/, issue 7) that `apex serve` serves at /: npm ci only when the
# lockfile changes, Vite only when a source changes (stamps in web/node_modules).
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
web: web/node_modules/.built

web/node_modules/.installed: web/package.json web/package-lock.json | deps
	cd web && npm ci --no-audit --no-fund
	touch $@

web/node_modules/.built: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build
	touch $@

$(ASAN_DIR)/build.ninja: | deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAPEX_SANITIZE=ON -DAPEX_BUILD_BENCH=OFF

# AddressSanitizer + UndefinedBehaviorSanitizer over the unit, property and integration tests.
sanitizer-tests: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	# Sanitized code runs ~10x slower: fewer RapidCheck cases here, the full count runs above.
	# The browser test exercises no C++ beyond the release run's: it is not repeated here.
	RC_PARAMS="max_success=20" ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) -LE e2e

# libFuzzer targets of the CSV reader and the telemetry parser (clang, ASan + UBSan): a
# bounded run of each on the seed corpus in tests/fuzz/corpus; FUZZ_SECONDS sets the time.
fuzz: deps
	JOBS=$(JOBS) FUZZ_BUILD=$(FUZZ_DIR) tests/fuzz/run.sh

node-deps: tests/node_modules/.installed

tests/node_modules/.installed: tests/package.json tests/package-lock.json | deps
	cd tests && npm ci --no-audit --no-fund
	touch $@

bench: build
	@echo "Benchmarks: see bench/README.md"
	./$(BUILD_DIR)/lap_timing_bench

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')

format-check:
	clang-format --dry-run --Werror $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
