#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kubectl and etcd from Go modules
# and install them where fabric8 kube-api-test (io.fabric8:kube-api-test) looks
# for them, so that the end-to-end tests never try to download binaries (this
# machine and CI have no internet access, only package registries).
# kube-api-test itself starts only etcd and kube-apiserver; the end-to-end suite
# starts kube-controller-manager from the same directory (LocalBinariesCluster).
#
# Layout (see io.fabric8.kubeapitest.binary.BinaryManager in kube-api-test):
#   ${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/<major.minor.patch>-<os>-<arch>/{kube-apiserver,kube-controller-manager,etcd,kubectl}
#   e.g. ~/.kubeapitest/k8s/1.35.8-linux-amd64/   (no leading "v" in the version)
#
# Versions come from the Go modules in src/test/kube-binaries/{apiserver,etcd}
# (go.mod/go.sum are committed; the script never writes into the repository
# unless --tidy is given). Build outputs go to ~/.cache/kube-safeguard and the
# install directory above; Go's own module and build caches are used as usual.
#
# Use the binaries from a test with a pinned version and no download:
#   KubeAPIServerConfigBuilder.anAPIServerConfig()
#       .withApiServerVersion("1.35.8")   // dir name without "-linux-amd64"
#       .withOfflineMode(true)            // never download; fail if missing
#       .build()
# or @EnableKubeAPIServer(kubeAPIVersion = "1.35.8") (the annotation has no
# offline switch; a present version dir is used without any download anyway).
#
# Usage: scripts/build-kube-binaries.sh [--force] [--check] [--print-dir] [--tidy]
#   (no option)  build whatever is missing or broken, then install; idempotent
#   --force      rebuild and reinstall all four binaries
#   --check      only verify the installed binaries (exit 1 if any is missing/wrong)
#   --print-dir  print the install directory and exit
#   --tidy       developer use after changing a version in a go.mod: run
#                `go mod tidy` in both modules (rewrites go.mod/go.sum), check
#                the staging replace lines, then build as usual
# Environment:
#   KUBE_API_TEST_DIR     install root (default ~/.kubeapitest; kube-api-test reads the same variable)
#   KUBE_BINARIES_CACHE   build output cache (default ${XDG_CACHE_HOME:-~/.cache}/kube-safeguard/kube-binaries)
#   GOPROXY, GOMODCACHE, GOCACHE, GOTOOLCHAIN   honoured as usual by go
set -euo pipefail

log() { printf '[build-kube-binaries] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

FORCE=0 CHECK_ONLY=0 PRINT_DIR=0 TIDY=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --check) CHECK_ONLY=1 ;;
    --print-dir) PRINT_DIR=1 ;;
    --tidy) TIDY=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
APISERVER_MOD="$REPO_ROOT/src/test/kube-binaries/apiserver"
ETCD_MOD="$REPO_ROOT/src/test/kube-binaries/etcd"
[[ -f "$APISERVER_MOD/go.mod" ]] || die "missing $APISERVER_MOD/go.mod"
[[ -f "$ETCD_MOD/go.mod" ]] || die "missing $ETCD_MOD/go.mod"

# Version of a required module, read from go.mod without running go.
mod_version() { # <go.mod> <module path>
  awk -v m="$2" '($1 == "require" && $2 == m) { print $3; exit } ($1 == m && $2 ~ /^v/) { print $2; exit }' "$1"
}
K8S_VERSION="$(mod_version "$APISERVER_MOD/go.mod" k8s.io/kubernetes)"    # e.g. v1.35.8
ETCD_VERSION="$(mod_version "$ETCD_MOD/go.mod" go.etcd.io/etcd/server/v3)" # e.g. v3.6.16
[[ "$K8S_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "cannot read a k8s.io/kubernetes release from $APISERVER_MOD/go.mod (got '$K8S_VERSION')"
K8S_MINOR="${BASH_REMATCH[1]}"
STAGING_VERSION="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
[[ "$ETCD_VERSION" =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "cannot read a go.etcd.io/etcd/server/v3 release from $ETCD_MOD/go.mod (got '$ETCD_VERSION')"

# Platform suffix exactly as kube-api-test's OSInfo/Utils.platformSuffix build it.
case "$(uname -s)" in
  Linux) OS=linux ;;
  *) die "only Linux is supported (kube-api-test's directory suffix and these builds are Linux-specific)" ;;
esac
case "$(uname -m)" in
  x86_64|amd64) ARCH=amd64 ;;
  aarch64|arm64) ARCH=arm64 ;;
  *) die "unsupported CPU architecture $(uname -m)" ;;
