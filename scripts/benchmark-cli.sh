#!/usr/bin/env bash
# Times `safeguard check` from JVM start to verdict, as CI runs it, over 1 manifest, over 10,000 manifests (one object
# per file: Deployments, Services and PodDisruptionBudgets of 3,334 apps spread over 100 namespaces, every tenth app
# with findings), and over the same 10,000 manifests in one namespace (the case where every context rule meets every
# object of its kind), with the built-in pack and the bundle as context, in three configurations:
#   java -jar target/quarkus-app/quarkus-run.jar check   the JVM's defaults
#   java -XX:TieredStopAtLevel=1 -jar ...                C1 only
#   target/quarkus-app/safeguard check                   the launcher: C1, serial GC, its class-data archive
# Prints one line per case with the peak RSS of one more run, PASS/MISS against issue 14's targets (one manifest
# <= 0.4 s; 10,000 manifests <= 4 s in <= 512 MiB), and the same cases for the Go peers where they are built
# (kube-score, polaris: on PATH or in ~/.cache/kube-safeguard-peers; see docs/performance.md). See
# docs/performance.md.
#
# Usage: scripts/benchmark-cli.sh [--runs N] [--objects N] [--keep DIR] [--jar JAR] [--cases LIST] [-- java options...]
#   --runs N       timed runs per case (default 5; one warm-up run is not counted)
#   --objects N    size of the large cases (default 10000)
#   --keep DIR     generate the manifests into DIR and leave them there (reused when already there)
#   --jar JAR      the quarkus-run.jar to time (default target/quarkus-app/quarkus-run.jar): compare builds
#   --cases LIST   which cases, comma-separated: one, many, namespace (default all three)
#   --java HOME    the JDK to run (default: one of the release the image runs, see scripts/lib/image-java.sh)
#   -- OPTIONS     measure only `java OPTIONS -jar JAR` (e.g. -- -XX:+UseSerialGC), no launcher, no peers
# Builds the jar first if it is missing (./mvnw -q package -DskipTests). Uses hyperfine when installed
# (apt-get install -y hyperfine), else bash timing; /usr/bin/time for the RSS.
set -euo pipefail

RUNS=5 OBJECTS=10000 KEEP="" CUSTOM=0 JAVA_OPTS=() JAR="" CASES="one,many,namespace" JDK=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --objects) OBJECTS="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    --jar) JAR="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --cases) CASES="$2"; shift 2 ;;
    --java) JDK="$2"; shift 2 ;;
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
. scripts/lib/image-java.sh
use_image_java "$JDK"

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
echo "each configuration: <command> <dir>   ($RUNS runs after 1 warm-up; exit 1 expected: the manifests have findings)"

# One line per case: timing by hyperfine (or bash), the peak RSS of one more run, PASS/MISS against the targets.
run_case() { # label dir command...
  local label="$1" dir="$2" count mean rss
  shift 2
  local cmd=("$@")
  count=$(find "$dir" -name '*.yaml' | wc -l)
  if command -v hyperfine >/dev/null 2>&1; then
    local json="$WORK/$label.json"
    hyperfine -N --style none --warmup 1 --runs "$RUNS" -i --export-json "$json" "$(printf "%q " "${cmd[@]}")" >/dev/null 2>&1
    mean=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$json")
    python3 - "$json" "$label" "$count" <<'PY' 2>/dev/null || grep -E '"(mean|min|max)"' "$json"
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<9} {int(sys.argv[3]):>6} files: mean {r['mean']:.3f} s  min {r['min']:.3f} s  max {r['max']:.3f} s"
      f"  (user {r['user']:.2f} s, system {r['system']:.2f} s)", end="")
