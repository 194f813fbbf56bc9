#!/usr/bin/env bash
# make demo: docker-registry processes on 127.0.0.1, a signed sample image set pushed with skopeo
# into A, a verified sync A -> B, a no-op re-sync, B re-seeding C, the same job handed to the
# autonomy-syncd daemon (B -> D, `sync --via`), and the catalog. Stops what it started.
set -euo pipefail
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
WORK=$(mktemp -d /tmp/autonomy-demo.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  shuf -i 20000-40000 -n 1; }

start_registry() {  # name port
  local dir="$WORK/$1"
  mkdir -p "$dir"
  cat > "$dir/config.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$2, secret: autonomy-demo}
YAML
  docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$2/v2/" > /dev/null && return 0; sleep 0.1; done
  echo "registry $1 did not start; see $dir/log" >&2; exit 1
}

PA=$(free_port); PB=$(free_port)
A=127.0.0.1:$PA; B=127.0.0.1:$PB
echo "== starting edge registries A=$A and B=$B"
start_registry edge-a "$PA"
start_registry edge-b "$PB"

echo "== pushing a signed sample image set into A with skopeo (3 repos sharing a base layer + a 2-platform index;"
echo "   signed alternately as cosign 2 does (.sig tag) and as cosign 3 does (Sigstore bundle referrer))"
"$BIN/imagegen" --registry "$A" --layout "$WORK/layout" --repos 3 --prefix fleet/ --base-mib 8 --unique-mib 1 \
  --sign-pub-out "$WORK/cosign.pub" --sign-format mixed --sidecars fleet/app-0

REPOS=fleet/app-0:v1,fleet/app-1:v1,fleet/app-2:v1,fleet/multi-arch:v1
echo
echo "== autonomy registry sync (verified with cosign.pub, sidecars included)"
set -x
"$BIN/autonomy" registry sync --from-registry "$A" --to-registry "$B" --repos "$REPOS" \
  --pub-key "$WORK/cosign.pub" --copy-policy --allow-insecure-registry --out "$WORK/sync"
{ set +x; } 2>/dev/null
echo
echo "== re-sync: nothing changed, so nothing is sent"
"$BIN/autonomy" registry sync --from-registry "$A" --to-registry "$B" --repos "$REPOS" \
  --pub-key "$WORK/cosign.pub" --copy-policy --allow-insecure-registry --out "$WORK/resync"
echo
echo "== B re-seeds its own neighbour using only what it received (signatures travelled)"
PC=$(free_port); C=127.0.0.1:$PC
start_registry edge-c "$PC"
"$BIN/autonomy" registry sync --from-registry "$B" --to-registry "$C" --repos "$REPOS" \
  --pub-key "$WORK/cosign.pub" --allow-insecure-registry --out "$WORK/sync-c" --quiet
echo
echo "== air-gapped: export A to an OCI layout (removable media), import it at a registry with no link to A"
PE=$(free_port); E=127.0.0.1:$PE
start_registry edge-e "$PE"
set -x
"$BIN/autonomy" registry sync --from-registry "$A" --to-layout "$WORK/usb/fleet" --repos "$REPOS" \
  --pub-key "$WORK/cosign.pub" --allow-insecure-registry --out "$WORK/export" --quiet
"$BIN/autonomy" registry sync --from-layout "$WORK/usb/fleet" --to-registry "$E" --repos "$REPOS" \
  --pub-key "$WORK/cosign.pub" --allow-insecure-registry --out "$WORK/import"
{ set +x; } 2>/dev/null
echo
echo "== the same engine as a daemon: autonomy-syncd on 127.0.0.1, B re-seeds D through its job API"
PD=$(free_port); D=127.0.0.1:$PD; PS=$(free_port)
start_registry edge-d "$PD"
mkdir -p "$WORK/syncd"
openssl rand -hex 32 > "$WORK/syncd/token"
chmod 600 "$WORK/syncd/token"
cat > "$WORK/syncd/syncd.yaml" <<YAML
listen: ["127.0.0.1:$PS"]
state_dir: $WORK/syncd/state
api: {token_file: $WORK/syncd/token}
registries:
  "$B": {insecure: true}
  "$D": {insecure: true}
keys: {fleet: $WORK/cosign.pub}
log: {level: warn}
schedules: []
YAML
"$BIN/autonomy-syncd" --config "$WORK/syncd/syncd.yaml" > "$WORK/syncd/log" 2>&1 &
SYNCD=$!
PIDS+=($SYNCD)
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PS/readyz" > /dev/null && break; sleep 0.1; done
export AUTONOMY_SYNCD_URL=http://127.0.0.1:$PS AUTONOMY_SYNCD_TOKEN_FILE=$WORK/syncd/token
set -x
"$BIN/autonomy" registry sync --via "$AUTONOMY_SYNCD_URL" --from-registry "$B" --to-registry "$D" --repos "$REPOS" \
  --key fleet --out "$WORK/sync-d"
"$BIN/autonomy" registry jobs list
{ set +x; } 2>/dev/null
kill "$SYNCD" && wait "$SYNCD" 2>/dev/null || true
echo
echo "== catalog.json of the first sync (repo lines abridged)"
python3 - "$WORK/sync/catalog.json" <<'PY' 2>/dev/null || cat "$WORK/sync/catalog.json"
import json, sys
c = json.load(open(sys.argv[1]))
print(json.dumps({k: c[k] for k in ("from", "to", "result", "counts", "bytes_sent")}, indent=2))
for r in c["repos"]:
    v = r["verification"]
    how = f'{v["format"]:15} key {v["key_fingerprint"][:19]}' if isinstance(v, dict) else v
    print(f'  {r["repo"]:22} {r["status"]:11} {r["digest"][:19]}  {how}  sidecars {[s["kind"]+":"+s["status"] for s in r["sidecars"]]}')
PY
echo
echo "demo done: registries stopped, $WORK removed"
