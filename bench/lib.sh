# shellcheck shell=bash disable=SC2034  # (variables set here are read by the sourcing script)
# Shell functions the benchmark scripts share (bench/quick.sh, bench/run.sh, bench/daemon.sh).
# Source it from bash after `set -euo pipefail`; call bench_init first. Every process started
# here is a child of the calling shell (never start one inside $(...)), its PID is tracked in
# BENCH_PIDS, and the EXIT trap stops exactly those PIDs and removes BENCH_WORK.

# bench_init: make BENCH_WORK (/tmp/autonomy-bench.XXXXXX) and install the cleanup trap.
bench_init() {
  BENCH_WORK=$(mktemp -d /tmp/autonomy-bench.XXXXXX)
  BENCH_PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local p
  for p in "${BENCH_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  BENCH_PIDS=()
  if [ -n "${BENCH_WORK:-}" ]; then rm -rf "$BENCH_WORK"; fi
}

# bench_track PID / bench_untrack PID: the PIDs the EXIT trap stops.
bench_track() { BENCH_PIDS+=("$1"); }
bench_untrack() {
  local keep=() p
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
}

# bench_stop PID [SIGNAL]: signal one process we started, wait for it, stop tracking it.
bench_stop() {
  kill "-${2:-TERM}" "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  bench_untrack "$1"
}

bench_die() { echo "bench: $*" >&2; exit 1; }

# The distribution's python3 (stdlib only): starts faster than a pyenv shim.
if [ -z "${BENCH_PY:-}" ]; then
  if [ -x /usr/bin/python3 ]; then BENCH_PY=/usr/bin/python3; else BENCH_PY=python3; fi
fi

free_port() { "$BENCH_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_http URL [TRIES]: poll every 0.1 s until URL answers 2xx.
wait_http() {
  local i
  for ((i = 0; i < ${2:-100}; i++)); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}

# start_registry NAME PORT: a docker-registry on 127.0.0.1:PORT storing under BENCH_WORK/NAME.
# Sets REGISTRY_PID.
# syncd_config PORT [YAML]: a fresh API token (TOKEN, in BENCH_WORK/syncd.token) and
# BENCH_WORK/syncd.yaml: the API on 127.0.0.1:PORT with that token, state in BENCH_WORK/state,
# log level warn, no schedules, then the YAML lines given (registries:, keys:, ...).
syncd_config() {
  TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf '%s\n' "$TOKEN" > "$BENCH_WORK/syncd.token"
  chmod 600 "$BENCH_WORK/syncd.token"
  mkdir -p "$BENCH_WORK/state"
  printf 'listen: ["127.0.0.1:%s"]\nstate_dir: %s\napi:\n  token_file: %s\nlog: {level: warn}\nschedules: []\n%s\n' \
    "$1" "$BENCH_WORK/state" "$BENCH_WORK/syncd.token" "${2:-}" > "$BENCH_WORK/syncd.yaml"
}

# start_syncd CONFIG LOG PORT: autonomy-syncd from $BENCH_BIN, tracked, ready; its PID in DPID.
start_syncd() {
  "$BENCH_BIN/autonomy-syncd" --config "$1" > "$2" 2>&1 &
  DPID=$!
  bench_track "$DPID"
  wait_http "http://127.0.0.1:$3/readyz" 200 || bench_die "autonomy-syncd not ready: $(tail -5 "$2")"
}

start_registry() {
  local dir="$BENCH_WORK/$1"
  mkdir -p "$dir"
  printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp: {addr: 127.0.0.1:%s, secret: bench}\n' \
    "$dir/data" "$2" > "$dir/config.yml"
  docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
  REGISTRY_PID=$!
  bench_track "$REGISTRY_PID"
  wait_http "http://127.0.0.1:$2/v2/" 100 || bench_die "registry $1 did not start; see $dir/log"
}

# stop_registry NAME PID: stop it and delete its storage.
stop_registry() {
  bench_stop "$2"
  rm -rf "${BENCH_WORK:?}/$1"
}

# start_linkem LISTEN_PORT UPSTREAM_PORT STATS_FILE [linkem flags...]: a linkem proxy on
# 127.0.0.1:LISTEN_PORT (0: any; the port is read from its first stdout line) in front of
# 127.0.0.1:UPSTREAM_PORT, writing its counters to STATS_FILE every LINKEM_STATS_MS (500) ms.
# Sets LINKEM_PID and LINKEM_PORT.
start_linkem() {
  local listen=$1 upstream=$2 stats=$3 i line=""
  shift 3
  local out="$stats.stdout"
  : > "$out"
  "$BENCH_BIN/linkem" --listen "127.0.0.1:$listen" --upstream "127.0.0.1:$upstream" \
    --stats "$stats" --stats-interval-ms "${LINKEM_STATS_MS:-500}" "$@" > "$out" 2> "$stats.stderr" &
  LINKEM_PID=$!
  bench_track "$LINKEM_PID"
  for ((i = 0; i < 100; i++)); do
    line=$(head -n1 "$out")
    case "$line" in listening\ *) LINKEM_PORT=${line##*:}; return 0 ;; esac
    kill -0 "$LINKEM_PID" 2>/dev/null || break
    sleep 0.05
  done
  bench_die "linkem did not start: $(cat "$stats.stderr")"
}

# stop_linkem PID: SIGTERM makes linkem write its final counters to its --stats file.
stop_linkem() { bench_stop "$1" TERM; }

# linkem_field STATS_FILE FIELD: one counter (bytes_up, bytes_down, connections_accepted, ...).
# (linkem writes one line of flat JSON: {"bytes_up":123,...})
linkem_field() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }

