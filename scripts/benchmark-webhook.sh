#!/usr/bin/env bash
# Measures the webhook as the API server sees it: latency and throughput of POST /validate over TLS with
# the sample AdmissionReview (a Deployment judged by the whole pack), plus the server's memory.
# Prints figures; the numbers recorded in docs/performance.md come from this script.
#   scripts/benchmark-webhook.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-20}"
connections="${2:-8}"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi
if [ ! -f target/quarkus-app/quarkus-run.jar ]; then
  ./mvnw -B -q package -DskipTests
fi

log=$(mktemp)
java -Xmx256m -jar target/quarkus-app/quarkus-run.jar >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log" "$lua"' EXIT
for _ in $(seq 1 60); do
  curl -sf http://localhost:9000/q/health/ready >/dev/null 2>&1 && break
  sleep 1
done
curl -sf http://localhost:9000/q/health/ready >/dev/null || { echo "webhook did not become ready"; cat "$log"; exit 1; }

lua=$(mktemp --suffix=.lua)
body=$(tr -d '\n' < deploy/examples/admission-review-deployment.json | sed 's/\\/\\\\/g; s/"/\\"/g')
cat >"$lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = "$body"
LUA

echo "--- warm-up (10 s)"
wrk -t2 -c"$connections" -d10s -s "$lua" https://localhost:8443/validate >/dev/null
echo "--- measured: ${duration}s, $connections connections, 2 client threads on the same 2-core machine"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$lua" https://localhost:8443/validate
echo "--- server-side time per review (safeguard_admission_duration_seconds)"
curl -s http://localhost:9000/q/metrics | grep -E '^safeguard_admission_duration_seconds_(count|sum|max)'
echo "--- server memory"
grep -E 'VmRSS|VmHWM' /proc/$server/status
