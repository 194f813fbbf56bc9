#!/usr/bin/env bash
# Fan-out figures (issue 12): the benchmark workload synced from A to one fresh peer, then to
# PEERS (3) fresh peers in one run (`--to-registry B,C,D`), each time through a zero-delay linkem
# in front of A that counts the bytes A serves. Prints a Markdown table: bytes read from A, wall
# time, peak RSS, and the fan-out/single ratio of A's bytes (target: at most 1.05). Every run must
# end `ok` at every peer, and each peer's tags must name A's digests.
# Usage: bench/fanout.sh [build/bin] [RESULTS.md to append to]
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
RESULTS_OUT=${2:-}
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
bench_init
workload_defaults
PEERS=${PEERS:-3}
W=$BENCH_WORK
PA=$(free_port)
start_registry a "$PA"
gen_workload "$PA" "$W/images.txt" --repos "$REPOS" --prefix fan/ --base-mib "$BASE_MIB" \
  --unique-mib "$UNIQUE_MIB" --unique-layers "$UNIQUE_LAYERS" --index-platforms "$PLATFORMS"
A_BYTES=$(du -sb "$W/a/data" | cut -f1)

# run_sync NAME PEER_COUNT: fresh peers, a fresh linkem in front of A, one sync; sets R_DOWN
# (bytes A served), M_SECS, M_KIB.
run_sync() {
  local name=$1 count=$2 i port peers="" stats=$W/stats-$1.json
  for ((i = 0; i < count; i++)); do
    port=$(free_port)
    start_registry "$name-$i" "$port"
    peers+="${peers:+,}127.0.0.1:$port"
  done
  start_linkem 0 "$PA" "$stats"
  local lpid=$LINKEM_PID
  measure "$W/$name.log" "$BENCH_BIN/autonomy" registry sync --from-registry "127.0.0.1:$LINKEM_PORT" \
    --to-registry "$peers" --repos "$WORKLOAD_REPOS" --skip-verify --allow-insecure-registry \
    --out "$W/out-$name" --quiet
  stop_linkem "$lpid"
  [ "$M_RC" = 0 ] || bench_die "$name sync failed: $(tail -5 "$W/$name.log")"
  grep -q '"result": "ok"' "$W/out-$name/catalog.json" || bench_die "$name: catalog is not ok"
  # Each peer's tags name A's digests (imagegen's list: host/repo:tag digest).
  local peer repo digest
  for peer in ${peers//,/ }; do
    while read -r ref digest; do
      repo=${ref#127.0.0.1:"$PA"/}
      got=$(skopeo inspect --raw --tls-verify=false "docker://$peer/$repo" | sha256sum | cut -d' ' -f1)
      [ "sha256:$got" = "$digest" ] || bench_die "$name: $peer/$repo is sha256:$got, A has $digest"
    done < "$W/images.txt"
  done
  R_DOWN=$(linkem_field "$stats" bytes_down)
}

run_sync single 1
S_DOWN=$R_DOWN S_SECS=$M_SECS S_KIB=$M_KIB
run_sync fanout "$PEERS"
F_DOWN=$R_DOWN F_SECS=$M_SECS F_KIB=$M_KIB
RATIO=$(awk -v f="$F_DOWN" -v s="$S_DOWN" 'BEGIN { printf "%.3f", f / s }')
VERDICT=$(awk -v r="$RATIO" 'BEGIN { print (r <= 1.05) ? "met" : "**missed**" }')

{
  echo
  echo "### Fan-out: one read of A for $PEERS peers (\`bench/fanout.sh\`)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); workload: $REPOS repos x ($BASE_MIB MiB shared base + $UNIQUE_LAYERS x $UNIQUE_MIB MiB) + a $PLATFORMS-platform index, $((A_BYTES / 1048576)) MiB at A; every peer fresh; every peer's tags checked against A's digests."
  echo
  echo "| run | bytes A served (linkem) | wall | peak RSS |"
  echo "|---|---|---|---|"
  printf '| `--to-registry B` | %s MiB | %s s | %s MiB |\n' "$((S_DOWN / 1048576))" "$S_SECS" "$((S_KIB / 1024))"
  printf '| `--to-registry B,C,D` (%s peers) | %s MiB | %s s | %s MiB |\n' "$PEERS" "$((F_DOWN / 1048576))" "$F_SECS" "$((F_KIB / 1024))"
  echo
  echo "Bytes read from A, fan-out / one peer: **$RATIO** (target <= 1.05: $VERDICT)."
} | tee -a "${RESULTS_OUT:-/dev/null}"
