#!/usr/bin/env bash
# The full benchmark (`make bench`): our CLI against `skopeo sync` and a `skopeo copy --all
# --preserve-digests` loop on the same work in the same run, alternating the order of the tools
# over several rounds; medians of wall time, peak RSS and bytes on the wire, our/skopeo ratios
# and the targets. Writes bench/RESULTS.md (then bench/daemon.sh appends its section).
#
# Usage: bench/run.sh [build/bin]
# Cases (CASES="direct link big drop"):
#   direct  REPOS repos of a BASE_MIB shared base + UNIQUE_LAYERS x UNIQUE_MIB unique layers, plus
#           a PLATFORMS-platform index: first sync into an empty registry, then a no-op re-sync;
#           through a zero-delay linkem in front of the destination (it counts the bytes)
#   link    the same through linkem adding LINK_ONE_WAY_MS each way (25 ms: a 50 ms round trip)
#   big     one image with a single BIG_MIB layer (peak RSS), BIG_ROUNDS rounds
#   drop    one image with a single DROP_MIB layer through a linkem that resets every connection
#           after DROP_AFTER_MIB (both directions counted), DROP_ROUNDS rounds; with
#           DROP_SIDES=both (the default) the source is reached through such a linkem too (dst: B only)
#   many    MANY_REPOS (300) small repos: a MANY_BASE_MIB (1) shared base + one MANY_UNIQUE_KIB (64)
#           layer each; first sync and no-op, direct, every tool, MANY_ROUNDS (1) rounds
#   manylink  the same through the 50 ms link, tools MANY_LINK_TOOLS ("ours": skopeo's no-op of
#           300 repos through the link takes minutes)
#   growth  ours' no-op through the link at each of GROWTH_POINTS ("50 150 300") repos of that workload
#   signed  the many workload signed (legacy .sig), ours with --pub-key through the link
#   commit  B's commit rate with a plain parallel uploader (bench/commit-rate.py, COMMIT_WORKERS 16):
#           the MANY_REPOS images' writes alone, the floor under any first sync of them
# Other knobs: ROUNDS (3), CMD_TIMEOUT (s per command, 300), DAEMON (1: run bench/daemon.sh),
# FANOUT (1: run bench/fanout.sh, the fan-out bytes ratio), CHAIN (1: run bench/chain.sh, the
# convergence time of a chain of daemons wired by notify:), CAPS (1: run bench/caps.sh, the
# accuracy of --limit-rate and max_bandwidth),
# RESULTS (bench/RESULTS.md), RAW_DIR (raw TSV and logs of failed runs; default
# bench/results-<UTC time>/, git-ignored), OURS_FLAGS (extra flags for our CLI, default none),
# BENCH_NOTE (a sentence for RESULTS.md, e.g. that the machine was shared).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"

ROUNDS=${ROUNDS:-3}
workload_defaults
BIG_MIB=${BIG_MIB:-1024}
BIG_ROUNDS=${BIG_ROUNDS:-1}
DROP_MIB=${DROP_MIB:-512}
DROP_AFTER_MIB=${DROP_AFTER_MIB:-64}
DROP_ROUNDS=${DROP_ROUNDS:-1}
DROP_SIDES=${DROP_SIDES:-both}
SRC_LINK_FLAGS=()
MANY_REPOS=${MANY_REPOS:-300}
MANY_BASE_MIB=${MANY_BASE_MIB:-1}
MANY_UNIQUE_KIB=${MANY_UNIQUE_KIB:-64}
MANY_ROUNDS=${MANY_ROUNDS:-1}
read -r -a MANY_LINK_TOOLS <<< "${MANY_LINK_TOOLS:-ours}"
GROWTH_POINTS=${GROWTH_POINTS:-50 150 300}
COMMIT_WORKERS=${COMMIT_WORKERS:-16}
CASES=${CASES:-direct link big drop many manylink growth signed commit}
CMD_TIMEOUT=${CMD_TIMEOUT:-300}
DAEMON=${DAEMON:-1}
RESULTS=${RESULTS:-$BENCH_DIR/RESULTS.md}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RAW_DIR=${RAW_DIR:-$BENCH_DIR/results-$STAMP}
read -r -a OURS_FLAGS <<< "${OURS_FLAGS:-}"
TOOLS=(ours skopeo-loop skopeo-sync)

