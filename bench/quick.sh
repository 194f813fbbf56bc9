#!/usr/bin/env bash
# Quick comparison (issue 2's figures): 20 repos of a 24 MiB shared base + 2x4 MiB unique
# layers plus one 2-platform index, A -> B on 127.0.0.1, our CLI against `skopeo sync`.
# Prints wall time and peak RSS of each run. Usage: bench/quick.sh [build/bin]
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
WORK=$(mktemp -d /tmp/autonomy-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
registry() {
  mkdir -p "$WORK/$1"
  printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s, secret: bench}\n' \
    "$WORK/$1/data" "$2" > "$WORK/$1/config.yml"
  docker-registry serve "$WORK/$1/config.yml" > "$WORK/$1/log" 2>&1 & PIDS+=($!)
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$2/v2/" >/dev/null && return; sleep 0.1; done; exit 1
}
measure() {  # label cmd...
  local out="$WORK/time.txt"
  /usr/bin/time -f '%e %M' -o "$out" "${@:2}" > "$WORK/cmd.log" 2>&1 || { echo "$1 failed:"; tail -5 "$WORK/cmd.log"; }
  read -r secs kib < <(tail -1 "$out")
  printf '%-34s wall %6.2f s   peak RSS %7.1f MiB\n' "$1" "$secs" "$(echo "$kib/1024" | bc -l)"
}
PA=$(port); PB=$(port); PC=$(port)
registry a "$PA"; registry b "$PB"; registry c "$PC"
"$BIN/imagegen" --registry "127.0.0.1:$PA" --layout "$WORK/layout" --repos 20 --prefix bench/ \
  --base-mib 24 --unique-mib 4 --unique-layers 2 --index-platforms 2 > "$WORK/images.txt"
REPOS=$(awk '{print $1}' "$WORK/images.txt" | sed "s|^127.0.0.1:$PA/||" | paste -sd, -)
{
  echo "127.0.0.1:$PA:"; echo "  tls-verify: false"; echo "  images:"
  for r in $(echo "$REPOS" | tr , ' '); do echo "    ${r%%:*}: [${r##*:}]"; done
} > "$WORK/skopeo-sync.yaml"
SYNC=("$BIN/autonomy" registry sync --from-registry "127.0.0.1:$PA" --to-registry "127.0.0.1:$PB" --repos "$REPOS"
      --skip-verify --allow-insecure-registry --out "$WORK/out" --quiet)
SKOPEO=(skopeo sync --all --preserve-digests --src yaml --dest docker --dest-tls-verify=false
        "$WORK/skopeo-sync.yaml" "127.0.0.1:$PC")
echo "workload: 21 repos ($(wc -l < "$WORK/images.txt") images), $(nproc) cores, $(date -u +%F)"
measure "autonomy sync (first)" "${SYNC[@]}"
measure "autonomy sync (no-op re-sync)" "${SYNC[@]}"
measure "skopeo sync (first)" "${SKOPEO[@]}"
measure "skopeo sync (no-op re-sync)" "${SKOPEO[@]}"