esac

KUBE_API_TEST_DIR="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
DEST="$KUBE_API_TEST_DIR/k8s/${K8S_VERSION#v}-$OS-$ARCH"
CACHE="${KUBE_BINARIES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-safeguard/kube-binaries}"

if [[ $PRINT_DIR == 1 ]]; then echo "$DEST"; exit 0; fi

# --- checks of installed binaries ---------------------------------------------
run_quiet() { timeout 30 "$@" </dev/null 2>&1 || true; }
ok_kube_component() { [[ -x "$DEST/$1" ]] && [[ "$(run_quiet "$DEST/$1" --version)" == "Kubernetes $K8S_VERSION" ]]; }
ok_kubectl() { [[ -x "$DEST/kubectl" ]] && grep -qx "Client Version: $K8S_VERSION" <<<"$(run_quiet "$DEST/kubectl" version --client)"; }
ok_etcd() { [[ -x "$DEST/etcd" ]] && grep -qx "etcd Version: ${ETCD_VERSION#v}" <<<"$(run_quiet "$DEST/etcd" --version)"; }
ok() { # <binary name>
  case "$1" in
    kube-apiserver|kube-controller-manager) ok_kube_component "$1" ;;
    kubectl) ok_kubectl ;;
    etcd) ok_etcd ;;
    *) die "unknown binary $1" ;;
  esac
}
BINARIES=(kube-apiserver kube-controller-manager kubectl etcd)

status() {
  local name
  MISSING=()
  for name in "${BINARIES[@]}"; do
    if [[ $FORCE == 0 ]] && ok "$name"; then
      log "ok: $DEST/$name"
    else
      MISSING+=("$name")
      if [[ $FORCE == 1 ]]; then log "rebuild requested: $DEST/$name"
      else log "missing or not runnable: $DEST/$name"; fi
    fi
  done
}

