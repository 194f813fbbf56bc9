#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) in build-fuzz/ and
# runs each for SECONDS (default 60) from its seed corpus (fuzz/corpus/<name>, plus the shared
# Sigstore and cosign vectors for the bundle and payload targets). New inputs go to
# build-fuzz/corpus/; a crash leaves its input in build-fuzz/crashes/ and fails the run.
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
BUILD=${2:-build-fuzz}
SHARED=$(cd .. && pwd)/shared/fixtures
SAN="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  mkdir -p "$BUILD"
  cmake -S . -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTONOMY_FUZZ=ON \
    -DCMAKE_CXX_FLAGS="$SAN" > "$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log"; exit 1; }
fi
cmake --build "$BUILD" --target fuzz_all -j "$(nproc)" > "$BUILD/build.log" 2>&1 || { tail -40 "$BUILD/build.log"; exit 1; }

mkdir -p "$BUILD/crashes"
failed=0
for seeds in fuzz/corpus/*/; do
  name=$(basename "$seeds")
  corpus="$BUILD/corpus/$name"
  mkdir -p "$corpus"
  extra=()
  case "$name" in
    bundle) [ -d "$SHARED/sigstore-bundles" ] && extra+=("$SHARED/sigstore-bundles") ;;
    cosign_payload) [ -d "$SHARED/cosign" ] && extra+=("$SHARED/cosign") ;;
  esac
  log="$BUILD/fuzz_$name.log"
  if "$BUILD/bin/fuzz_$name" "$corpus" "$seeds" "${extra[@]}" -max_total_time="$SECONDS_EACH" -max_len=65536 \
      -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$BUILD/crashes/$name-" > "$log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    printf 'fuzz_%-18s ok   %s runs in %s s, corpus %s inputs\n' "$name" "${runs:-?}" "$SECONDS_EACH" \
      "$(find "$corpus" -type f | wc -l)"
  else
    failed=$((failed + 1))
    printf 'fuzz_%-18s FAILED (log %s)\n' "$name" "$log"
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
  fi
done
total=$(find fuzz/corpus -mindepth 1 -maxdepth 1 -type d | wc -l)
echo "fuzz: $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
