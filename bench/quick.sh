#!/usr/bin/env bash
# Quick comparison (issue 2's figures): 20 repos of a 24 MiB shared base + 2x4 MiB unique
# layers plus one 2-platform index, A -> B on 127.0.0.1, our CLI against `skopeo sync`.
# Prints wall time and peak RSS of each run, once each. Usage: bench/quick.sh [build/bin]
# (`make bench-quick`; the full harness with rounds, links and targets is bench/run.sh)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
bench_init
WORK=$BENCH_WORK

show() {  # label
  [ "$M_RC" = 0 ] || { echo "$1 failed (exit $M_RC):"; tail -5 "$WORK/cmd.log"; }
  printf '%-34s wall %6.2f s   peak RSS %7.1f MiB\n' "$1" "$M_SECS" "$(echo "$M_KIB/1024" | bc -l)"
}
PA=$(free_port); PB=$(free_port); PC=$(free_port)
start_registry a "$PA"; start_registry b "$PB"; start_registry c "$PC"
gen_workload "$PA" "$WORK/images.txt" --repos 20 --prefix bench/ \
  --base-mib 24 --unique-mib 4 --unique-layers 2 --index-platforms 2
ours_cmd "127.0.0.1:$PA" "127.0.0.1:$PB" "$WORKLOAD_REPOS" "$WORK/out"; SYNC=("${CMD[@]}")
skopeo_sync_cmd "127.0.0.1:$PA" "127.0.0.1:$PC" "$WORKLOAD_REPOS" "$WORK/skopeo"; SKOPEO=("${CMD[@]}")
echo "workload: $(wc -l < "$WORK/images.txt") repos, $(nproc) cores, $(date -u +%F)"
measure "$WORK/cmd.log" "${SYNC[@]}"; show "autonomy sync (first)"
measure "$WORK/cmd.log" "${SYNC[@]}"; show "autonomy sync (no-op re-sync)"
measure "$WORK/cmd.log" "${SKOPEO[@]}"; show "skopeo sync (first)"
measure "$WORK/cmd.log" "${SKOPEO[@]}"; show "skopeo sync (no-op re-sync)"