# measure LOG CMD...: run CMD under /usr/bin/time; sets M_RC, M_SECS (wall, to the millisecond
# from the clock around it; /usr/bin/time's %e has 10 ms steps), M_KIB (peak RSS) and M_CPU
# (user + system seconds). CMD's stdout and stderr go to LOG. Never fails the script: the caller
# checks M_RC.
measure() {
  local log=$1 tf="$1.time" user sys e t0 t1
  shift
  M_RC=0
  t0=$(date +%s%N)
  /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" > "$log" 2>&1 || M_RC=$?
  t1=$(date +%s%N)
  read -r e M_KIB user sys < <(tail -n1 "$tf")
  M_SECS=$(printf '%d.%03d' $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 1000000 % 1000)))
  M_CPU=$(echo "$user + $sys" | bc)
}

# cpu_ticks PID: user + system clock ticks a process has used so far (all its threads).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS_PER_S=$(getconf CLK_TCK)

# gen_workload PORT LIST_FILE [imagegen flags...]: build and push the workload into
# 127.0.0.1:PORT (the OCI layout is deleted afterwards); LIST_FILE gets imagegen's lines
# (host/repo:tag digest). Sets WORKLOAD_REPOS: "repo:tag,repo:tag,...".
gen_workload() {
  local port=$1 list=$2 layout
  shift 2
  layout=$(mktemp -d "$BENCH_WORK/layout.XXXXXX")
  "$BENCH_BIN/imagegen" --registry "127.0.0.1:$port" --layout "$layout" "$@" > "$list" ||
    bench_die "imagegen $* failed"
  rm -rf "$layout"
  WORKLOAD_REPOS=$(awk '{print $1}' "$list" | sed "s|^127.0.0.1:$port/||" | paste -sd, -)
}

