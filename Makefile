# The front door. `make demo` and `make test` install what they need (Debian 12, as root).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
WERROR ?= OFF
CMAKE_FLAGS ?=
# ccache hits across clones and build folders (paths under the checkout are made relative).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

# Every Debian package the build, the tests, the demo and the benchmarks need.
DEB_PACKAGES := build-essential cmake pkg-config ccache git \
  libboost1.81-all-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
  libcli11-dev libsqlite3-dev libsystemd-dev libgtest-dev libgmock-dev \
  docker-registry skopeo apache2-utils openssl curl ca-certificates \
  zlib1g-dev dpkg-dev fakeroot systemd wrk time procps bc python3

.PHONY: all deps build test unit integration demo bench deb clean format

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

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DAUTONOMY_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L integration

demo: build
	bash scripts/demo.sh $(BUILD_DIR)/bin

bench: build
	bash bench/quick.sh $(BUILD_DIR)/bin

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
