#!/usr/bin/env bash
# Request counts behind the wall times: runs each tool once (first sync into an empty B, then a
# no-op re-sync) with request logging on (our CLI: -v; skopeo: --debug), B behind linkem, and
# tallies the HTTP requests each sent to A and to B by method, plus linkem's connections to B, and
# the CPU seconds the tool, registry A, registry B and linkem used.
# Usage: bench/requests.sh [build/bin]
# Knobs: REPOS (20), BASE_MIB (24), UNIQUE_MIB (4), UNIQUE_LAYERS (2), PLATFORMS (2) as in
# bench/run.sh; LINK_ONE_WAY_MS (25; 0 for a direct link); TOOLS ("ours skopeo-sync skopeo-loop");
# KEEP_LOGS (a directory to copy the raw request logs to).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"

workload_defaults
read -r -a TOOL_LIST <<< "${TOOLS:-ours skopeo-sync skopeo-loop}"
read -r -a OURS_FLAGS <<< "${OURS_FLAGS:-} -v"
SKOPEO_FLAGS=(--debug)

bench_init
snapshot_bin "$BENCH_BIN"
W=$BENCH_WORK
PA=$(free_port)
start_registry a "$PA"
APID=$REGISTRY_PID
gen_workload "$PA" "$W/images.txt" --repos "$REPOS" --prefix bench/ --base-mib "$BASE_MIB" \
  --unique-mib "$UNIQUE_MIB" --unique-layers "$UNIQUE_LAYERS" --index-platforms "$PLATFORMS"
echo "workload: $(wc -l < "$W/images.txt") repos; B behind linkem --latency-ms $LINK_ONE_WAY_MS"
: > "$W/summary.tsv"
for tool in "${TOOL_LIST[@]}"; do
  PB=$(free_port)
  PL=$(free_port)
  start_registry "b-$tool" "$PB"
  rpid=$REGISTRY_PID
  for phase in first noop; do
    start_linkem "$PL" "$PB" "$W/stats-$tool-$phase.json" --latency-ms "$LINK_ONE_WAY_MS"
    ticks_a=$(cpu_ticks "$APID") ticks_b=$(cpu_ticks "$rpid") ticks_l=$(cpu_ticks "$LINKEM_PID")
    case $tool in
      ours) ours_cmd "127.0.0.1:$PA" "127.0.0.1:$PL" "$WORKLOAD_REPOS" "$W/out-$tool-$phase" ;;
      skopeo-sync) skopeo_sync_cmd "127.0.0.1:$PA" "127.0.0.1:$PL" "$WORKLOAD_REPOS" "$W/out-$tool-$phase" ;;
      skopeo-loop) skopeo_loop_cmd "127.0.0.1:$PA" "127.0.0.1:$PL" "$WORKLOAD_REPOS" "$W/out-$tool-$phase" ;;
      *) bench_die "unknown tool $tool" ;;
    esac
    measure "$W/log-$tool-$phase.txt" "${CMD[@]}"
    cpu="$M_CPU $(($(cpu_ticks "$APID") - ticks_a)) $(($(cpu_ticks "$rpid") - ticks_b)) $(($(cpu_ticks "$LINKEM_PID") - ticks_l))"
    stop_linkem "$LINKEM_PID"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$phase" "$M_RC" "$M_SECS" \
      "$(linkem_field "$W/stats-$tool-$phase.json" connections_accepted)" "$W/log-$tool-$phase.txt" "$cpu" >> "$W/summary.tsv"
  done
  stop_registry "b-$tool" "$rpid"
done
if [ -n "${KEEP_LOGS:-}" ]; then mkdir -p "$KEEP_LOGS" && cp "$W"/log-*.txt "$KEEP_LOGS/"; fi

"$BENCH_PY" - "$W/summary.tsv" "$PA" "$TICKS_PER_S" <<'PY'
import collections, re, sys
summary, port_a, hz = sys.argv[1], sys.argv[2], int(sys.argv[3])
ours = re.compile(r"^debug: (GET|HEAD|PUT|POST|PATCH|DELETE) ([^/ ]+)(/\S*) -> (\S+)")
skopeo = re.compile(r'msg="(GET|HEAD|PUT|POST|PATCH|DELETE) (https?)://([^/ ]+)(/[^" ]*)')
print("| tool | phase | exit | wall s | CPU s: tool / registry A / registry B / linkem | requests to A | requests to B | B: by method | B: /v2/ probes (https failed) | linkem connections to B |")
print("|---|---|---|---|---|---|---|---|---|---|")
for line in open(summary):
    tool, phase, rc, secs, conns, log, cpu = line.rstrip("\n").split("\t")
    tool_cpu, a_ticks, b_ticks, l_ticks = cpu.split()
    cpu = f"{float(tool_cpu):.2f} / {int(a_ticks) / hz:.2f} / {int(b_ticks) / hz:.2f} / {int(l_ticks) / hz:.2f}"
    to_a = 0
    to_b = collections.Counter()
    probes = https = 0
    for l in open(log, errors="replace"):
        m = ours.match(l)
        if m:
            method, host, path = m.group(1), m.group(2), m.group(3)
            scheme = "?"
        else:
            m = skopeo.search(l)
            if not m:
                continue
            method, scheme, host, path = m.group(1), m.group(2), m.group(3), m.group(4)
        if host.endswith(":" + port_a):
            to_a += 1
            continue
        if path in ("/v2/", "/v2"):
            probes += 1
            https += scheme == "https"
        to_b[method] += 1
    by = ", ".join(f"{k} {v}" for k, v in sorted(to_b.items()))
    print(f"| {tool} | {phase} | {rc} | {secs} | {cpu} | {to_a} | {sum(to_b.values())} | {by} | {probes} ({https}) | {conns} |")
print()
print("ours: -v logs each request but not the streamed PATCH uploads nor the /v2/ probe (HTTPS")
print("first, then HTTP); linkem's connection count covers them. skopeo: --debug logs every request.")
PY
