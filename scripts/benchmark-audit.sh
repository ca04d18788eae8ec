#!/usr/bin/env bash
# The background audit at scale (issue 12's targets): a local kube-apiserver (the binaries
# scripts/build-kube-binaries.sh installs) filled with N Deployments, each with a Service and a
# PodDisruptionBudget, over M namespaces; then the packaged `safeguard audit` with a bounded heap. Prints
# the time to the first full audit reported, heap and RSS, one object's change until its report shows it,
# and the number of report objects. See docs/performance.md.
#
# Usage: scripts/benchmark-audit.sh [--workloads N] [--namespaces M] [--heap SIZE]
#   defaults: 10000 workloads, 200 namespaces, -Xmx256m; HISTOGRAM=true prints the live heap's top classes
# Builds the jar and the test classes first when missing.
set -euo pipefail

WORKLOADS=10000 NAMESPACES=200 HEAP=256m
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workloads) WORKLOADS="$2"; shift 2 ;;
    --namespaces) NAMESPACES="$2"; shift 2 ;;
    --heap) HEAP="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
bash scripts/build-kube-binaries.sh --check >/dev/null || {
  echo "kube-apiserver binaries missing: run scripts/build-kube-binaries.sh" >&2; exit 2; }
if [[ ! -f target/quarkus-app/quarkus-run.jar ]]; then
  ./mvnw -B -q package -DskipTests
fi
./mvnw -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/benchmark-classpath.txt \
  -Dmdep.includeScope=test
exec java -cp "target/test-classes:target/classes:$(cat target/benchmark-classpath.txt)" \
  -Dhistogram="${HISTOGRAM:-false}" -Dworkloads="$WORKLOADS" -Dnamespaces="$NAMESPACES" -Dheap="$HEAP" dev.safeguard.bench.AuditBenchmark
