# latchkeyd — see README.md.
#   make          build build/latchkeyd and build/latchkey (the CLI)
#   make run      install missing packages, build, start on 127.0.0.1:8080 (data in ./var)
#   make dev      the same in dev mode: throwaway data, fake OAuth providers, keys ready (latchkeyd dev)
#   make test     install missing packages, build everything, run every test through ctest
#   make sanitize the unit and end-to-end tests under AddressSanitizer + UBSan (build-asan/)
#   make tsan     the same under ThreadSanitizer (build-tsan/)
#   make fuzz     each libFuzzer target in tests/fuzz for FUZZ_SECONDS (clang, ASan+UBSan; build-fuzz/)
#   make soak     SOAK_SECONDS (600) of mixed load; RSS, fds and threads every 10 s (build/soak/)
#   make bench    benchmarks with ratios against references measured in the same run
#   make install  latchkeyd, the CLI, /etc/latchkey/latchkeyd.env and a hardened systemd unit
#                 (PREFIX=/usr/local, DESTDIR; see docs/operations.md#installing)
#   make format   clang-format the sources (make format-check: fail unless clean; CI runs it)

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifneq ($(CI),)
  CMAKE_FLAGS += -DLATCHKEY_WERROR=ON
endif
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps test-deps configure run dev install test sanitize tsan fuzz soak bench format format-check clean

all: configure
	cmake --build $(BUILD) --target latchkeyd latchkey -j $(JOBS)

deps:
	@bash scripts/install-deps.sh

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(GENERATOR) $(CMAKE_FLAGS)

# make run ARGS="--proxy-allow-http 127.0.0.1": any latchkeyd flag (each also
# has a LATCHKEY_* environment variable; see docs/configuration.md).
run: all
	./$(BUILD)/latchkeyd --listen 127.0.0.1:8080 --data-dir ./var $(ARGS)

dev: all
	./$(BUILD)/latchkeyd dev --listen 127.0.0.1:8080 $(ARGS)

install: all
	@bash scripts/install.sh $(BUILD)/latchkeyd $(BUILD)/latchkey

# The OAuth tests run panva's oidc-provider from npm (tests/e2e/oidc); the
# drop-in base URL tests, the official OpenAI and Anthropic SDKs (tests/e2e/sdk);
# the OpenAPI types test, openapi-typescript and tsc (tests/e2e/openapi_types).
test-deps: deps
	@test -d tests/e2e/oidc/node_modules/oidc-provider || \
	  (cd tests/e2e/oidc && npm ci --no-audit --no-fund --silent)
	@(test -d tests/e2e/sdk/node_modules/openai && test -d tests/e2e/sdk/node_modules/@anthropic-ai/sdk && \
	  test -d tests/e2e/sdk/node_modules/standardwebhooks) || \
	  (cd tests/e2e/sdk && npm ci --no-audit --no-fund --silent)
	@(test -d tests/e2e/openapi_types/node_modules/openapi-typescript && \
	  test -d tests/e2e/openapi_types/node_modules/typescript) || \
	  (cd tests/e2e/openapi_types && npm ci --no-audit --no-fund --silent)

test: configure test-deps
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j 2

# Under the sanitizers the PostgreSQL variants and the kill -9 suites are
# left out (the same code paths run in the SQLite suites; the crash suites
# measure durability, not memory safety) to fit CI's time, and so is the
# latency test (the sanitizers slow every request tenfold).
SANITIZER_SKIP := postgres|crash|stall

sanitize: test-deps
	@test -f build-asan/CMakeCache.txt || cmake -S . -B build-asan $(GENERATOR) -DLATCHKEY_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j 2 -E '$(SANITIZER_SKIP)'

tsan: test-deps
	@test -f build-tsan/CMakeCache.txt || cmake -S . -B build-tsan $(GENERATOR) -DLATCHKEY_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -j 2 -E '$(SANITIZER_SKIP)'

# Each target runs from a copy of its seeds (build-fuzz/corpus/<name>, which
# keeps what it finds for the next run); crashes land in
# build-fuzz/crashes/<name>/, full output in build-fuzz/logs/. (ctest replays
# tests/fuzz/regressions/<name>.)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := request_head json_body app_routes jwt key_import url oauth redactor

fuzz: deps
	@dpkg-query -W -f='$${Status}' clang libclang-rt-14-dev 2>/dev/null | grep -q "ok installed.*ok installed" || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null)
	@test -f build-fuzz/CMakeCache.txt || CC=clang CXX=clang++ cmake -S . -B build-fuzz $(GENERATOR) -DLATCHKEY_FUZZ=ON -DBUILD_TESTING=OFF $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t build-fuzz/crashes/$$t build-fuzz/logs; \
	  cp -n tests/fuzz/corpus/$$t/* build-fuzz/corpus/$$t/; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  if ! build-fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=30 -print_final_stats=1 \
	      -artifact_prefix=build-fuzz/crashes/$$t/ build-fuzz/corpus/$$t \
	      >build-fuzz/logs/$$t.log 2>&1; then \
	    failed="$$failed $$t"; grep -A40 -m1 -E '^==[0-9]+==|fuzz invariant|runtime error' build-fuzz/logs/$$t.log; \
	  fi; \
	  grep -E '^#[0-9]+' build-fuzz/logs/$$t.log | tail -1; \
	  grep -E 'stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' build-fuzz/logs/$$t.log; \
	done; \
	test -z "$$failed" || { echo "fuzz: failures in$$failed (inputs in build-fuzz/crashes/)"; exit 1; }


soak: all
	@command -v gnuplot >/dev/null 2>&1 || (apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || true)
	/usr/bin/python3 bench/soak.py $(BUILD)/latchkeyd

# Benchmarks measure throughput, not the rate limits (which would answer 429).
bench: export LATCHKEY_RATE_LIMIT_PER_KEY = 0
bench: export LATCHKEY_RATE_LIMIT_PER_ADDRESS = 0
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

# Fails (and lists what differs) unless every source is clang-format clean.
format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.h' '*.cc' '*.cpp')

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
