#!/usr/bin/env bash
# Webhook ingress benchmark (issue: webhook ingress).
# In one run, alternating, ROUNDS times: a minimal C libmicrohttpd + HMAC server (no
# storage; bench/baseline/hmac_server.c) and the service's POST /webhooks/github, which
# stores every delivery durably (SQLite WAL, synchronous=FULL, group commit) before its 202.
# Load: wrk, 2 threads, 64 connections, signed 8 KB check_suite bodies, unique delivery ids.
# Prints req/s and server CPU per request for each, their medians, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
OUT=bench/out
SECRET=bench-webhook-secret
mkdir -p "$OUT"

bash .ci/install-deps >/dev/null
swift build -c release --product ai-operator 2>&1 | tail -1
BIN=$(swift build -c release --show-bin-path)/ai-operator
cc -O2 -o "$OUT/hmac-baseline" bench/baseline/hmac_server.c -lmicrohttpd -lcrypto

python3 - "$OUT/body.json" <<'PY'
import json, sys
doc = {"action": "completed",
       "check_suite": {"id": 1, "head_sha": "9f2c1d0e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d", "head_branch": "rollback/web-abc1234",
                       "status": "completed", "conclusion": "success", "pull_requests": [{"number": 7}]},
       "repository": {"full_name": "acme/gitops"}, "sender": {"login": "github-actions[bot]", "type": "Bot"},
       "padding": ""}
base = len(json.dumps(doc, separators=(",", ":")))
doc["padding"] = "x" * (8192 - base)
open(sys.argv[1], "w").write(json.dumps(doc, separators=(",", ":")))
PY
export BENCH_BODY="$OUT/body.json"
export BENCH_SIG="sha256=$(openssl dgst -sha256 -hmac "$SECRET" < "$BENCH_BODY" | awk '{print $NF}')"
TICKS=$(getconf CLK_TCK)

# The service writes about 1 GB per round. Deleting that (ext4 may discard the freed blocks) and
# the page cache's writeback go on for seconds after a round; they must not fall inside the next
# server's measurement. So: the data of an earlier run goes now, and each round's data right
# after it was counted, each time followed by a sync and a pause.
settle() { sync; sleep "${SETTLE_SECONDS:-3}"; }
rm -rf "$OUT"/data-*
settle

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() { # url pid
  for _ in $(seq 1 200); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

run_one() { # name round -> prints "reqs_per_sec cpu_us_per_req non2xx"
  local name=$1 round=$2 port pid
  port=$(free_port)
  if [ "$name" = baseline ]; then
    "$OUT/hmac-baseline" "$port" "$SECRET" >/dev/null & pid=$!
    wait_ready "http://127.0.0.1:$port/" "$pid" || true
  else
    GITHUB_TOKEN=bench-token GITHUB_WEBHOOK_SECRET=$SECRET ARGOCD_URL=http://127.0.0.1:9 ARGOCD_TOKEN=bench \
    ARGOCD_WEBHOOK_TOKEN=bench-argo API_TOKEN=bench-api-token-0123456789 ALERTS_REPO=acme/alerts \
    KUBERNETES_API_URL=http://127.0.0.1:9 DATA_DIR="$OUT/data-$round" LISTEN_ADDR="127.0.0.1:$port" LOG_LEVEL=WARNING \
      "$BIN" serve >"$OUT/service-$round.log" 2>&1 & pid=$!
    wait_ready "http://127.0.0.1:$port/readyz" "$pid"
  fi
  local before after
  before=$(cpu_ticks "$pid")
  BENCH_RUN="$name$round" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s bench/webhooks/post.lua "http://127.0.0.1:$port" >"$OUT/wrk-$name-$round.txt" 2>&1
  after=$(cpu_ticks "$pid")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  local rps total non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk-$name-$round.txt")
  total=$(awk '/requests in/ {print $1}' "$OUT/wrk-$name-$round.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$OUT/wrk-$name-$round.txt"); non2xx=${non2xx:-0}
  local stored=""
  if [ "$name" = service ]; then
    stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from deliveries').fetchone()[0])" "$OUT/data-$round/operator.sqlite3" 2>/dev/null || echo "?")
    rm -rf "$OUT/data-$round"
  fi
  settle >&2
  python3 -c "import sys; t,b,a,r=map(float,sys.argv[1:5]); print(f'{r:.0f} {(a-b)/t/max(1,float(sys.argv[5]))*1e6:.1f} {sys.argv[6]} {sys.argv[7]}')" \
    "$TICKS" "$before" "$after" "$rps" "$total" "$non2xx" "${stored:--}"
}

declare -a B_RPS S_RPS B_CPU S_CPU
printf '%-9s %-6s %12s %16s %8s %10s\n' server round "req/s" "CPU µs/request" non-2xx stored
for r in $(seq 1 "$ROUNDS"); do
  for name in baseline service; do
    read -r rps cpu non stored < <(run_one "$name" "$r")
    printf '%-9s %-6s %12s %16s %8s %10s\n' "$name" "$r" "$rps" "$cpu" "$non" "$stored"
    if [ "$name" = baseline ]; then B_RPS+=("$rps"); B_CPU+=("$cpu"); else S_RPS+=("$rps"); S_CPU+=("$cpu"); fi
  done
done
python3 - "${B_RPS[*]}" "${S_RPS[*]}" "${B_CPU[*]}" "${S_CPU[*]}" <<'PY'
import statistics, sys
b, s, bc, sc = ([float(x) for x in a.split()] for a in sys.argv[1:5])
mb, ms = statistics.median(b), statistics.median(s)
print(f"median req/s: baseline {mb:.0f}, service {ms:.0f}; ratio service/baseline = {ms/mb:.2f} (target >= 0.40)")
print(f"median server CPU per request: baseline {statistics.median(bc):.1f} µs, service {statistics.median(sc):.1f} µs")
PY
