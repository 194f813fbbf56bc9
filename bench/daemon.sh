#!/usr/bin/env bash
# Daemon figures: idle RSS of autonomy-syncd, then `wrk` throughput and latency percentiles of
# GET /v1/jobs/{id} while a sync job runs (A -> a rate-capped linkem -> B, so the job outlasts
# wrk). Prints a "## Daemon" section and puts it at the end of RESULTS.md (replacing an older
# one). Usage: bench/daemon.sh [build/bin] [bench/RESULTS.md]
# Knobs: DAEMON_REPOS (6), DAEMON_BASE_MIB (8), DAEMON_UNIQUE_MIB (4): the job's workload (plus a
# 2-platform index); DAEMON_LINK_RATE (2MiB per second into B); WRK_SECONDS (10),
# WRK_THREADS (2), WRK_CONNECTIONS (16).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
RESULTS=${2:-$BENCH_DIR/RESULTS.md}
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"

DAEMON_REPOS=${DAEMON_REPOS:-6}
DAEMON_BASE_MIB=${DAEMON_BASE_MIB:-8}
DAEMON_UNIQUE_MIB=${DAEMON_UNIQUE_MIB:-4}
DAEMON_LINK_RATE=${DAEMON_LINK_RATE:-2MiB}
WRK_SECONDS=${WRK_SECONDS:-10}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}

bench_init
snapshot_bin "$BENCH_BIN"
W=$BENCH_WORK
log() { printf '[daemon] %s\n' "$*"; }
rss_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }  # PID VmRSS|VmHWM

PA=$(free_port); PB=$(free_port); PL=$(free_port); PD=$(free_port)
start_registry a "$PA"
start_registry b "$PB"
start_linkem "$PL" "$PB" "$W/link-stats.json" --rate "$DAEMON_LINK_RATE"
log "workload: $DAEMON_REPOS repos x ($DAEMON_BASE_MIB MiB base + 2 x $DAEMON_UNIQUE_MIB MiB) + a 2-platform index"
gen_workload "$PA" "$W/images.txt" --repos "$DAEMON_REPOS" --prefix daemon/ --base-mib "$DAEMON_BASE_MIB" \
  --unique-mib "$DAEMON_UNIQUE_MIB" --unique-layers 2 --index-platforms 2
WORKLOAD_MIB=$(($(du -sb "$W/a/data" | cut -f1) / 1048576))

syncd_config "$PD" "concurrency: {repos: 4, connections_per_registry: 8, blobs_per_repo: 4}
registries:
  \"127.0.0.1:$PA\": {insecure: true}
  \"127.0.0.1:$PL\": {insecure: true}
keys: {}"
start_syncd "$W/syncd.yaml" "$W/syncd.log" "$PD"
sleep 3
IDLE_RSS=$(rss_kib "$DPID" VmRSS)
log "idle: VmRSS $IDLE_RSS KiB"

API=http://127.0.0.1:$PD
REPOS_JSON=$("$BENCH_PY" -c 'import json,sys; print(json.dumps(sys.argv[1].split(",")))' "$WORKLOAD_REPOS")
curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"from_registry\": \"127.0.0.1:$PA\", \"to_registry\": \"127.0.0.1:$PL\", \"repos\": $REPOS_JSON, \"skip_verify\": true, \"keep_going\": true}" \
  "$API/v1/jobs" > "$W/job.json"
JOB=$("$BENCH_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$W/job.json")
job_field() {  # FIELD of GET /v1/jobs/$JOB
  curl -fsS -H "Authorization: Bearer $TOKEN" "$API/v1/jobs/$JOB" |
    "$BENCH_PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
for _ in $(seq 100); do [ "$(job_field state)" = running ] && break; sleep 0.1; done
BYTES_BEFORE=$(job_field bytes)
STATE_BEFORE=$(job_field state)
log "job $JOB: $STATE_BEFORE, $BYTES_BEFORE bytes; wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s"

printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" > "$W/auth.lua"
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -s "$W/auth.lua" "$API/v1/jobs/$JOB" > "$W/wrk.txt" 2>&1 ||
  bench_die "wrk failed: $(cat "$W/wrk.txt")"
STATE_AFTER=$(job_field state)
BYTES_AFTER=$(job_field bytes)
LOAD_RSS=$(rss_kib "$DPID" VmRSS)
HWM=$(rss_kib "$DPID" VmHWM)
log "after wrk: job $STATE_AFTER, $BYTES_AFTER bytes; VmRSS $LOAD_RSS KiB, VmHWM $HWM KiB"
sed 's/^/  | /' "$W/wrk.txt"
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "$API/v1/jobs/$JOB/cancel" || true
bench_stop "$DPID" TERM

"$BENCH_PY" - "$W/wrk.txt" "$RESULTS" <<PY
import re, sys
wrk = open(sys.argv[1]).read()
def grab(pattern, default="n/a"):
    m = re.search(pattern, wrk, re.M)
    return m.group(1) if m else default
pct = {p: grab(r"^\s+%s%%\s+(\S+)" % p) for p in ("50", "75", "90", "99")}
rps = grab(r"^Requests/sec:\s+(\S+)")
total = grab(r"^\s+(\d+) requests in")
non2xx = grab(r"Non-2xx or 3xx responses:\s+(\d+)", "0")
errors = grab(r"Socket errors:\s+(.*)$", "none")
mib = lambda kib: f"{int(kib) / 1024:.1f}"
section = f"""## Daemon

\`bench/daemon.sh\`: \`autonomy-syncd\` on 127.0.0.1 with a minimal config (TCP listener, token file,
state_dir in a temp dir, two insecure registries, log level warn). The job copies $DAEMON_REPOS repos
($DAEMON_BASE_MIB MiB base + 2 x $DAEMON_UNIQUE_MIB MiB) and a 2-platform index ($WORKLOAD_MIB MiB at A) to B through
a linkem capped at $DAEMON_LINK_RATE/s, so it is still copying while \`wrk\` runs
(\`wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s --latency\`, bearer token header from a \`-s\` script)
against \`GET /v1/jobs/{{id}}\`. wrk, the daemon, both registries and linkem share the same cores.

| figure | value |
|---|---|
| idle RSS (VmRSS, 3 s after /readyz) | {mib($IDLE_RSS)} MiB |
| RSS after the wrk run, job running (VmRSS) | {mib($LOAD_RSS)} MiB |
| peak RSS over the whole run (VmHWM) | {mib($HWM)} MiB |
| GET /v1/jobs/{{id}} throughput | {rps} requests/s ({total} requests in ${WRK_SECONDS} s) |
| latency p50 / p75 / p90 / p99 | {pct['50']} / {pct['75']} / {pct['90']} / {pct['99']} |
| non-2xx answers, socket errors | {non2xx}, {errors} |
| job during wrk | {"$STATE_BEFORE"} → {"$STATE_AFTER"}, {int("$BYTES_BEFORE") / 1048576:.1f} → {int("$BYTES_AFTER") / 1048576:.1f} MiB copied |
"""
print(section)
try:
    old = open(sys.argv[2]).read()
except FileNotFoundError:
    old = ""
keep = old.split("\n## Daemon\n")[0].rstrip("\n")
with open(sys.argv[2], "w") as f:
    f.write((keep + "\n\n" if keep else "") + section)
PY
log "appended the Daemon section to $RESULTS"
