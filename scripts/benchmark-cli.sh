#!/usr/bin/env bash
# Times `safeguard check` from JVM start to verdict, as CI runs it:
#   java -jar target/quarkus-app/quarkus-run.jar check <dir>
# over 1 manifest, over 10,000 manifests (one object per file: Deployments, Services and
# PodDisruptionBudgets of 3,334 apps spread over 100 namespaces, every tenth app with findings), and over
# the same 10,000 manifests in one namespace (the case where every context rule meets every object of its
# kind), with the built-in pack and the bundle as context, once with the JVM's defaults and once with
# -XX:TieredStopAtLevel=1 (the flag docs/cli.md recommends for CI). Prints one line per case; see
# docs/performance.md.
#
# Usage: scripts/benchmark-cli.sh [--runs N] [--objects N] [--keep DIR] [--jar JAR] [--cases LIST] [-- java options...]
#   --runs N       timed runs per case (default 5; one warm-up run is not counted)
#   --objects N    size of the large cases (default 10000)
#   --keep DIR     generate the manifests into DIR and leave them there (reused when already there)
#   --jar JAR      the quarkus-run.jar to time (default target/quarkus-app/quarkus-run.jar): compare builds
#   --cases LIST   which cases, comma-separated: one, many, namespace (default all three)
#   -- OPTIONS     measure only with these JVM options, e.g. -- -XX:+UseSerialGC
# Builds the jar first if it is missing (./mvnw -q package -DskipTests). Uses hyperfine when installed
# (apt-get install -y hyperfine), else bash timing.
set -euo pipefail

RUNS=5 OBJECTS=10000 KEEP="" CUSTOM=0 JAVA_OPTS=() JAR="" CASES="one,many,namespace"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --objects) OBJECTS="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    --jar) JAR="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --cases) CASES="$2"; shift 2 ;;
    --) shift; CUSTOM=1; JAVA_OPTS=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
if [[ -z "$JAR" ]]; then
  JAR=target/quarkus-app/quarkus-run.jar
  if [[ ! -f "$JAR" ]]; then
    echo "building $JAR ..." >&2
    ./mvnw -q package -DskipTests
  fi
fi

if [[ -n "$KEEP" ]]; then
  WORK="$KEEP"; mkdir -p "$WORK"
else
  WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
fi

# One app: a Deployment (3 replicas, spread, probes, requests, locked-down security context), its Service
# and a PodDisruptionBudget allowing one eviction. Every tenth app pins no image tag and has no readiness
# probe, so the report has findings to write.
deployment() { # name namespace bad
  local image="registry.example.com/$1:1.4.2" probe="          readinessProbe:
            httpGet: {path: /ready, port: 8080}
"
  if [[ "$3" == 1 ]]; then image="registry.example.com/$1:latest"; probe=""; fi
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  namespace: $2
  labels: {app.kubernetes.io/name: $1}
spec:
  replicas: 3
  selector:
    matchLabels: {app: $1}
  template:
    metadata:
      labels: {app: $1}
    spec:
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: {app: $1}
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: $image
          ports: [{containerPort: 8080}]
$probe          livenessProbe:
            httpGet: {path: /live, port: 8080}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
EOF
}
service() { # name namespace
  cat <<EOF
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: $2}
spec:
  selector: {app: $1}
  ports: [{port: 80, targetPort: 8080}]
EOF
}
budget() { # name namespace
  cat <<EOF
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: $1, namespace: $2}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: $1}
EOF
}

generate() { # dir namespaces: OBJECTS files of apps spread over that many namespaces
  local dir="$1" namespaces="$2" written=0 app=0 name namespace bad
  [[ -d "$dir" ]] && return
  mkdir -p "$dir"
  while [[ $written -lt $OBJECTS ]]; do
    name="app-$app" namespace="team-$((app % namespaces))" bad=$(( app % 10 == 0 ? 1 : 0 ))
    deployment "$name" "$namespace" "$bad" > "$dir/$name-deployment.yaml"; written=$((written + 1))
    [[ $written -lt $OBJECTS ]] && { service "$name" "$namespace" > "$dir/$name-service.yaml"; written=$((written + 1)); }
    [[ $written -lt $OBJECTS ]] && { budget "$name" "$namespace" > "$dir/$name-pdb.yaml"; written=$((written + 1)); }
    app=$((app + 1))
  done
}
mkdir -p "$WORK/one"
deployment web shop 0 > "$WORK/one/web.yaml"
[[ ",$CASES," == *,many,* ]] && generate "$WORK/many" 100
[[ ",$CASES," == *,namespace,* ]] && generate "$WORK/namespace" 1

cores=$(nproc)
echo "kube-safeguard check benchmark: $(java -version 2>&1 | head -1), $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "java [options] -jar $JAR check <dir>   ($RUNS runs after 1 warm-up; exit 1 expected: the manifests have findings)"

run_case() { # label dir
  local label="$1" dir="$2" count
  count=$(find "$dir" -name '*.yaml' | wc -l)
  local cmd=(java "${JAVA_OPTS[@]}" -jar "$JAR" check "$dir")
  if command -v hyperfine >/dev/null 2>&1; then
    local json="$WORK/$label.json"
    hyperfine --style none --warmup 1 --runs "$RUNS" -i --export-json "$json" "${cmd[*]} > /dev/null" >/dev/null 2>&1
    python3 - "$json" "$label" "$count" <<'PY' 2>/dev/null || grep -E '"(mean|min|max)"' "$json"
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<9} {int(sys.argv[3]):>6} files: mean {r['mean']:.2f} s  min {r['min']:.2f} s  max {r['max']:.2f} s"
      f"  (user {r['user']:.2f} s, system {r['system']:.2f} s)")
PY
  else
    "${cmd[@]}" > /dev/null || true
    local total=0 best="" worst=0 start end ms
    for ((i = 0; i < RUNS; i++)); do
      start=$(date +%s%N); "${cmd[@]}" > /dev/null || true; end=$(date +%s%N)
      ms=$(( (end - start) / 1000000 )); total=$((total + ms))
      [[ -z "$best" || $ms -lt $best ]] && best=$ms
      [[ $ms -gt $worst ]] && worst=$ms
    done
    printf '%-9s %6d files: mean %d ms  min %d ms  max %d ms\n' "$label" "$count" $((total / RUNS)) "$best" "$worst"
  fi
}

measure() {
  echo "options: ${JAVA_OPTS[*]:-(JVM defaults)}"
  [[ ",$CASES," == *,one,* ]] && run_case one "$WORK/one"
  [[ ",$CASES," == *,many,* ]] && run_case many "$WORK/many"
  [[ ",$CASES," == *,namespace,* ]] && run_case namespace "$WORK/namespace"
  return 0
}
if [[ $CUSTOM == 1 ]]; then
  measure
else
  JAVA_OPTS=(); measure
  JAVA_OPTS=(-XX:TieredStopAtLevel=1); measure
fi
