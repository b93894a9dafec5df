#!/usr/bin/env bash
# Runs the service locally with deploy/local/config.yaml: builds it, starts `serve`, sends it
# a signed GitHub delivery, an Argo CD notification and a forged delivery, shows what it
# stored and a few metrics, then keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/install-deps
swift build -c release --product ai-operator
BIN=$(swift build -c release --show-bin-path)/ai-operator
PORT=${PORT:-8080}
export LISTEN_ADDR=127.0.0.1:$PORT DATA_DIR=${DATA_DIR:-./data}
"$BIN" config check --config deploy/local/config.yaml
"$BIN" serve --config deploy/local/config.yaml &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.1; done

BODY=webhooks/samples/github/check_suite-completed.json
SIG="sha256=$(openssl dgst -sha256 -hmac local-webhook-secret < "$BODY" | awk '{print $NF}')"
ID="local-$(date +%s)"
echo; echo "== a signed check_suite delivery (202, then 200 for the same id)"
for _ in 1 2; do
  curl -s -w '  -> HTTP %{http_code}\n' -X POST "http://127.0.0.1:$PORT/webhooks/github" -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: check_suite' -H "X-GitHub-Delivery: $ID" -H "X-Hub-Signature-256: $SIG" --data-binary @"$BODY"
done
echo "== a forged delivery (401)"
curl -s -w '  -> HTTP %{http_code}\n' -X POST "http://127.0.0.1:$PORT/webhooks/github" -H 'X-GitHub-Event: check_suite' \
  -H "X-GitHub-Delivery: forged-$ID" -H "X-Hub-Signature-256: sha256=$(printf '0%.0s' $(seq 1 64))" --data-binary @"$BODY"
echo "== an Argo CD notification (202)"
curl -s -w '  -> HTTP %{http_code}\n' -X POST "http://127.0.0.1:$PORT/webhooks/argocd" -H 'Authorization: Bearer local-argocd-webhook-token' \
  --data-binary @webhooks/samples/argocd/on-health-degraded.json
echo; echo "== GET /api/v1/deliveries?limit=4"
curl -s "http://127.0.0.1:$PORT/api/v1/deliveries?limit=4" | python3 -m json.tool
echo; echo "== GET /metrics (webhook counters)"
curl -s "http://127.0.0.1:$PORT/metrics" | grep '^ai_operator_webhooks_received_total'
echo; echo "Serving on http://127.0.0.1:$PORT (Ctrl-C stops it gracefully)."
wait $PID
