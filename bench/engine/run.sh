#!/usr/bin/env bash
# Engine benchmarks in release mode: PR-creation latency (5 runs) and poller cost for 1,000
# and 10,000 simulated applications (each against a 1-application baseline in the same run).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/install-deps >/dev/null
swift build -c release --product ai-operator 2>&1 | tail -1
swift build -c release --product EngineBench 2>&1 | tail -1
BIN=$(swift build -c release --show-bin-path)
"$BIN/EngineBench" pr-latency "${RUNS:-5}"
for apps in 1000 10000; do
  "$BIN/EngineBench" poller "$apps" "${CYCLES:-10}" "$BIN/ai-operator"
done
