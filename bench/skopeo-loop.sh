#!/usr/bin/env bash
# The "skopeo copy loop" of the benchmark: one `skopeo copy --all --preserve-digests` per repo,
# sequentially, A -> B. Usage: bench/skopeo-loop.sh SRC_HOST DST_HOST repo:tag[,repo:tag...]
# SKOPEO_FLAGS (space-separated, e.g. --debug) go before the subcommand.
set -euo pipefail
src=$1 dst=$2
read -r -a global <<< "${SKOPEO_FLAGS:-}"
for r in ${3//,/ }; do
  skopeo ${global[@]+"${global[@]}"} copy --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$src/$r" "docker://$dst/$r"
done
