#!/usr/bin/env bash
# The API under a connection flood: autonomy-syncd on 127.0.0.1, a client holding IDLE idle
# sockets and HALF half-sent request headers open (no token), then ROUNDS authenticated
# `GET /v1/jobs` through curl, each on a new connection. Prints median, p99 and max latency and
# the daemon's open descriptors. Usage: bench/api-flood.sh [build/bin]
# Knobs: IDLE (1000), HALF (200), ROUNDS (50).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
IDLE=${IDLE:-1000}
HALF=${HALF:-200}
ROUNDS=${ROUNDS:-50}
ulimit -n 65536 2>/dev/null || ulimit -n 8192

bench_init
W=$BENCH_WORK
PD=$(free_port)
syncd_config "$PD"
start_syncd "$W/syncd.yaml" "$W/syncd.log" "$PD"

# The flood: sockets opened and held by one Python process for a minute (killed at the end).
exec 3> >("$BENCH_PY" - "$PD" "$IDLE" "$HALF" > "$W/flood.log" 2>&1 <<'PY'
import socket, sys, time
port, idle, half = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held = []
for i in range(idle + half):
    s = socket.create_connection(("127.0.0.1", port))
    if i >= idle:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: flood\r\nX-Slow: ")
    held.append(s)
print("holding", len(held), flush=True)
time.sleep(60)
PY
)
FLOOD=$!
bench_track "$FLOOD"
sleep 3
FDS=$(ls "/proc/$DPID/fd" | wc -l)
: > "$W/lat.txt"
for _ in $(seq "$ROUNDS"); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PD/v1/jobs" >> "$W/lat.txt"
done
OK=$(awk '$1 == 200' "$W/lat.txt" | wc -l)
"$BENCH_PY" - "$W/lat.txt" "$IDLE" "$HALF" "$OK" "$ROUNDS" "$FDS" <<'PY'
import sys
lat = sorted(float(l.split()[1]) * 1000 for l in open(sys.argv[1]) if l.strip())
idle, half, ok, rounds, fds = sys.argv[2:7]
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"api flood: {idle} idle + {half} half-sent connections held; authenticated GET /v1/jobs "
      f"{ok}/{rounds} answered 200, median {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1]:.1f} ms; "
      f"daemon holds {fds} descriptors")
PY
kill "$FLOOD" 2>/dev/null || true
