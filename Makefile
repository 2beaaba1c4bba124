# latchkeyd — see README.md.
#   make          build build/latchkeyd
#   make run      install missing packages, build, start on 127.0.0.1:8080 (data in ./var)
#   make test     install missing packages, build everything, run every test through ctest
#   make sanitize the same tests under AddressSanitizer + UBSan (build-asan/)
#   make bench    benchmarks with ratios against references measured in the same run
#   make format   clang-format the sources

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifneq ($(CI),)
  CMAKE_FLAGS += -DLATCHKEY_WERROR=ON
endif
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps test-deps configure run test sanitize bench format clean

all: configure
	cmake --build $(BUILD) --target latchkeyd -j $(JOBS)

deps:
	@bash scripts/install-deps.sh

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(GENERATOR) $(CMAKE_FLAGS)

run: all
	./$(BUILD)/latchkeyd --listen 127.0.0.1:8080 --data-dir ./var

# The OAuth tests run panva's oidc-provider from npm (tests/e2e/oidc).
test-deps: deps
	@test -d tests/e2e/oidc/node_modules/oidc-provider || \
	  (cd tests/e2e/oidc && npm ci --no-audit --no-fund --silent)

test: configure test-deps
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j 2

sanitize: test-deps
	@test -f build-asan/CMakeCache.txt || cmake -S . -B build-asan $(GENERATOR) -DLATCHKEY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j 2

bench: configure
	cmake --build $(BUILD) --target latchkeyd bench_crypto oauth_bench client_loop_bench -j $(JOBS)
	./$(BUILD)/bench/bench_crypto
	bash bench/http_bench.sh $(BUILD)/latchkeyd
	/usr/bin/python3 bench/certificates_bench.py $(BUILD)/latchkeyd
	/usr/bin/python3 bench/proxy_bench.py $(BUILD)/latchkeyd
	./$(BUILD)/bench/oauth_bench
	bash bench/replicas_bench.sh $(BUILD)/latchkeyd

format:
	clang-format -i $$(git ls-files '*.h' '*.cc' '*.cpp')

clean:
	rm -rf $(BUILD) build-asan
