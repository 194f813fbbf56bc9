#!/usr/bin/env bash
# Chain convergence (issue 12): registries A -> B -> C -> D, an autonomy-syncd at each of B, C
# and D pulling from the hop above, wired by notify: (each hop's job end triggers the next hop's
# schedule). Every schedule is a yearly cron, so only the triggers move anything. A fresh
# workload is pushed to A, then the first hop is triggered (as a CI pipeline at A would). Prints
# one hop's time (trigger -> every tag at B), the chain's time (trigger -> every tag at D) and
# the target: chain < 3 x hop + 2 s. Every tag at D must name A's digest.
# Usage: bench/chain.sh [build/bin] [RESULTS.md to append to]
# Knobs: CHAIN_REPOS (4), CHAIN_BASE_MIB (16), CHAIN_UNIQUE_MIB (4): the workload.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
RESULTS_OUT=${2:-}
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
bench_init
CHAIN_REPOS=${CHAIN_REPOS:-4}
CHAIN_BASE_MIB=${CHAIN_BASE_MIB:-16}
CHAIN_UNIQUE_MIB=${CHAIN_UNIQUE_MIB:-4}
W=$BENCH_WORK
now() { date +%s.%N; }

declare -A PORT
for r in a b c d; do
  PORT[$r]=$(free_port)
  start_registry "$r" "${PORT[$r]}"
done
# The workload's repos are known before it is pushed: imagegen names them <prefix>app-<i>, and
# <prefix>multi-arch for the index.
REPO_LIST=(chain/multi-arch)
for ((i = 0; i < CHAIN_REPOS; i++)); do REPO_LIST+=("chain/app-$i"); done

# node NAME FROM TO NEXT_NODE: one daemon's config (schedule NAME copies every tag of each repo
# FROM -> TO; notify: NEXT_NODE's trigger). Sets API_PORT[NAME] and a token file.
declare -A API_PORT
for n in from-a from-b from-c; do API_PORT[$n]=$(free_port); done
node() {
  local name=$1 from=$2 to=$3 next=${4:-} dir=$W/node-$1 repos="" r
  mkdir -p "$dir/state"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/token"
  for r in "${REPO_LIST[@]}"; do repos+="${repos:+, }{repo: $r, all: true}"; done
  {
    printf 'listen: ["127.0.0.1:%s"]\nstate_dir: %s\napi: {token_file: %s}\nlog: {level: info}\n' \
      "${API_PORT[$name]}" "$dir/state" "$dir/token"
    printf 'registries:\n  "127.0.0.1:%s": {insecure: true}\n  "127.0.0.1:%s": {insecure: true}\n' "$from" "$to"
    printf 'schedules:\n  - {name: %s, cron: "0 0 1 1 *", from: "127.0.0.1:%s", to: "127.0.0.1:%s", skip_verify: true, repos: [%s]}\n' \
      "$name" "$from" "$to" "$repos"
    if [ -n "$next" ]; then
      printf 'notify:\n  - {url: "http://127.0.0.1:%s/v1/schedules/%s/trigger", token_file: %s, events: [job-succeeded]}\n' \
        "${API_PORT[$next]}" "$next" "$W/node-$next/token"
    fi
  } > "$dir/syncd.yaml"
}
node from-c "${PORT[c]}" "${PORT[d]}"
node from-b "${PORT[b]}" "${PORT[c]}" from-c
node from-a "${PORT[a]}" "${PORT[b]}" from-b
for n in from-c from-b from-a; do start_syncd "$W/node-$n/syncd.yaml" "$W/node-$n/log" "${API_PORT[$n]}"; done

gen_workload "${PORT[a]}" "$W/images.txt" --repos "$CHAIN_REPOS" --prefix chain/ --base-mib "$CHAIN_BASE_MIB" \
  --unique-mib "$CHAIN_UNIQUE_MIB" --unique-layers 2 --index-platforms 2
WORKLOAD_MIB=$(($(du -sb "$W/a/data" | cut -f1) / 1048576))
mapfile -t REFS < <(awk '{print $1}' "$W/images.txt" | sed "s|^127.0.0.1:${PORT[a]}/||")

# all_tags_at PORT: every workload tag resolves at that registry.
all_tags_at() {
  local ref
  for ref in "${REFS[@]}"; do
    curl -fs -o /dev/null -I -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' \
      "http://127.0.0.1:$1/v2/${ref%:*}/manifests/${ref##*:}" || return 1
  done
}

T0=$(now)
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $(cat "$W/node-from-a/token")" \
  "http://127.0.0.1:${API_PORT[from-a]}/v1/schedules/from-a/trigger" || bench_die "the trigger at B was refused"
T_B="" T_D=""
while [ -z "$T_D" ]; do
  if [ -z "$T_B" ] && all_tags_at "${PORT[b]}"; then T_B=$(now); fi
  if [ -n "$T_B" ] && all_tags_at "${PORT[d]}"; then T_D=$(now); fi
  awk -v t0="$T0" -v t="$(now)" 'BEGIN { exit !(t - t0 > 300) }' && bench_die "the workload did not reach D in 300 s"
  sleep 0.02
done
# D holds A's bytes: each tag's manifest digest as at A.
while read -r ref digest; do
  repo=${ref#127.0.0.1:"${PORT[a]}"/}
  got=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:${PORT[d]}/$repo" | sha256sum | cut -d' ' -f1)
  [ "sha256:$got" = "$digest" ] || bench_die "D's $repo is sha256:$got, A has $digest"
done < "$W/images.txt"

HOP=$(awk -v a="$T0" -v b="$T_B" 'BEGIN { printf "%.2f", b - a }')
CHAIN=$(awk -v a="$T0" -v b="$T_D" 'BEGIN { printf "%.2f", b - a }')
LIMIT=$(awk -v h="$HOP" 'BEGIN { printf "%.2f", 3 * h + 2 }')
VERDICT=$(awk -v c="$CHAIN" -v l="$LIMIT" 'BEGIN { print (c < l) ? "met" : "**missed**" }')
{
  echo
  echo "### Chain convergence: A -> B -> C -> D, triggered by notify: (\`bench/chain.sh\`)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); workload: $CHAIN_REPOS repos x ($CHAIN_BASE_MIB MiB shared base + 2 x $CHAIN_UNIQUE_MIB MiB) + a 2-platform index, $WORKLOAD_MIB MiB at A; schedules yearly (only triggers move it); D's digests checked against A's."
  echo
  echo "| from the trigger at B to | seconds |"
  echo "|---|---|"
  echo "| every tag at B (one hop) | $HOP |"
  echo "| every tag at D (three hops) | $CHAIN |"
  echo
  echo "Chain: **$CHAIN s**, target < 3 x hop + 2 s = $LIMIT s: $VERDICT."
} | tee -a "${RESULTS_OUT:-/dev/null}"
