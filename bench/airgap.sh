#!/usr/bin/env bash
# Air-gapped transfer figures: time and peak RSS of exporting a signed workload from A to an
# OCI archive and importing it into B (`--to-archive` / `--from-archive`), with skopeo copy
# docker:// -> oci-archive: of the same repo as the reference for the export. The workload has
# one large layer (AIRGAP_BASE_MIB, default 512) so that memory bounded by buffers, not by blob
# size, shows. Usage: bench/airgap.sh [build/bin]
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
bench_init
W=$BENCH_WORK
MIB=${AIRGAP_BASE_MIB:-512}
PA=$(free_port); PB=$(free_port)
start_registry a "$PA"
start_registry b "$PB"
gen_workload "$PA" "$W/images.txt" --repos 2 --prefix airgap/ --base-mib "$MIB" --unique-mib 1 \
  --index-platforms 0 --sign-pub-out "$W/cosign.pub"
FIRST=${WORKLOAD_REPOS%%,*}

row() { printf '| %-44s | %8s s | %8s MiB | %s |\n' "$1" "$M_SECS" "$((M_KIB / 1024))" "$2"; }
echo "| step (2 repos sharing a ${MIB} MiB base, signed) | wall | peak RSS | notes |"
echo "|---|---|---|---|"
measure "$W/export.log" "$BENCH_BIN/autonomy" registry sync --from-registry "127.0.0.1:$PA" \
  --to-archive "$W/fleet.tar" --repos "$WORKLOAD_REPOS" --pub-key "$W/cosign.pub" \
  --allow-insecure-registry --out "$W/export" --quiet
[ "$M_RC" = 0 ] || bench_die "export failed: $(cat "$W/export.log")"
row "autonomy sync --to-archive" "archive $(($(stat -c %s "$W/fleet.tar") / 1048576)) MiB"
measure "$W/import.log" "$BENCH_BIN/autonomy" registry sync --from-archive "$W/fleet.tar" \
  --to-registry "127.0.0.1:$PB" --repos "$WORKLOAD_REPOS" --pub-key "$W/cosign.pub" \
  --allow-insecure-registry --out "$W/import" --quiet
[ "$M_RC" = 0 ] || bench_die "import failed: $(cat "$W/import.log")"
row "autonomy sync --from-archive" "verified again, into an empty B"
measure "$W/skopeo.log" skopeo --insecure-policy copy --src-tls-verify=false \
  "docker://127.0.0.1:$PA/$FIRST" "oci-archive:$W/skopeo.tar:$FIRST"
[ "$M_RC" = 0 ] || bench_die "skopeo failed: $(cat "$W/skopeo.log")"
row "skopeo copy docker:// -> oci-archive: (1 repo)" "reference: no verification, one repo"