PY
  else
    "${cmd[@]}" > /dev/null 2>&1 || true
    local total=0 best="" worst=0 start end ms
    for ((i = 0; i < RUNS; i++)); do
      start=$(date +%s%N); "${cmd[@]}" > /dev/null 2>&1 || true; end=$(date +%s%N)
      ms=$(( (end - start) / 1000000 )); total=$((total + ms))
      [[ -z "$best" || $ms -lt $best ]] && best=$ms
      [[ $ms -gt $worst ]] && worst=$ms
    done
    mean=$(awk -v t="$total" -v n="$RUNS" 'BEGIN {print t / n / 1000}')
    printf '%-9s %6d files: mean %d ms  min %d ms  max %d ms' "$label" "$count" $((total / RUNS)) "$best" "$worst"
  fi
  /usr/bin/time -f '%M' -o "$WORK/rss" "${cmd[@]}" > /dev/null 2>&1 || true
  rss=$(( $(tail -1 "$WORK/rss") / 1024 ))
  printf '  RSS %d MiB' "$rss"
  case "$label" in
    one) awk -v m="$mean" 'BEGIN { printf "  [target <= 0.4 s: %s]\n", (m <= 0.4) ? "PASS" : "MISS" }' ;;
    many) awk -v m="$mean" -v r="$rss" 'BEGIN { printf "  [target <= 4 s, <= 512 MiB: %s]\n", (m <= 4 && r <= 512) ? "PASS" : "MISS" }' ;;
    *) echo ;;
  esac
}

measure() { # title command-prefix...: the cases with `PREFIX <dir>`
  local title="$1"
  shift
  echo "$title"
  [[ ",$CASES," == *,one,* ]] && run_case one "$WORK/one" "$@" "$WORK/one"
  [[ ",$CASES," == *,many,* ]] && run_case many "$WORK/many" "$@" "$WORK/many"
  [[ ",$CASES," == *,namespace,* ]] && run_case namespace "$WORK/namespace" "$@" "$WORK/namespace"
  return 0
}
peer() { # name: the Go peer's binary, or nothing
  command -v "$1" 2>/dev/null || { [[ -x "$HOME/.cache/kube-safeguard-peers/$1" ]] && echo "$HOME/.cache/kube-safeguard-peers/$1"; } || true
}

if [[ $CUSTOM == 1 ]]; then
  measure "options: ${JAVA_OPTS[*]}" java "${JAVA_OPTS[@]}" -jar "$JAR" check
  exit 0
fi
measure "options: (JVM defaults)" java -jar "$JAR" check
measure "options: -XX:TieredStopAtLevel=1" java -XX:TieredStopAtLevel=1 -jar "$JAR" check
launcher="$(dirname "$JAR")/safeguard"
if [[ -x "$launcher" ]]; then
  rm -f "$(dirname "$JAR")/safeguard-check.$(archive_kind)"
  "$launcher" --version >/dev/null # makes its class-data archive, as its first run anywhere does
  measure "the launcher: $launcher check (C1, serial GC, $(archive_kind) class-data archive)" "$launcher" check
else
  echo "*** no launcher beside $JAR (an older build?): not measured"
fi

kube_score=$(peer kube-score)
if [[ -n "$kube_score" ]]; then
  # kube-score takes files, not directories: a shell expands the list (one process, as in CI; not in the timed
  # command line itself, which would be longer than one argument may be).
  echo "peer: $kube_score score DIR/*.yaml ($("$kube_score" version 2>/dev/null | head -1))"
  for case in one many namespace; do
    [[ ",$CASES," == *,$case,* ]] || continue
    run_case "$case" "$WORK/$case" bash -c 'exec "$0" score "$1"/*.yaml' "$kube_score" "$WORK/$case"
  done
else
  echo "*** PEER NOT MEASURED: kube-score not found. Build it with"
  echo "***   GOBIN=\$HOME/.cache/kube-safeguard-peers go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0"
fi
polaris=$(peer polaris)
if [[ -n "$polaris" ]]; then
  echo "peer: $polaris audit --audit-path DIR"
  for case in one many namespace; do
    [[ ",$CASES," == *,$case,* ]] || continue
    run_case "$case" "$WORK/$case" "$polaris" audit --format score --audit-path "$WORK/$case"
  done
else
  echo "*** PEER NOT MEASURED: polaris not found (the Go module proxy here refuses github.com/fairwindsops/polaris;"
  echo "***   elsewhere: GOBIN=\$HOME/.cache/kube-safeguard-peers go install github.com/fairwindsops/polaris@<version>)"
fi