# skopeo_sync_yaml SRC_HOST REPOS OUT: the `skopeo sync --src yaml` file for REPOS (repo:tag,...).
skopeo_sync_yaml() {
  local r
  {
    echo "$1:"
    echo "  tls-verify: false"
    echo "  images:"
    for r in ${2//,/ }; do echo "    ${r%:*}: [${r##*:}]"; done
  } > "$3"
}

# The three commands compared, as arrays: ours_cmd / skopeo_sync_cmd / skopeo_loop_cmd
# SRC_HOST DST_HOST REPOS OUT_DIR (OUT_DIR: --out for ours, scratch for the others).
# OURS_FLAGS (array, may be empty) adds flags to our CLI.
# OURS_TRUST (array) is how ours verifies: --skip-verify unless a case signs its workload.
OURS_TRUST=(--skip-verify)
ours_cmd() {
  CMD=("$BENCH_BIN/autonomy" registry sync --from-registry "$1" --to-registry "$2" --repos "$3"
    "${OURS_TRUST[@]}" --allow-insecure-registry --out "$4" --quiet ${OURS_FLAGS[@]+"${OURS_FLAGS[@]}"})
}
# skopeo sync names each copy DEST/<last path component of the repo>: when every repo sits in
# one namespace (bench/app-0, bench/app-1, ...), it goes into DEST/<namespace>, so B ends up with
# the same repo names whichever tool filled it. SKOPEO_FLAGS (array) goes before the subcommand
# (e.g. --debug).
skopeo_sync_cmd() {
  local dest=$2 ns="" r
  for r in ${3//,/ }; do
    case $r in */*) ;; *) ns=""; break ;; esac
    if [ -z "$ns" ]; then ns=${r%/*}; elif [ "$ns" != "${r%/*}" ]; then ns=""; break; fi
  done
  [ -z "$ns" ] || dest=$dest/$ns
  mkdir -p "$4"
  skopeo_sync_yaml "$1" "$3" "$4/skopeo-sync.yaml"
  CMD=(skopeo ${SKOPEO_FLAGS[@]+"${SKOPEO_FLAGS[@]}"} sync --all --preserve-digests --src yaml --dest docker
    --dest-tls-verify=false "$4/skopeo-sync.yaml" "$dest")
}
skopeo_loop_cmd() {
  CMD=(env "SKOPEO_FLAGS=${SKOPEO_FLAGS[*]+"${SKOPEO_FLAGS[*]}"}" bash "$BENCH_DIR/skopeo-loop.sh" "$1" "$2" "$3")
}

# snapshot_bin BIN_DIR: copy the binaries the benchmark runs into BENCH_WORK/bin and point
# BENCH_BIN there, so a rebuild of BIN_DIR during the run cannot swap them half-way; each copy
# must answer --help (a copy taken while the linker was writing would not).
snapshot_bin() {
  local b
  mkdir -p "$BENCH_WORK/bin"
  for b in autonomy autonomy-syncd imagegen linkem; do
    [ -x "$1/$b" ] || continue
    cp -p "$1/$b" "$BENCH_WORK/bin/$b"
    "$BENCH_WORK/bin/$b" --help > /dev/null 2>&1 || bench_die "$1/$b does not run (being rebuilt?); try again"
  done
  BENCH_BIN=$BENCH_WORK/bin
}

# human-readable machine description, one "key: value" per line.
machine_info() {
  echo "cores: $(nproc)"
  echo "cpu: $(awk -F': ' '/^model name/{m=$2} /^cpu family/{f=$2} /^model\t/{n=$2} END{printf "%s (family %s, model %s)", m, f, n}' /proc/cpuinfo)$(
    lscpu 2>/dev/null | awk -F': *' '/^Hypervisor vendor/{printf ", %s guest", $2}')"
  echo "ram: $(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  echo "distro: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"
}

# The issue's workload, unless the environment says otherwise: REPOS repos of a BASE_MIB shared
# base + UNIQUE_LAYERS x UNIQUE_MIB unique layers, a PLATFORMS-platform index, a 25 ms one-way link.
workload_defaults() {
  REPOS=${REPOS:-20}
  BASE_MIB=${BASE_MIB:-24}
  UNIQUE_MIB=${UNIQUE_MIB:-4}
  UNIQUE_LAYERS=${UNIQUE_LAYERS:-2}
  PLATFORMS=${PLATFORMS:-2}
  LINK_ONE_WAY_MS=${LINK_ONE_WAY_MS:-25}
}