START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)
bench_init
BIN_SRC=$BENCH_BIN
snapshot_bin "$BIN_SRC"
mkdir -p "$RAW_DIR"
TSV=$RAW_DIR/results.tsv
META=$RAW_DIR/meta.txt
printf 'case\tround\ttool\tphase\trc\twall_s\trss_kib\tbytes_up\tbytes_down\tconns\tdropped\tsrc_bytes_down\tsrc_dropped\n' > "$TSV"

{
  echo "date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "command=${BENCH_COMMAND:-$(printf '%q ' "$0" "$@" | sed 's/ $//')}"
  echo "env=ROUNDS=$ROUNDS REPOS=$REPOS BASE_MIB=$BASE_MIB UNIQUE_MIB=$UNIQUE_MIB UNIQUE_LAYERS=$UNIQUE_LAYERS PLATFORMS=$PLATFORMS LINK_ONE_WAY_MS=$LINK_ONE_WAY_MS BIG_MIB=$BIG_MIB BIG_ROUNDS=$BIG_ROUNDS DROP_MIB=$DROP_MIB DROP_AFTER_MIB=$DROP_AFTER_MIB DROP_ROUNDS=$DROP_ROUNDS DROP_SIDES=$DROP_SIDES MANY_REPOS=$MANY_REPOS MANY_BASE_MIB=$MANY_BASE_MIB MANY_UNIQUE_KIB=$MANY_UNIQUE_KIB MANY_ROUNDS=$MANY_ROUNDS GROWTH_POINTS=\"$GROWTH_POINTS\" CASES=\"$CASES\""
  machine_info | sed 's/^\([a-z]*\): /machine_\1=/' | grep -v '^machine_load='
  echo "machine_load=$START_LOAD (1/5/15 min)"
  echo "skopeo=$(skopeo --version)"
  echo "registry=$(docker-registry --version)"
  echo "ours_binary=$BIN_SRC/autonomy (built $(date -u -r "$BIN_SRC/autonomy" '+%Y-%m-%d %H:%M UTC'), copied at start)"
  echo "note=${BENCH_NOTE:-}"
  echo "git=$(git -C "$BENCH_DIR/.." describe --always --dirty 2>/dev/null || echo unknown)"
  echo "ours_cmd=autonomy registry sync --from-registry A --to-registry B --repos r1:t,... --skip-verify --allow-insecure-registry --out DIR --quiet ${OURS_FLAGS[*]}"
  echo "skopeo_loop_cmd=for r in repos: skopeo copy --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false docker://A/r:t docker://B/r:t"
  echo "skopeo_sync_cmd=skopeo sync --all --preserve-digests --src yaml --dest docker --dest-tls-verify=false sync.yaml B/bench (the yaml: A, tls-verify: false, every repo:tag; into B/bench so B gets the same repo names bench/app-N as with the other tools)"
} > "$META"

