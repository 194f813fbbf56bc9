#!/usr/bin/env bash
# Cap accuracy (issue 12): blob bytes to B through a zero-delay linkem in front of B that counts
# them, under caps of CAP_RATES MiB/s (2 and 20): one CLI run (`--limit-rate`), one daemon job,
# and three daemon jobs at once sharing B's `max_bandwidth`. Each rate is measured over
# CAP_WINDOW_S (20) s after CAP_WARMUP_S (3) s; target: within 5% of the cap. Runs are stopped
# after the window (the workload is bigger than a window at the highest cap).
# Usage: bench/caps.sh [build/bin] [RESULTS.md to append to]
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
RESULTS_OUT=${2:-}
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
bench_init
read -r -a CAP_RATES <<< "${CAP_RATES:-2 20}"
CAP_WINDOW_S=${CAP_WINDOW_S:-20}
CAP_WARMUP_S=${CAP_WARMUP_S:-3}
export LINKEM_STATS_MS=100
W=$BENCH_WORK
now() { date +%s.%N; }

PA=$(free_port)
start_registry a "$PA"
# 3 repos of 3 x 100 MiB unique layers: one job of all three, or three jobs of one each, still
# runs after 23 s at 20 MiB/s.
gen_workload "$PA" "$W/images.txt" --repos 3 --prefix cap/ --base-mib 1 --unique-mib 100 --unique-layers 3 \
  --index-platforms 0
IFS=, read -r -a REPOS_LIST <<< "$WORKLOAD_REPOS"

# rate_over STATS: bytes to B per second over the window, in MiB/s (sets RATE). The caller then
# checks that its run was still going (else the figure would average in idle time).
rate_over() {
  local stats=$1 b0 b1 t0 t1
  sleep "$CAP_WARMUP_S"
  b0=$(linkem_field "$stats" bytes_up) t0=$(now)
  sleep "$CAP_WINDOW_S"
  b1=$(linkem_field "$stats" bytes_up) t1=$(now)
  RATE=$(awk -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.3f", (b1 - b0) / (t1 - t0) / 1048576 }')
}
too_short() { bench_die "$1 ended before the ${CAP_WINDOW_S} s window did (make the workload bigger)"; }

# fresh_b NAME: a fresh B behind a fresh counting linkem; sets B_PID, L_PID, L_PORT, STATS.
fresh_b() {
  local port
  port=$(free_port)
  start_registry "b-$1" "$port"
  B_PID=$REGISTRY_PID
  STATS=$W/stats-$1.json
  start_linkem 0 "$port" "$STATS"
  L_PID=$LINKEM_PID L_PORT=$LINKEM_PORT
}
drop_b() {
  stop_linkem "$L_PID"
  stop_registry "b-$1" "$B_PID"
}

ROWS=()
row() {  # CAP RUN MEASURED
  local err verdict
  err=$(awk -v m="$3" -v c="$1" 'BEGIN { printf "%+.1f", (m - c) / c * 100 }')
  verdict=$(awk -v e="$err" 'BEGIN { print (e <= 5 && e >= -5) ? "met" : "**missed**" }')
  ROWS+=("| $1 MiB/s | $2 | $3 MiB/s | $err % | $verdict |")
  echo "caps: $1 MiB/s, $2: $3 MiB/s ($err %)" >&2
}

cli_case() {
  local rate=$1 name=cli-$1 pid
  fresh_b "$name"
  "$BENCH_BIN/autonomy" registry sync --from-registry "127.0.0.1:$PA" --to-registry "127.0.0.1:$L_PORT" \
    --repos "$WORKLOAD_REPOS" --skip-verify --allow-insecure-registry --limit-rate "${rate}MiB/s" \
    --out "$W/out-$name" --quiet > "$W/$name.log" 2>&1 &
  pid=$!
  bench_track "$pid"
  rate_over "$STATS"
  kill -0 "$pid" 2>/dev/null || too_short "the CLI run"
  row "$rate" "CLI, one run (\`--limit-rate\`)" "$RATE"
  bench_stop "$pid"
  drop_b "$name"
}

# daemon_case RATE JOBS: JOBS jobs at once (the repos split between them) under max_bandwidth.
daemon_case() {
  local rate=$1 jobs=$2 name=daemon-$1-$2 api i repos body
  fresh_b "$name"
  api=$(free_port)
  rm -rf "$W/state"
  syncd_config "$api" "$(printf 'concurrency: {repos: 4}\nregistries:\n  "127.0.0.1:%s": {insecure: true}\n  "127.0.0.1:%s": {insecure: true, max_bandwidth: %sMiB/s}\n' \
    "$PA" "$L_PORT" "$rate")"
  start_syncd "$W/syncd.yaml" "$W/$name.syncd.log" "$api"
  for ((i = 0; i < jobs; i++)); do
    if [ "$jobs" = 1 ]; then repos=$(printf '"%s",' "${REPOS_LIST[@]}"); else repos="\"${REPOS_LIST[$i]}\","; fi
    body=$(printf '{"from_registry": "127.0.0.1:%s", "to_registry": "127.0.0.1:%s", "repos": [%s], "skip_verify": true}' \
      "$PA" "$L_PORT" "${repos%,}")
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "$body" "http://127.0.0.1:$api/v1/jobs" || bench_die "POST /v1/jobs was refused: $body"
  done
  local what="daemon, one job"
  [ "$jobs" = 1 ] || what="daemon, $jobs jobs at once (one \`max_bandwidth\`)"
  rate_over "$STATS"
  local running
  running=$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$api/v1/jobs?state=running" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["jobs"]))')
  [ "$running" -ge "$jobs" ] || too_short "a daemon job"
  row "$rate" "$what" "$RATE"
  bench_stop "$DPID"
  drop_b "$name"
}

for rate in "${CAP_RATES[@]}"; do
  cli_case "$rate"
  daemon_case "$rate" 1
  daemon_case "$rate" 3
done

{
  echo
  echo "### Bandwidth caps (\`bench/caps.sh\`)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); bytes to B counted by a zero-delay linkem in front of B (HTTP included), over ${CAP_WINDOW_S} s after ${CAP_WARMUP_S} s; the workload: 3 repos x 3 x 100 MiB layers."
  echo
  echo "| cap | run | measured | error | within 5% |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee -a "${RESULTS_OUT:-/dev/null}"