log "k8s.io/kubernetes $K8S_VERSION (staging modules $STAGING_VERSION), etcd $ETCD_VERSION, install dir $DEST"
status
if [[ $CHECK_ONLY == 1 ]]; then
  ((${#MISSING[@]} == 0)) || exit 1
  exit 0
fi
if ((${#MISSING[@]} == 0)) && [[ $TIDY == 0 ]]; then
  log "all binaries present and runnable; nothing to do"
  exit 0
fi

# --- prerequisites ----------------------------------------------------------------
as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root (or sudo) to run: $*"; fi
}
APT_UPDATED=0
ensure_deb() { # <package>...: install Debian packages only when missing
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get"
  log "installing Debian packages: ${missing[*]}"
  if [[ $APT_UPDATED == 0 ]]; then as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}
# HTTPS to the Go module proxy needs the CA bundle.
if command -v dpkg-query >/dev/null 2>&1; then ensure_deb ca-certificates; fi

command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.26; Debian's golang-go is too old)"
log "using $(go version)"
mkdir -p "$CACHE"

# One build at a time per cache (parallel CI jobs, or a second terminal).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  log "taking lock $CACHE/.lock (one build at a time)"
  flock 9
  status # another run may have finished the job meanwhile
  if ((${#MISSING[@]} == 0)) && [[ $TIDY == 0 ]]; then log "all binaries present and runnable; nothing to do"; exit 0; fi
fi

export CGO_ENABLED=0
# readonly: never touch go.mod/go.sum in the repository (go.sum is committed).
export GOFLAGS="-mod=readonly -buildvcs=false"

if [[ $TIDY == 1 ]]; then
  for mod in "$APISERVER_MOD" "$ETCD_MOD"; do
    log "go mod tidy in ${mod#"$REPO_ROOT"/}"
    (cd "$mod" && GOFLAGS=-mod=mod go mod tidy)
  done
fi

# k8s.io/kubernetes's own go.mod replaces every staging module k8s.io/X with
# ./staging/src/k8s.io/X; our go.mod must pin each one to X $STAGING_VERSION.
check_staging_replaces() {
  local upstream expected actual missing
  upstream="$(cd "$APISERVER_MOD" && go mod download k8s.io/kubernetes && go list -m -f '{{.GoMod}}' k8s.io/kubernetes)"
  [[ -f "$upstream" ]] || die "could not download the go.mod of k8s.io/kubernetes@$K8S_VERSION"
  expected="$(awk -v v="$STAGING_VERSION" '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 " => " $1 " " v }' "$upstream" | sort)"
  actual="$(awk '$1 == "replace" && $3 == "=>" { print $2 " => " $4 " " $5 } $2 == "=>" { print $1 " => " $3 " " $4 }' "$APISERVER_MOD/go.mod" | sort)"
  [[ -n "$expected" ]] || die "found no staging replace lines in $upstream"
  missing="$(comm -23 <(echo "$expected") <(echo "$actual"))"
  [[ -z "$missing" ]] || die "src/test/kube-binaries/apiserver/go.mod needs these replace lines (staging modules of k8s.io/kubernetes $K8S_VERSION):
$missing"
  log "replace lines pin all $(wc -l <<<"$expected") staging modules of k8s.io/kubernetes to $STAGING_VERSION"
}
if [[ $TIDY == 1 ]]; then
  check_staging_replaces
  status
  if ((${#MISSING[@]} == 0)); then log "all binaries present and runnable; nothing to build"; exit 0; fi
fi

BUILD_DIR="$CACHE/build/${K8S_VERSION#v}-etcd${ETCD_VERSION#v}-$OS-$ARCH"
mkdir -p "$BUILD_DIR"
need() { [[ " ${MISSING[*]} " == *" $1 "* ]]; }

build_k8s() { # <main package>...
  local build_date pkg ldflags="-s -w"
  check_staging_replaces
  build_date="$(cd "$APISERVER_MOD" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
  # Version stamping as in Kubernetes' hack/lib/version.sh, so that
  # `kube-apiserver --version`, `kube-controller-manager --version`, GET /version and
  # `kubectl version` report $K8S_VERSION
  # (and buildDate has the format that clients such as fabric8's VersionInfo parse).
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR"
    if [[ -n "$build_date" ]]; then ldflags+=" -X $pkg.buildDate=$build_date"; fi
  done
  (cd "$APISERVER_MOD" && go build -trimpath -ldflags "$ldflags" -o "$BUILD_DIR/" "$@")
}
build_etcd() {
  (cd "$ETCD_MOD" && go build -trimpath -ldflags "-s -w" -o "$BUILD_DIR/etcd" go.etcd.io/etcd/server/v3)
}
build_timed() { # <label> <command...>
  local start=$SECONDS
  log "building $1 ..."
  "${@:2}"
  log "built $1 in $((SECONDS - start))s"
}

k8s_targets=()
if need kube-apiserver; then k8s_targets+=(k8s.io/kubernetes/cmd/kube-apiserver); fi
if need kube-controller-manager; then k8s_targets+=(k8s.io/kubernetes/cmd/kube-controller-manager); fi
if need kubectl; then k8s_targets+=(k8s.io/kubernetes/cmd/kubectl); fi
if ((${#k8s_targets[@]})); then build_timed "${k8s_targets[*]##*/} $K8S_VERSION" build_k8s "${k8s_targets[@]}"; fi
if need etcd; then build_timed "etcd $ETCD_VERSION" build_etcd; fi

# --- install (each file replaced atomically) ---------------------------------------
mkdir -p "$DEST"
for name in "${MISSING[@]}"; do
  [[ -x "$BUILD_DIR/$name" ]] || die "build produced no $BUILD_DIR/$name"
  mv -f "$BUILD_DIR/$name" "$DEST/.$name.tmp.$$" # move, not copy: no second 180 MB copy in the cache
  chmod 0755 "$DEST/.$name.tmp.$$"
  mv -f "$DEST/.$name.tmp.$$" "$DEST/$name"
  log "installed $DEST/$name ($(du -h "$DEST/$name" | cut -f1))"
done

FORCE=0 status
((${#MISSING[@]} == 0)) || die "installed binaries do not run: ${MISSING[*]}"
log "kube-apiserver $("$DEST/kube-apiserver" --version); kube-controller-manager $("$DEST/kube-controller-manager" --version); $("$DEST/kubectl" version --client | head -1); $("$DEST/etcd" --version | head -1)"

# kube-api-test without an explicit version picks the highest version directory.
others=()
for dir in "$KUBE_API_TEST_DIR/k8s/"*"-$OS-$ARCH"; do
  [[ -d "$dir" && "$dir" != "$DEST" ]] && others+=("${dir##*/}")
done
if ((${#others[@]})); then
  log "note: other versions in $KUBE_API_TEST_DIR/k8s: ${others[*]}; tests should pin ${K8S_VERSION#v} with withApiServerVersion(...)"
fi
log "done: kube-api-test version \"${K8S_VERSION#v}\" in $DEST"