log() { printf '[%4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }

# run_tool CASE ROUND TOOL SRC_PORT REPOS PHASES [linkem flags...]: a fresh, empty destination
# registry; for each phase (first, noop) a linkem in front of it with the given flags (same port
# every phase, so the destination keeps its name), the tool under /usr/bin/time, linkem's
# counters; then the destination is deleted. With SRC_LINK_FLAGS (an array) set, the source is
# reached through a linkem with those flags as well.
run_tool() {
  local kase=$1 round=$2 tool=$3 sport=$4 repos=$5 phases=$6
  shift 6
  local name="dst-$kase-$round-$tool" port lport src rpid lpid slpid phase stats sstats log up down conns dropped
  local sdown=- sdropped=-
  port=$(free_port)
  lport=$(free_port)
  start_registry "$name" "$port"
  rpid=$REGISTRY_PID
  for phase in $phases; do
    stats=$BENCH_WORK/stats-$name-$phase.json
    sstats=$BENCH_WORK/src-stats-$name-$phase.json
    log=$BENCH_WORK/log-$name-$phase.txt
    src=127.0.0.1:$sport
    if [ ${#SRC_LINK_FLAGS[@]} -gt 0 ]; then
      start_linkem 0 "$sport" "$sstats" "${SRC_LINK_FLAGS[@]}"
      slpid=$LINKEM_PID
      src=127.0.0.1:$LINKEM_PORT
    fi
    start_linkem "$lport" "$port" "$stats" "$@"
    lpid=$LINKEM_PID
    case $tool in
      ours) ours_cmd "$src" "127.0.0.1:$lport" "$repos" "$BENCH_WORK/out-$name-$phase" ;;
      skopeo-sync) skopeo_sync_cmd "$src" "127.0.0.1:$lport" "$repos" "$BENCH_WORK/out-$name-$phase" ;;
      skopeo-loop) skopeo_loop_cmd "$src" "127.0.0.1:$lport" "$repos" "$BENCH_WORK/out-$name-$phase" ;;
    esac
    measure "$log" timeout "$CMD_TIMEOUT" "${CMD[@]}"
    stop_linkem "$lpid"
    up=$(linkem_field "$stats" bytes_up)
    down=$(linkem_field "$stats" bytes_down)
    conns=$(linkem_field "$stats" connections_accepted)
    dropped=$(linkem_field "$stats" connections_dropped)
    if [ ${#SRC_LINK_FLAGS[@]} -gt 0 ]; then
      stop_linkem "$slpid"
      sdown=$(linkem_field "$sstats" bytes_down)
      sdropped=$(linkem_field "$sstats" connections_dropped)
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kase" "$round" "$tool" "$phase" "$M_RC" \
      "$M_SECS" "$M_KIB" "$up" "$down" "$conns" "$dropped" "$sdown" "$sdropped" >> "$TSV"
    log "$(printf '%-6s r%s %-11s %-5s rc %-3s wall %7.3f s  RSS %6.1f MiB  up %8.1f MiB  down %7.1f MiB  conns %4s dropped %s' \
      "$kase" "$round" "$tool" "$phase" "$M_RC" "$M_SECS" "$(echo "$M_KIB/1024" | bc -l)" \
      "$(echo "$up/1048576" | bc -l)" "$(echo "$down/1048576" | bc -l)" "$conns" "$dropped")$(
      [ "$sdown" = - ] || printf '  (source: %.1f MiB read, %s dropped)' "$(echo "$sdown/1048576" | bc -l)" "$sdropped")"
    if [ "$M_RC" != 0 ]; then
      cp "$log" "$RAW_DIR/failed-$name-$phase.log"
      tail -n 3 "$log" | cut -c1-300 | sed 's/^/        | /'
    fi
    rm -rf "$BENCH_WORK/out-$name-$phase" "$log" "$log.time" "$stats" "$stats".* "$sstats" "$sstats".*
  done
  stop_registry "$name" "$rpid"
}

# run_case CASE ROUNDS SRC_PORT REPOS PHASES [linkem flags...]: every tool once per round, the
# order rotated each round (ours, skopeo-loop, skopeo-sync; then skopeo-loop, skopeo-sync, ours; ...).
run_case() {
  local kase=$1 rounds=$2 sport=$3 repos=$4 phases=$5 r i n=${#TOOLS[@]}
  shift 5
  for ((r = 1; r <= rounds; r++)); do
    for ((i = 0; i < n; i++)); do
      run_tool "$kase" "$r" "${TOOLS[$(((i + r - 1) % n))]}" "$sport" "$repos" "$phases" "$@"
    done
  done
}

# layer_bytes LIST_FILE PORT: the summed size of the layers of the first image in LIST_FILE.
layer_bytes() {
  local ref
  ref=$(awk 'NR==1{print $1}' "$1")
  ref=${ref#127.0.0.1:"$2"/}
  curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:$2/v2/${ref%:*}/manifests/${ref##*:}" |
    "$BENCH_PY" -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))'
}

# many_workload [signed]: the many-small-repos workload at its own source registry, once per run
# (signed: with a legacy .sig each, the public key at $BENCH_WORK/many-signed.pub). Sets
# MANY_PORT / MANY_LIST (and SIGNED_PORT / SIGNED_LIST).
many_workload() {
  local kind=${1:-plain} port sign=()
  if [ "$kind" = signed ] && [ -n "${SIGNED_PORT:-}" ]; then return; fi
  if [ "$kind" = plain ] && [ -n "${MANY_PORT:-}" ]; then return; fi
  port=$(free_port)
  start_registry "src-many-$kind" "$port"
  [ "$kind" = plain ] || sign=(--sign-pub-out "$BENCH_WORK/many-signed.pub")
  log "workload ($kind): $MANY_REPOS repos x ($MANY_BASE_MIB MiB shared base + one $MANY_UNIQUE_KIB KiB layer)"
  gen_workload "$port" "$RAW_DIR/images-many-$kind.txt" --repos "$MANY_REPOS" --prefix many/ --base-mib "$MANY_BASE_MIB" \
    --unique-kib "$MANY_UNIQUE_KIB" --unique-layers 1 --index-platforms 0 ${sign[@]+"${sign[@]}"}
  if [ "$kind" = plain ]; then
    MANY_PORT=$port MANY_LIST=$WORKLOAD_REPOS
    echo "many_repos=$(wc -l < "$RAW_DIR/images-many-$kind.txt")" >> "$META"
    echo "many_desc=$MANY_BASE_MIB MiB shared base + one $MANY_UNIQUE_KIB KiB layer each" >> "$META"
  else
    SIGNED_PORT=$port SIGNED_LIST=$WORKLOAD_REPOS
  fi
}

# with_tools TOOL... -- COMMAND...: runs COMMAND with TOOLS set to the given tools.
with_tools() {
  local saved=("${TOOLS[@]}")
  TOOLS=()
  while [ "$1" != -- ]; do TOOLS+=("$1"); shift; done
  shift
  "$@"
  TOOLS=("${saved[@]}")
}

echo "bench: $(nproc) cores, load $START_LOAD; cases: $CASES; rounds: $ROUNDS; raw results in $RAW_DIR"
for kase in $CASES; do
  case $kase in
    direct | link)
      if [ -z "${MAIN_PORT:-}" ]; then
        MAIN_PORT=$(free_port)
        start_registry src-main "$MAIN_PORT"
        MAIN_PID=$REGISTRY_PID
        log "workload: $REPOS repos x ($BASE_MIB MiB shared base + $UNIQUE_LAYERS x $UNIQUE_MIB MiB) + a $PLATFORMS-platform index"
        gen_workload "$MAIN_PORT" "$RAW_DIR/images-main.txt" --repos "$REPOS" --prefix bench/ --base-mib "$BASE_MIB" \
          --unique-mib "$UNIQUE_MIB" --unique-layers "$UNIQUE_LAYERS" --index-platforms "$PLATFORMS"
        MAIN_REPOS=$WORKLOAD_REPOS
        echo "main_repos=$(wc -l < "$RAW_DIR/images-main.txt")" >> "$META"
        echo "main_bytes=$(du -sb "$BENCH_WORK/src-main/data" | cut -f1)" >> "$META"
        log "workload pushed: $(wc -l < "$RAW_DIR/images-main.txt") repos, $(du -sh "$BENCH_WORK/src-main/data" | cut -f1) at A"
      fi
      if [ "$kase" = direct ]; then
        run_case direct "$ROUNDS" "$MAIN_PORT" "$MAIN_REPOS" "first noop"
      else
        echo "link_one_way_ms=$LINK_ONE_WAY_MS" >> "$META"
        run_case link "$ROUNDS" "$MAIN_PORT" "$MAIN_REPOS" "first noop" --latency-ms "$LINK_ONE_WAY_MS"
      fi
      ;;
    big | drop)
      if [ "$kase" = big ]; then mib=$BIG_MIB rounds=$BIG_ROUNDS; else mib=$DROP_MIB rounds=$DROP_ROUNDS; fi
      sport=$(free_port)
      start_registry "src-$kase" "$sport"
      spid=$REGISTRY_PID
      log "workload: one image with a single $mib MiB layer"
      gen_workload "$sport" "$RAW_DIR/images-$kase.txt" --repos 1 --prefix "$kase/" --base-mib "$mib" \
        --unique-layers 0 --index-platforms 0
      echo "${kase}_layer_bytes=$(layer_bytes "$RAW_DIR/images-$kase.txt" "$sport")" >> "$META"
      if [ "$kase" = big ]; then
        run_case big "$rounds" "$sport" "$WORKLOAD_REPOS" first
      else
        echo "drop_after_mib=$DROP_AFTER_MIB" >> "$META"
        echo "drop_sides=$DROP_SIDES" >> "$META"
        if [ "$DROP_SIDES" = both ]; then SRC_LINK_FLAGS=(--drop-after "${DROP_AFTER_MIB}MiB"); fi
        run_case drop "$rounds" "$sport" "$WORKLOAD_REPOS" first --drop-after "${DROP_AFTER_MIB}MiB"
        SRC_LINK_FLAGS=()
      fi
      stop_registry "src-$kase" "$spid"
      ;;
    many)
      many_workload
      run_case many "$MANY_ROUNDS" "$MANY_PORT" "$MANY_LIST" "first noop"
      ;;
    manylink)
      many_workload
      echo "link_one_way_ms=$LINK_ONE_WAY_MS" >> "$META"
      with_tools "${MANY_LINK_TOOLS[@]}" -- run_case manylink "$MANY_ROUNDS" "$MANY_PORT" "$MANY_LIST" "first noop" \
        --latency-ms "$LINK_ONE_WAY_MS"
      ;;
    growth)
      many_workload
      echo "link_one_way_ms=$LINK_ONE_WAY_MS" >> "$META"
      for n in $GROWTH_POINTS; do
        subset=$(echo "$MANY_LIST" | tr , '\n' | head -n "$n" | paste -sd, -)
        with_tools ours -- run_case "growth-$n" "$MANY_ROUNDS" "$MANY_PORT" "$subset" "first noop" \
          --latency-ms "$LINK_ONE_WAY_MS"
      done
      ;;
    signed)
      many_workload signed
      echo "link_one_way_ms=$LINK_ONE_WAY_MS" >> "$META"
      OURS_TRUST=(--pub-key "$BENCH_WORK/many-signed.pub")
      with_tools ours -- run_case signed "$MANY_ROUNDS" "$SIGNED_PORT" "$SIGNED_LIST" "first noop" \
        --latency-ms "$LINK_ONE_WAY_MS"
      OURS_TRUST=(--skip-verify)
      ;;
    commit)
      cport=$(free_port)
      start_registry commit "$cport"
      cpid=$REGISTRY_PID
      "$BENCH_PY" "$BENCH_DIR/commit-rate.py" "$cport" "$MANY_REPOS" "$COMMIT_WORKERS" "$MANY_UNIQUE_KIB" \
        "$MANY_BASE_MIB" >> "$META" || bench_die "commit-rate.py failed"
      log "commit rate: $(grep -E '^commit_rate_(wall_s|repos_per_s)=' "$META" | paste -sd' ' -)"
      stop_registry commit "$cpid"
      ;;
    *) bench_die "unknown case $kase (direct, link, big, drop, many, manylink, growth, signed, commit)" ;;
  esac
done
echo "elapsed_s=$(($(date +%s) - T0))" >> "$META"

"$BENCH_PY" "$BENCH_DIR/report.py" "$META" "$TSV" "$RESULTS"
log "wrote $RESULTS"
if [ "$DAEMON" = 1 ]; then
  [ -z "${MAIN_PORT:-}" ] || stop_registry src-main "$MAIN_PID"
  bash "$BENCH_DIR/daemon.sh" "$BENCH_BIN" "$RESULTS"  # the binaries copied at the start
  bash "$BENCH_DIR/daemon-scale.sh" "$BENCH_BIN" "$RESULTS"
fi
if [ "${FANOUT:-1}" = 1 ]; then
  bash "$BENCH_DIR/fanout.sh" "$BENCH_BIN" "$RESULTS"
fi
if [ "${CHAIN:-1}" = 1 ]; then
  bash "$BENCH_DIR/chain.sh" "$BENCH_BIN" "$RESULTS"
fi
if [ "${CAPS:-1}" = 1 ]; then
  bash "$BENCH_DIR/caps.sh" "$BENCH_BIN" "$RESULTS"
fi
log "bench done"
