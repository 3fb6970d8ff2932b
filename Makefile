# The two set-up commands of the README: `make run` and `make test`.
# Each step is incremental: a second run skips what is already done.

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
PORT ?= 8000
JOBS ?= $(shell nproc)

.PHONY: run test deps build build-asan node-deps unit-tests sanitizer-tests bench format format-check clean

run: build
	./$(BUILD_DIR)/apex serve --port $(PORT)

test: build node-deps
	ctest --test-dir $(BUILD_DIR) --output-on-failure
	$(MAKE) sanitizer-tests
	$(MAKE) format-check

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

$(ASAN_DIR)/build.ninja: | deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAPEX_SANITIZE=ON -DAPEX_BUILD_BENCH=OFF

# AddressSanitizer + UndefinedBehaviorSanitizer over the unit, property and integration tests.
sanitizer-tests: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	# Sanitized code runs ~10x slower: fewer RapidCheck cases here, the full count runs above.
	RC_PARAMS="max_success=20" ctest --test-dir $(ASAN_DIR) --output-on-failure

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
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
