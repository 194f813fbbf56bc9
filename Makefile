# The front door. `make demo` and `make test` install what they need (Debian 12, as root).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
WERROR ?= OFF
CMAKE_FLAGS ?=
# ccache hits across clones and build folders (paths under the checkout are made relative).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
# Room for every tree CI builds (build-ci, build-asan, build-fuzz) and build/ at once.
export CCACHE_MAXSIZE ?= 20G
# Sources built with a precompiled header are cacheable only with these (ccache's manual).
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

# Every Debian package the build, the tests, the demo and the benchmarks need.
DEB_PACKAGES := build-essential cmake pkg-config ccache git \
  libboost1.81-all-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
  libcli11-dev libsqlite3-dev libsystemd-dev libgtest-dev libgmock-dev \
  docker-registry skopeo apache2-utils openssl curl ca-certificates clang \
  zlib1g-dev dpkg-dev fakeroot systemd wrk time procps bc python3 nodejs \
  golang-docker-credential-helpers pass gnupg lintian help2man man-db groff-base \
  clang-tidy buildah podman runc python3-yaml golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev

# The tests' independent producer of cosign 3 signature bundles (sigstore-js), from the npm
# registry into a git-ignored folder; reinstalled when its lockfile changes.
SIGSTORE_JS := tests/support/sigstore-js

.PHONY: all deps build test test-asan test-asan-ci tidy unit integration fuzz demo bench bench-quick bench-daemon bench-api bench-hostile bench-daemon-scale bench-airgap bench-fanout bench-chain bench-caps deb image clean format

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to apt-get install$$missing" >&2; exit 2; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: all packages present"; fi
	@if [ ! $(SIGSTORE_JS)/node_modules/.package-lock.json -nt $(SIGSTORE_JS)/package-lock.json ]; then \
	  echo "make deps: npm ci in $(SIGSTORE_JS)"; \
	  npm ci --prefix $(SIGSTORE_JS) --no-audit --no-fund --loglevel=error; \
	fi

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DAUTONOMY_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600 $(CTEST_FLAGS)

# Every test again on an ASan+UBSan build (build-asan/): memory errors, leaks and undefined
# behaviour fail the test that meets them. A separate tree, so it never mixes with build/. The
# .deb is not built from it (packaging instrumented binaries says nothing, and takes minutes).
test-asan:
	$(MAKE) test BUILD_DIR=build-asan CMAKE_FLAGS="-DAUTONOMY_SANITIZE=ON $(CMAKE_FLAGS)" CTEST_FLAGS="-E '^packaging_'"

# CI's share of test-asan, within its time budget: every unit test and the integration tests of
# the endpoints (layouts, archives, the CLI's air-gapped path), on the same build-asan/ tree.
ASAN_CI_INTEGRATION ?= AirGap|Archive
test-asan-ci: deps
	$(MAKE) build-asan/CMakeCache.txt BUILD_DIR=build-asan CMAKE_FLAGS="-DAUTONOMY_SANITIZE=ON $(CMAKE_FLAGS)"
	cmake --build build-asan -j $(JOBS) --target unit_tests verify_integration_tests autonomy
	cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 600 -L unit
	cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 600 -L integration -R '$(ASAN_CI_INTEGRATION)'

# clang-tidy (.clang-tidy) over every C++ file in git; clean verdicts are cached by preprocessed
# content (scripts/tidy.py). The fuzz targets are checked with build-fuzz/'s flags after make fuzz.
tidy: deps $(BUILD_DIR)/CMakeCache.txt
	python3 scripts/tidy.py $(BUILD_DIR)
	@if [ -f build-fuzz/compile_commands.json ]; then python3 scripts/tidy.py build-fuzz $$(git ls-files 'fuzz/*.cpp'); \
	else echo "tidy: fuzz/ not checked (make fuzz configures build-fuzz/ first)"; fi

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L integration

# libFuzzer (clang, ASan + UBSan) over every parser of untrusted input, FUZZ_SECONDS each (build-fuzz/).
FUZZ_SECONDS ?= 60
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Builds only what the demo runs (not the tests): a fresh machine reaches the first sync sooner.
demo: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target autonomy autonomy-syncd imagegen
	bash scripts/demo.sh $(BUILD_DIR)/bin

# The full benchmark (under 10 minutes on 2 cores): our CLI against skopeo sync and a skopeo copy
# loop, rounds alternating, medians, targets; then the daemon figures. Writes bench/RESULTS.md.
# Sizes and rounds are environment knobs (ROUNDS=, REPOS=, BASE_MIB=, ...: see bench/run.sh).
bench: build
	BENCH_COMMAND="$${BENCH_COMMAND:-make bench}" bash bench/run.sh $(BUILD_DIR)/bin

# One pass of the issue-2 comparison (our CLI and skopeo sync, first and no-op), about a minute.
bench-quick: build
	bash bench/quick.sh $(BUILD_DIR)/bin

# Only the daemon figures (idle RSS, wrk on GET /v1/jobs/{id}), appended to bench/RESULTS.md.
bench-daemon: build
	bash bench/daemon.sh $(BUILD_DIR)/bin bench/RESULTS.md

# The API under a connection flood (1,000 idle + 200 half-sent sockets): authenticated latency.
bench-api: build
	bash bench/api-flood.sh $(BUILD_DIR)/bin

# Peak memory of the CLI against a hostile source (a 600-layer .sig, a 150-entry .att index).
# The daemon with 1,000 finished jobs and 20,000 repo records (issue 13): start-up, RSS, GET /v1/jobs.
bench-daemon-scale: build
	bash bench/daemon-scale.sh $(BUILD_DIR)/bin

# Time and peak memory of an export to an OCI archive and its import (bench/airgap.sh).
bench-airgap: build
	bash bench/airgap.sh $(BUILD_DIR)/bin

# Fan-out (issue 12): bytes read from A for three peers in one run against one peer (linkem counts).
bench-fanout: build
	bash bench/fanout.sh $(BUILD_DIR)/bin

# How fast a chain of daemons wired by notify: converges: A -> B -> C -> D (bench/chain.sh).
bench-chain: build
	bash bench/chain.sh $(BUILD_DIR)/bin

# How close --limit-rate and max_bandwidth hold their cap, one job and three (bench/caps.sh).
bench-caps: build
	bash bench/caps.sh $(BUILD_DIR)/bin

bench-hostile: build
	bash bench/hostile.sh $(BUILD_DIR)/bin

# The daemon's container image, from scratch with buildah (packaging/image/build-image.sh):
# localhost/autonomy-syncd:<version> in the local containers storage (podman images). As root.
image: build
	bash packaging/image/build-image.sh $(BUILD_DIR)/bin $(IMAGE)

# The Debian package: $(BUILD_DIR)/deb/autonomy-syncd_<version>_<arch>.deb (packaging/build-deb.sh).
deb: build
	bash packaging/build-deb.sh $(BUILD_DIR)/bin $(BUILD_DIR)/deb

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
