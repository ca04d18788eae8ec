#!/usr/bin/env bash
# Measures the webhook as a cluster runs it and as the API server sees it: start to ready, resident memory idle and
# under load, and latency and throughput of POST /validate over TLS with the sample AdmissionReview (a Deployment
# judged by the whole pack). Prints figures with PASS/MISS against issue 14's targets; the numbers recorded in
# docs/performance.md come from this script.
#
# Usage: scripts/benchmark-webhook.sh [--seconds N] [--starts N] [--app DIR] [--launcher] [-- JVM options...]
#   --seconds N   length of each measured wrk run (default 20; a 10 s warm-up comes first)
#   --starts N    cold starts timed to readiness (default 3); the last one serves the load runs
#   --app DIR     the quarkus-app directory to run (default target/quarkus-app): compare builds
#   --java HOME   the JDK to run (default: one of the release the image runs, see scripts/lib/image-java.sh)
#   --launcher    start through DIR/safeguard (as the image does) instead of java -jar; makes its class-data
#                 archives first when they are missing (the image build does)
#   -- OPTIONS    JVM options instead of the chart's (default: helm/kube-safeguard/values.yaml javaToolOptions with
#                 -XX:MaxRAM=512m, the chart's memory limit, standing in for the container's cgroup)
# As in the chart: a mounted TLS certificate (generated here once with openssl) and MALLOC_ARENA_MAX=2.
# The Go peer (Polaris' webhook) is used when `polaris` is on PATH or in ~/.cache/kube-safeguard-peers; the script
# says loudly when it is not.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_RUN=20 STARTS=3 APP=target/quarkus-app LAUNCHER=0 CUSTOM=0 JVM=() JDK=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --starts) STARTS="$2"; shift 2 ;;
    --app) APP="$2"; shift 2 ;;
    --launcher) LAUNCHER=1; shift ;;
    --java) JDK="$2"; shift 2 ;;
    --) shift; CUSTOM=1; JVM=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done

for tool in wrk curl openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "installing $tool (Debian package)"
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq "$tool" >/dev/null; fi
  fi
done
if [[ ! -f "$APP/quarkus-run.jar" ]]; then
  ./mvnw -B -q package -DskipTests
fi
. scripts/lib/image-java.sh
use_image_java "$JDK"
# The image makes its class-data archives at build time: without them the launcher's start is not the image's.
serve_archive="$APP/safeguard-serve.$(archive_kind)"
if [[ $LAUNCHER == 1 && ( ! -f "$serve_archive" || -n "$(find "$APP" -name '*.jar' -newer "$serve_archive")" ) ]]; then
  echo "making the launcher's class-data archives first, as the image build does ($APP/safeguard cds-archives)"
  "$APP/safeguard" cds-archives >/dev/null
fi
if [[ $CUSTOM == 0 ]]; then
  read -r -a JVM <<<"$(sed -n 's/^javaToolOptions: *"\(.*\)"/\1/p' helm/kube-safeguard/values.yaml) -XX:MaxRAM=512m"
fi

work=$(mktemp -d)
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/tls.key" -out "$work/tls.crt" -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
export SAFEGUARD_TLS_CERT="$work/tls.crt" SAFEGUARD_TLS_KEY="$work/tls.key" MALLOC_ARENA_MAX=2

rss() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
verdict() { # measured target label: PASS when measured <= target
  awk -v m="$1" -v t="$2" -v l="$3" 'BEGIN { printf "  %-34s %8s  target <= %-6s %s\n", l, m, t, (m + 0 <= t + 0) ? "PASS" : "MISS" }'
}
start_server() {
  if [[ $LAUNCHER == 1 ]]; then
    SAFEGUARD_JAVA_OPTS="${JVM[*]}" "$APP/safeguard" serve >"$work/server.log" 2>&1 &
  else
    java "${JVM[@]}" -jar "$APP/quarkus-run.jar" >"$work/server.log" 2>&1 &
  fi
  server=$!
}

echo "kube-safeguard webhook benchmark: $(java -version 2>&1 | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "app $APP$([[ $LAUNCHER == 1 ]] && echo ' (through its safeguard launcher)'), JVM options: ${JVM[*]:-(none)}"

