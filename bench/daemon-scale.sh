#!/usr/bin/env bash
# The daemon at scale (issue 13): a job store of 1,000 finished jobs and 20,000 repo records.
# One real job of 20 repos runs A -> B; its rows are then cloned in the daemon's SQLite file
# (python3's sqlite3, new ids, same content) to 1,000 jobs. The daemon is restarted on that
# store and measured: start-up (exec to /readyz 200), idle RSS 3 s later, and `GET /v1/jobs`
# (the newest 50, the default page) and `GET /v1/jobs?limit=500` under wrk.
# Usage: bench/daemon-scale.sh [build/bin] [RESULTS.md]   (make bench-daemon-scale; make bench
# appends the figures to bench/RESULTS.md)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BIN=$(cd "${1:-build/bin}" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
bench_init
W=$BENCH_WORK
JOBS=${SCALE_JOBS:-1000}
REPOS=${SCALE_REPOS:-20}

PA=$(free_port); PB=$(free_port); PD=$(free_port)
start_registry a "$PA"
start_registry b "$PB"
gen_workload "$PA" "$W/images.txt" --repos "$REPOS" --prefix scale/ --base-mib 1 --unique-mib 1 --unique-layers 1 \
  --index-platforms 0 --sign-pub-out "$W/cosign.pub"
syncd_config "$PD" "registries:
  \"127.0.0.1:$PA\": {insecure: true}
  \"127.0.0.1:$PB\": {insecure: true}
keys:
  fleet: $W/cosign.pub
jobs: {keep_finished: $((JOBS * 2)), keep_days: 365}"
start_syncd "$W/syncd.yaml" "$W/syncd.log" "$PD"
API=http://127.0.0.1:$PD
auth=(-H "Authorization: Bearer $TOKEN")
repos=$("$BENCH_PY" -c 'import json,sys; print(json.dumps(sys.argv[1].split(",")))' "$WORKLOAD_REPOS")
id=$(curl -fsS "${auth[@]}" -H 'Content-Type: application/json' \
  -d "{\"from_registry\": \"127.0.0.1:$PA\", \"to_registry\": \"127.0.0.1:$PB\", \"repos\": $repos, \"key\": \"fleet\"}" \
  "$API/v1/jobs" | "$BENCH_PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 600); do
  state=$(curl -fsS "${auth[@]}" "$API/v1/jobs/$id" | "$BENCH_PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  case "$state" in queued | running) sleep 0.1 ;; *) break ;; esac
done
[ "$state" = succeeded ] || bench_die "the seed job ended $state"
bench_stop "$DPID" TERM

db=$(find "$W/state" -maxdepth 1 -name '*.db' -o -maxdepth 1 -name '*.sqlite*' | grep -v -- '-wal\|-shm' | head -1)
[ -n "$db" ] || bench_die "no job database under $W/state: $(ls "$W/state")"
"$BENCH_PY" - "$db" "$id" "$JOBS" <<'PY'
import secrets, sqlite3, sys
db, seed, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = sqlite3.connect(db)
jcols = [r[1] for r in con.execute("PRAGMA table_info(jobs)") if r[1] != "seq"]
rcols = [r[1] for r in con.execute("PRAGMA table_info(job_repos)")]
job = dict(zip(jcols, con.execute(f"SELECT {','.join(jcols)} FROM jobs WHERE id=?", (seed,)).fetchone()))
rows = [dict(zip(rcols, r)) for r in con.execute(f"SELECT {','.join(rcols)} FROM job_repos WHERE job_id=?", (seed,))]
for _ in range(total - 1):
    new = secrets.token_hex(8)
    j = dict(job, id=new, idempotency_key=None)
    con.execute(f"INSERT INTO jobs ({','.join(jcols)}) VALUES ({','.join('?' * len(jcols))})", [j[c] for c in jcols])
    for r in rows:
        r = dict(r, job_id=new)
        con.execute(f"INSERT INTO job_repos ({','.join(rcols)}) VALUES ({','.join('?' * len(rcols))})",
                    [r[c] for c in rcols])
con.commit()
print(f"job store: {con.execute('SELECT COUNT(*) FROM jobs').fetchone()[0]} jobs, "
      f"{con.execute('SELECT COUNT(*) FROM job_repos').fetchone()[0]} repo records")
PY

t0=$(date +%s%N)
"$BENCH_BIN/autonomy-syncd" --config "$W/syncd.yaml" > "$W/syncd2.log" 2>&1 &
DPID=$!
bench_track "$DPID"
until curl -fs -o /dev/null "$API/readyz"; do
  kill -0 "$DPID" 2>/dev/null || bench_die "the daemon exited: $(tail -5 "$W/syncd2.log")"
  sleep 0.005
done
t1=$(date +%s%N)
sleep 3
idle=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$DPID/status")
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" > "$W/auth.lua"
{
echo "daemon at scale: $JOBS finished jobs x $REPOS repos, $(nproc) cores, $(date -u +%F)"
printf '  start-up to /readyz: %d ms\n' $(((t1 - t0) / 1000000))
printf '  idle RSS (3 s after /readyz): %.1f MiB\n' "$(echo "$idle / 1024" | bc -l)"
for path in "/v1/jobs" "/v1/jobs?limit=500"; do
  out=$(wrk -t2 -c8 -d10s --latency -s "$W/auth.lua" "$API$path")
  rps=$(sed -n 's/^Requests\/sec: *//p' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' <<<"$out")
  printf '  GET %-20s %8s requests/s, p50 %s, p99 %s, non-2xx %s\n' "$path" "$rps" "$p50" "$p99" "${non2xx:-0}"
done
printf '  RSS after the wrk runs: %.1f MiB\n' "$(echo "$(awk '$1 == "VmRSS:" {print $2}' "/proc/$DPID/status") / 1024" | bc -l)"
} | tee "$W/figures.txt"
if [ -n "${2:-}" ]; then
  {
    printf '\n## Daemon at scale\n\n`bash bench/daemon-scale.sh` (targets: `GET /v1/jobs` p99 under 20 ms, idle RSS under 40 MiB, start-up under 1 s):\n\n```\n'
    cat "$W/figures.txt"
    printf '```\n'
  } >> "$2"
fi
