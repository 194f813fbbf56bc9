#!/usr/bin/env bash
# Peak memory of `autonomy registry sync` against a hostile source (issue 10's inputs), with
# /usr/bin/time: (1) a .sig manifest listing a 1 MiB payload blob 600 times (each with its own
# signature annotation), verified with --pub-key; (2) an unsigned .att index listing one ~4 MB
# child manifest 150 times, copied with --skip-verify. Then the same two as autonomy-syncd jobs,
# reading the daemon's peak RSS (VmHWM) after each. Usage: bench/hostile.sh [build/bin]
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
bench_init
W=$BENCH_WORK
PA=$(free_port); PB=$(free_port)
start_registry a "$PA"
start_registry b "$PB"
gen_workload "$PA" "$W/images.txt" --repos 1 --prefix hostile/ --base-mib 1 --unique-mib 1 --unique-layers 1 \
  --index-platforms 0 --sign-pub-out "$W/cosign.pub"
DIGEST=$(awk '{print $2}' "$W/images.txt" | head -1)

# Craft and push the hostile manifests with plain HTTP calls.
"$BENCH_PY" - "127.0.0.1:$PA" "hostile/app-0" "$DIGEST" <<'PY'
import hashlib, json, os, sys, urllib.request
host, repo, digest = sys.argv[1:4]
base = f"http://{host}/v2/{repo}"
def push_blob(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    r = urllib.request.urlopen(urllib.request.Request(base + "/blobs/uploads/", method="POST"))
    loc = r.headers["Location"]
    loc = loc if loc.startswith("http") else f"http://{host}{loc}"
    sep = "&" if "?" in loc else "?"
    urllib.request.urlopen(urllib.request.Request(f"{loc}{sep}digest={d}", data=data, method="PUT",
                                                  headers={"Content-Type": "application/octet-stream"}))
    return {"mediaType": "application/octet-stream", "digest": d, "size": len(data)}
def put_manifest(ref, m, mt):
    body = json.dumps(m).encode()
    urllib.request.urlopen(urllib.request.Request(f"{base}/manifests/{ref}", data=body, method="PUT",
                                                  headers={"Content-Type": mt}))
    return {"mediaType": mt, "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}
OCI = "application/vnd.oci.image.manifest.v1+json"
hexd = digest.split(":")[1]
config = push_blob(b"{}"); config["mediaType"] = "application/vnd.oci.image.config.v1+json"
payload = push_blob(os.urandom(1 << 20))
layers = [dict(payload, mediaType="application/vnd.dev.cosign.simplesigning.v1+json",
               annotations={"dev.cosignproject.cosign/signature": "MEUCIQ" + "%06d" % i + "=="}) for i in range(600)]
put_manifest(f"sha256-{hexd}.sig", {"schemaVersion": 2, "mediaType": OCI, "config": config, "layers": layers}, OCI)
empty = push_blob(b"{}"); empty["mediaType"] = "application/vnd.oci.empty.v1+json"
layer = push_blob(b"{}"); layer["mediaType"] = "application/json"
child = put_manifest(f"sha256:{'0'*0}" if False else "child-4mb", {"schemaVersion": 2, "mediaType": OCI, "config": empty,
        "layers": [layer], "annotations": {"padding": "p" * (4_000_000)}}, OCI)
IDX = "application/vnd.oci.image.index.v1+json"
put_manifest(f"sha256-{hexd}.att", {"schemaVersion": 2, "mediaType": IDX, "manifests": [child] * 150}, IDX)
PY

run() {  # run LABEL ARGS...: peak RSS and exit status of one sync
  local label=$1; shift
  local out="$W/out-$label"
  set +e
  /usr/bin/time -f "%M %e" -o "$W/time-$label" "$BENCH_BIN/autonomy" registry sync --from-registry "127.0.0.1:$PA" \
    --to-registry "127.0.0.1:$PB" --repos hostile/app-0:v1 --allow-insecure-registry --out "$out" -q "$@" \
    > "$W/log-$label" 2>&1
  local rc=$?
  set -e
  read -r kib secs < <(tail -n1 "$W/time-$label")
  printf 'hostile %-28s exit %d, peak RSS %.1f MiB, %s s; %s\n' "$label" "$rc" "$(echo "$kib / 1024" | bc -l)" "$secs" \
    "$(grep -o '"message": *"[^"]*' "$out/hostile/app-0/seed.json" 2>/dev/null | head -1 | cut -c13-150)"
}
run ".sig with 600 x 1 MiB layers" --pub-key "$W/cosign.pub"
run ".att index, 150 x 4 MB child" --skip-verify

# The same inputs as daemon jobs: the daemon's VmHWM after each (it only grows).
PD=$(free_port)
syncd_config "$PD" "registries:
  \"127.0.0.1:$PA\": {insecure: true}
  \"127.0.0.1:$PB\": {insecure: true}
keys:
  fleet: $W/cosign.pub"
start_syncd "$W/syncd.yaml" "$W/syncd.log" "$PD"
hwm_kib() { awk '$1 == "VmHWM:" {print $2}' "/proc/$DPID/status"; }
printf 'hostile %-28s %.1f MiB\n' "daemon idle: peak RSS" "$(echo "$(hwm_kib) / 1024" | bc -l)"
daemon_job() {  # daemon_job LABEL VERIFY-FIELDS: submit, wait for the end, print the state and VmHWM
  local label=$1 fields=$2 id state="" t0 t1
  # B starts without the image each time, as in the CLI runs' first contact.
  curl -fsS -o /dev/null -X DELETE "http://127.0.0.1:$PB/v2/hostile/app-0/manifests/$DIGEST" 2>/dev/null || true
  t0=$(date +%s.%N)
  id=$(curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"from_registry\": \"127.0.0.1:$PA\", \"to_registry\": \"127.0.0.1:$PB\", \"repos\": [\"hostile/app-0:v1\"], $fields}" \
    "http://127.0.0.1:$PD/v1/jobs" | "$BENCH_PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for _ in $(seq 600); do
    state=$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PD/v1/jobs/$id" |
      "$BENCH_PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    case "$state" in queued | running) sleep 0.1 ;; *) break ;; esac
  done
  t1=$(date +%s.%N)
  printf 'hostile daemon %-21s %s, peak RSS %.1f MiB, %.2f s\n' "$label" "$state" \
    "$(echo "$(hwm_kib) / 1024" | bc -l)" "$(echo "$t1 - $t0" | bc -l)"
}
daemon_job ".sig, 600 x 1 MiB layers" '"key": "fleet"'
daemon_job ".att index, 150 x 4 MB" '"skip_verify": true'
