#!/usr/bin/env bash
# Stress test of the packaged webhook under the hostile inputs of issue 11, with the Helm chart's memory
# sizing: prints resident memory (idle, peak, high-water mark) and the latency of normal reviews (p50/p99)
# alone and while hostile reviews arrive. The figures in docs/operations.md ("Sizing") come from this script.
#
#   scripts/stress-webhook.sh [seconds]        # default 20 s per phase
#   STRESS_SKIP=heap-rule-2.7KB scripts/stress-webhook.sh    # leave hostile inputs out (names as printed)
#   JAVA_OPTS=... MEMORY_LIMIT=768Mi WORKERS=4 scripts/stress-webhook.sh    # other sizing than the chart's
#
# The server runs with the chart's JAVA_TOOL_OPTIONS and worker settings (read from values.yaml) and
# -XX:MaxRAM set to the chart's memory limit, so the JVM sizes itself as in a pod with that limit. Its policy
# adds two deliberately hostile custom rules (quadratic string work; heap exhaustion). Traffic goes to
# 127.0.0.1 only; every phase is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
values=helm/kube-safeguard/values.yaml

java_opts="${JAVA_OPTS:-$(sed -n 's/^javaToolOptions: *"\(.*\)"/\1/p' "$values")}"
limit="${MEMORY_LIMIT:-$(awk '/^resources:/{r=1} r&&/limits:/{l=1} r&&l&&/memory:/{print $2; exit}' "$values")}"
workers="${WORKERS:-$(awk '/^admission:/{a=1} a&&/^  workers:/{print $2; exit}' "$values")}"
max_ram=$(echo "$limit" | sed 's/Mi$/m/; s/Gi$/g/')

if [ ! -f target/quarkus-app/quarkus-run.jar ]; then
  ./mvnw -B -q package -DskipTests
fi

work=$(mktemp -d)
cat >"$work/policy.yaml" <<'YAML'
apiVersion: safeguard.dev/v1alpha1
kind: SafeguardPolicy
metadata: {name: stress}
spec:
  mode: enforce
  customRules:
    - id: stress-slow
      title: Quadratic string work on an annotation
      category: hygiene
      action: deny
      match: {kinds: [Deployment]}
      validation: >-
        !has(object.metadata.annotations) || !('safeguard.stress/slow' in object.metadata.annotations) ||
        object.metadata.annotations['safeguard.stress/slow'].split('').all(c,
          object.metadata.annotations['safeguard.stress/slow'].indexOf(c + 'b') < 0)
      message: "'slow'"
    - id: stress-heap
      title: Exhausts the heap from a small annotation
      category: hygiene
      action: deny
      match: {kinds: [Deployment]}
      validation: >-
        !has(object.metadata.annotations) || !('safeguard.stress/heap' in object.metadata.annotations) ||
        object.metadata.annotations['safeguard.stress/heap'].split('').map(c,
          object.metadata.annotations['safeguard.stress/heap'].replace('a',
            object.metadata.annotations['safeguard.stress/heap'])).size() == 0
      message: "'heap'"
YAML

port=$((20000 + RANDOM % 20000)); management=$((port + 1))
echo "--- server: JAVA_TOOL_OPTIONS='$java_opts -XX:MaxRAM=$max_ram' (chart limit $limit), $workers workers"
MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" JAVA_TOOL_OPTIONS="$java_opts -XX:MaxRAM=$max_ram" \
SAFEGUARD_ADMISSION_WORKERS="$workers" SAFEGUARD_POLICY_PATH="$work/policy.yaml" \
  java -Dquarkus.http.ssl-port="$port" -Dquarkus.management.port="$management" \
       -jar target/quarkus-app/quarkus-run.jar >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 90); do
  curl -sf "http://127.0.0.1:$management/q/health/ready" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "the webhook exited:"; cat "$work/server.log"; exit 1; }
  sleep 1
done
curl -sf "http://127.0.0.1:$management/q/health/ready" >/dev/null || { echo "webhook not ready"; tail -50 "$work/server.log"; exit 1; }
sleep 2
echo "resident memory idle (ready, no request yet): $(awk '/VmRSS/{printf "%d MiB", $2/1024}' /proc/$server/status)"

java scripts/stress/WebhookStress.java "https://127.0.0.1:$port/validate" \
  "http://127.0.0.1:$management/q/metrics" "$server" "$seconds"

if kill -0 $server 2>/dev/null; then
  echo "--- the webhook is still running"
else
  echo "--- the webhook EXITED during the run:"; tail -20 "$work/server.log"; exit 1
fi
echo "OutOfMemoryError lines in the server log: $(grep -c OutOfMemoryError "$work/server.log" || true)"
