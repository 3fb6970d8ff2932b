# The two set-up commands of the README, `./make.sh run` and `./make.sh test` (make.sh
# installs make on a machine without it, then runs these targets).
# Each step is incremental: a second run skips what is already done.

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
TSAN_DIR ?= build-tsan
PORT ?= 8000
JOBS ?= $(shell nproc)

.PHONY: run test deps build build-asan node-deps web unit-tests sanitizer-tests tsan-tests fuzz bench format format-check clean

run: build
	./$(BUILD_DIR)/apex serve --port $(PORT)

# The suite runs once, in the sanitizer build (AddressSanitizer; UndefinedBehaviorSanitizer
# on the library; -Werror): compiling the library and the tests once instead of twice (Release and ASan),
# and in unity batches (APEX_UNITY_BUILD), is what keeps `make test` inside CI's 15 minutes on two cores.
test: sanitizer-tests
	$(MAKE) tsan-tests
	$(MAKE) fuzz
	$(MAKE) format-check

deps:
	@bash scripts/install-deps.sh

# The server of `make run` (and the benchmarks): Release. Warnings are shown but not fatal
# here: the -Werror build is the test build, so a newer compiler's new warning cannot stop
# a user from running the service.
$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAPEX_WERROR=OFF -DAPEX_UNITY_BUILD=ON

build: deps $(BUILD_DIR)/build.ninja web
	cmake --build $(BUILD_DIR) -j $(JOBS) --target apex

# The web dashboard (web/) that `apex serve` serves at /: npm ci only when the lockfile
# changes, Vite only when a source changes (stamps in web/node_modules). Its API types are
# generated from web/openapi.json, the document `apex openapi` prints, committed so that the
# dashboard builds before (and without) the binary: `make test` builds no Release apex to
# make it from, and a test fails when it is not what the server answers.
WEB_SOURCES := $(shell find web/src -type f -not -path 'web/src/generated/*' 2>/dev/null) web/index.html \
  web/vite.config.ts web/tsconfig.json web/openapi.json
web: web/node_modules/.built

web/node_modules/.installed: web/package.json web/package-lock.json | deps
	cd web && npm ci --no-audit --no-fund
	touch $@

web/node_modules/.built: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build
	touch $@

$(ASAN_DIR)/build.ninja: | deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DAPEX_SANITIZE=ON \
	  -DAPEX_BUILD_BENCH=OFF -DAPEX_UNITY_BUILD=ON

# Unit, property, integration and browser tests under AddressSanitizer, with the library
# and the apex binary also under UndefinedBehaviorSanitizer (line tables only, -g1). The test binaries run side by side: each spends much of its
# time waiting on child servers (s3rver and its SigV4 proxy, apex, chromium; moto where
# installed), so two at once use both cores.
sanitizer-tests: deps $(ASAN_DIR)/build.ninja web node-deps
	cmake --build $(ASAN_DIR) -j $(JOBS)
	# Sanitized code runs ~10x slower: 20 RapidCheck cases per property (RC_PARAMS). The
	# summary (tests run, skipped and why, tests on ../shared's real data) prints either way.
	rm -rf $(ASAN_DIR)/test-results
	status=0; RC_PARAMS="max_success=20" ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) || status=$$?; \
	  python3 tests/tools/test_summary.py $(ASAN_DIR)/test-results --shared-dir $(CURDIR)/../shared && exit $$status

# Only the unit tests, in the sanitizer build: the quickest check while developing.
unit-tests: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS) --target apex_unit_tests
	APEX_SOURCE_DIR=$(CURDIR) ./$(ASAN_DIR)/apex_unit_tests

# ThreadSanitizer over the tests whose code runs threads: the HTTP server (in process and as
# `apex serve`, also built with TSan), the session and telemetry caches, LocalStore and
# S3Store with its retries against s3rver. Part of `make test`: one binary (apex_tsan_tests,
# see tests/CMakeLists.txt), unity batches, -O1 so the servers are not too slow; measured
# on the 2-core machine: 163 s to build, 38 s to run.
# halt_on_error: a race in a child `apex serve` kills it, which fails the test using it;
# in the test binary itself it fails the run. SecretsNeverPrinted (many apex processes
# against refusing or unreachable servers) and the slow-client test (timeouts, 10 s) test no
# threading and stay out.
TSAN_FILTER ?= -SecretsNeverPrinted.*:*SecretsNeverPrintedWhenRefused.*:ServeWithToken.SlowClientsAreDisconnected
$(TSAN_DIR)/build.ninja: | deps
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1" -DAPEX_TSAN=ON \
	  -DAPEX_BUILD_BENCH=OFF -DAPEX_UNITY_BUILD=ON

tsan-tests: deps $(TSAN_DIR)/build.ninja node-deps
	cmake --build $(TSAN_DIR) -j $(JOBS) --target apex_tsan_tests
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" APEX_SOURCE_DIR=$(CURDIR) \
	  APEX_BINARY=$(CURDIR)/$(TSAN_DIR)/apex ./$(TSAN_DIR)/apex_tsan_tests --gtest_filter='$(TSAN_FILTER)'

# libFuzzer targets of the CSV reader and the telemetry parser (clang, ASan + UBSan): a
# bounded run of each on the seed corpus in tests/fuzz/corpus; FUZZ_SECONDS sets the time.
FUZZ_SECONDS ?= 10
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) FUZZ_BUILD=$(FUZZ_DIR) tests/fuzz/run.sh

node-deps: tests/node_modules/.installed

tests/node_modules/.installed: tests/package.json tests/package-lock.json | deps
	cd tests && npm ci --no-audit --no-fund
	touch $@

bench: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@echo "Benchmarks: see bench/README.md"
	./$(BUILD_DIR)/lap_timing_bench

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')

format-check:
	clang-format --dry-run --Werror $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) $(TSAN_DIR)