echo "--- start to ready ($STARTS cold starts: process start until /q/health/ready answers UP)"
ready_ms=()
for ((i = 1; i <= STARTS; i++)); do
  begin=$(date +%s%N)
  start_server
  for _ in $(seq 1 3000); do
    curl -sf -o /dev/null http://localhost:9000/q/health/ready && break
    kill -0 "$server" 2>/dev/null || { echo "the webhook exited:"; cat "$work/server.log"; exit 1; }
    sleep 0.01
  done
  ms=$(( ($(date +%s%N) - begin) / 1000000 ))
  ready_ms+=("$ms")
  echo "  start $i: ready after $ms ms, RSS $(rss "$server") MiB"
  if ((i < STARTS)); then kill "$server"; wait "$server" 2>/dev/null || true; server=""; fi
done
median_ready=$(printf '%s\n' "${ready_ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
sleep 10
idle=$(rss "$server")
echo "--- idle: RSS $idle MiB 10 s after ready"

lua="$work/review.lua"
body=$(tr -d '\n' < deploy/examples/admission-review-deployment.json | sed 's/\\/\\\\/g; s/"/\\"/g')
cat >"$lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = "$body"
LUA
sample_rss() { # pid seconds: the largest RSS seen every 0.2 s
  local max=0 now
  for _ in $(seq 1 $(( $2 * 5 ))); do
    now=$(rss "$1"); (( now > max )) && max=$now
    sleep 0.2
  done
  echo "$max"
}
load() { # connections seconds: prints wrk's report; leaves the peak RSS in $work/peak
  sample_rss "$server" "$2" >"$work/peak" &
  local sampler=$!
  wrk -t2 -c"$1" -d"${2}s" --latency -s "$lua" https://localhost:8443/validate
  wait "$sampler"
}
echo "--- warm-up (10 s, 8 connections)"
wrk -t2 -c8 -d10s -s "$lua" https://localhost:8443/validate >/dev/null
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; } # user + system, in clock ticks
reviews() { curl -s http://localhost:9000/q/metrics | awk '/^safeguard_admission_duration_seconds_count/ {printf "%d", $2}'; }
echo "--- measured: ${SECONDS_RUN}s, 8 connections, 2 client threads on the same $(nproc)-core machine"
ticks0=$(cpu_ticks) reviews0=$(reviews)
load 8 "$SECONDS_RUN" | tee "$work/wrk8" | grep -E 'Latency|50%|90%|99%|Requests/sec|Non-2xx|Socket errors'
peak8=$(cat "$work/peak")
# The server's own CPU per review: less disturbed by other load on the machine than wrk's throughput.
cpu_per_review=$(awk -v t="$(( $(cpu_ticks) - ticks0 ))" -v n="$(( $(reviews) - reviews0 ))" -v hz="$(getconf CLK_TCK)" \
  'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')
echo "--- measured: ${SECONDS_RUN}s, 32 connections"
load 32 "$SECONDS_RUN" | tee "$work/wrk32" | grep -E 'Latency|50%|90%|99%|Requests/sec|Non-2xx|Socket errors'
peak32=$(cat "$work/peak")
echo "--- server-side time per review (safeguard_admission_duration_seconds)"
curl -s http://localhost:9000/q/metrics | grep -E '^safeguard_admission_duration_seconds_(count|sum|max)' || true
sleep 5
after=$(rss "$server")

rps8=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk8")
rps32=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk32")
echo "--- summary (load $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
echo "  start to ready: ${ready_ms[*]} ms (median $median_ready ms)"
echo "  throughput: $rps8 reviews/s with 8 connections, $rps32 with 32; server CPU $cpu_per_review us a review (8 connections)"
echo "  RSS: idle $idle MiB, peak $peak8 MiB under 8 connections, $peak32 MiB under 32, $after MiB 5 s after"
verdict "$(awk -v ms="$median_ready" 'BEGIN {printf "%.2f", ms / 1000}')" 1.5 "start to ready (s, median)"
verdict "$idle" 120 "idle RSS (MiB)"
verdict "$peak32" 250 "RSS under 32 connections (MiB)"

peer=$(command -v polaris || ls "$HOME/.cache/kube-safeguard-peers/polaris" 2>/dev/null || true)
if [[ -z "$peer" ]]; then
  echo "*** PEER NOT MEASURED: no polaris binary (PATH or ~/.cache/kube-safeguard-peers). Build it with"
  echo "***   GOBIN=\$HOME/.cache/kube-safeguard-peers go install github.com/fairwindsops/polaris@<version>"
  echo "*** (on this machine the Go module proxy refuses that module: see docs/performance.md)"
else
  echo "--- peer: $peer (Polaris' webhook needs a cluster to start: only its binary's start is timed here)"
  /usr/bin/time -f "  polaris version: %e s, RSS %M KiB" "$peer" version >/dev/null || true
fi
