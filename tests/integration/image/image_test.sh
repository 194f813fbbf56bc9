#!/bin/bash
# The container image end to end (issue 14), as an operator on podman would run it:
#   image_test.sh BIN_DIR SOURCE_DIR
# builds it with packaging/image/build-image.sh, runs it with podman on the host network (the
# API on 127.0.0.1, config and state as bind-mounted volumes), checks the non-root user and the
# health check, submits a signed job A -> B and waits for it to succeed; then pushes the image
# itself to registry A, signs it, and syncs it A -> B with the CLI, digest preserved. Registries
# are docker-registry processes on 127.0.0.1 started here. Exit 77 (skipped) if not root.
set -euo pipefail
[ $# -eq 2 ] || {
  echo "usage: $0 BIN_DIR SOURCE_DIR" >&2
  exit 2
}
BENCH_BIN=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "skipped: building and running the image needs root (buildah mount, podman)"
  exit 77
fi
for t in buildah podman skopeo docker-registry; do
  command -v "$t" >/dev/null || {
    echo "FAIL: $t is not installed (make deps installs it)" >&2
    exit 1
  }
done
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
bench_init
W=$BENCH_WORK
image=localhost/autonomy-syncd:image-test-$$
name=autonomy-syncd-image-test-$$
cleanup_image() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  bench_cleanup
}
trap cleanup_image EXIT
fail() {
  echo "FAIL: $*" >&2
  podman logs "$name" 2>&1 | tail -20 >&2 || true
  exit 1
}
# This machine runs cgroup v1 (hybrid), which crun refuses, and caps rlimits below podman's
# defaults: runc and explicit ulimits work everywhere podman does.
PODMAN_RUN=(podman --runtime runc run --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

bash "$src/packaging/image/build-image.sh" "$BENCH_BIN" "$image" >/dev/null || fail "build-image.sh"
echo "ok: image built"
user=$(podman image inspect --format '{{.Config.User}}' "$image")
[ "$user" = "10001:10001" ] || fail "image user is '$user', not 10001:10001"
echo "ok: runs as 10001:10001"

PA=$(free_port); PB=$(free_port); PD=$(free_port); PM=$(free_port)
start_registry a "$PA"
start_registry b "$PB"
gen_workload "$PA" "$W/images.txt" --repos 2 --prefix fleet/ --base-mib 1 --unique-mib 1 --unique-layers 1 \
  --index-platforms 0 --sign-pub-out "$W/cosign.pub"

# What an operator mounts: /etc/autonomy (config, token, key) and the state dir, readable by 10001.
mkdir -p "$W/etc" "$W/state"
TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOKEN" >"$W/etc/syncd.token"
cp "$W/cosign.pub" "$W/etc/cosign.pub"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=autonomy-syncd -days 1 \
  -keyout "$W/etc/tls.key" -out "$W/etc/tls.crt" 2>/dev/null || fail "openssl req"
cat >"$W/etc/syncd.yaml" <<YAML
# As packaging/kubernetes/daemonset.yaml: the API on loopback, HTTPS for Prometheus elsewhere.
listen: ["127.0.0.1:$PD", "0.0.0.0:$PM"]
state_dir: /var/lib/autonomy-syncd
api:
  token_file: /etc/autonomy/syncd.token
  tls: {cert_file: /etc/autonomy/tls.crt, key_file: /etc/autonomy/tls.key}
registries:
  "127.0.0.1:$PA": {insecure: true}
  "127.0.0.1:$PB": {insecure: true}
keys:
  fleet: /etc/autonomy/cosign.pub
schedules: []
YAML
chown -R 10001:10001 "$W/etc" "$W/state"
chmod 0600 "$W/etc/syncd.token" "$W/etc/tls.key"

# (Without systemd here, podman cannot arm its health-check timer and says so; the check itself
# is run below with `podman healthcheck run`.)
"${PODMAN_RUN[@]}" -d --name "$name" --network host --read-only \
  -v "$W/etc:/etc/autonomy:ro" -v "$W/state:/var/lib/autonomy-syncd" "$image" >/dev/null 2>"$W/podman-run.log" ||
  fail "podman run: $(cat "$W/podman-run.log")"
ready=0
for _ in $(seq 200); do  # api.tls applies to every TCP listener, loopback too
  if curl -fsk -o /dev/null "https://127.0.0.1:$PD/readyz"; then ready=1; break; fi
  sleep 0.1
done
[ "$ready" = 1 ] || fail "the daemon in the container is not ready"
echo "ok: /readyz answers from the container"
podman healthcheck run "$name" >/dev/null || fail "podman healthcheck run"
echo "ok: the image's health check passes"
metrics=$(curl -fsSk "https://127.0.0.1:$PM/metrics") || fail "GET /metrics over HTTPS on 0.0.0.0:$PM"
grep -q '^autonomy_syncd_jobs{state="queued"}' <<<"$metrics" || fail "no metrics over HTTPS on the non-loopback listener"
echo "ok: /metrics over HTTPS on 0.0.0.0:$PM, read-only root filesystem"
[ "$(podman exec "$name" /usr/sbin/autonomy-syncd --version)" = "$("$BENCH_BIN/autonomy-syncd" --version)" ] ||
  fail "the image holds another autonomy-syncd"

API=https://127.0.0.1:$PD
repos=$("$BENCH_PY" -c 'import json,sys; print(json.dumps(sys.argv[1].split(",")))' "$WORKLOAD_REPOS")
id=$(curl -fsSk -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"from_registry\": \"127.0.0.1:$PA\", \"to_registry\": \"127.0.0.1:$PB\", \"repos\": $repos, \"key\": \"fleet\"}" \
  "$API/v1/jobs" | "$BENCH_PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "POST /v1/jobs"
state=""
for _ in $(seq 300); do
  state=$(curl -fsSk -H "Authorization: Bearer $TOKEN" "$API/v1/jobs/$id" |
    "$BENCH_PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  case "$state" in queued | running) sleep 0.1 ;; *) break ;; esac
done
[ "$state" = succeeded ] || fail "job $id: $state"
echo "ok: job $id succeeded in the container"
owners=$(find "$W/state" -mindepth 1 -printf '%u\n' | sort -u | paste -sd, -)
[ "$owners" = 10001 ] || fail "the state volume holds files of '$owners', not only of 10001"
echo "ok: the state volume is written by the non-root user only"
for r in ${WORKLOAD_REPOS//,/ }; do
  da=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$PA/$r")
  db=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$PB/$r")
  [ "$da" = "$db" ] || fail "$r: $da at A, $db at B"
done
echo "ok: every repo at B has A's digest"
podman stop -t 10 "$name" >/dev/null 2>&1

# The image itself travels like any fleet image: pushed to A, signed, synced by the CLI.
skopeo copy -q --dest-tls-verify=false "containers-storage:$image" "docker://127.0.0.1:$PA/autonomy/syncd:test" ||
  fail "push the image to A"
digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$PA/autonomy/syncd:test")
mkdir -p "$W/layout"
"$BENCH_BIN/imagegen" --registry "127.0.0.1:$PA" --layout "$W/layout" --sign-pub-out "$W/image.pub" \
  --sign-only "autonomy/syncd@$digest" >/dev/null || fail "sign the image"
"$BENCH_BIN/autonomy" registry sync --from-registry "127.0.0.1:$PA" --to-registry "127.0.0.1:$PB" \
  --repos autonomy/syncd:test --pub-key "$W/image.pub" --allow-insecure-registry --out "$W/out" -q ||
  fail "autonomy registry sync of the image"
db=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$PB/autonomy/syncd:test")
[ "$db" = "$digest" ] || fail "the image at B is $db, at A $digest"
echo "ok: the image synced signed, digest $digest"
