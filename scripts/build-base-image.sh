#!/usr/bin/env bash
# Makes the Dockerfile's runtime base image (the tag of its `runtime-base` stage, eclipse-temurin:<N>-jre) from
# Debian packages, for a Docker engine that cannot pull from a registry: debootstrap a minimal Debian with the
# headless OpenJDK <N> JRE from the machine's own apt mirror, and import it under that tag. Java 25 is not in
# every Debian release: the suite is the machine's own when it has that JRE, else the first of trixie, sid that
# does. With a registry, `docker pull eclipse-temurin:<N>-jre` does the same job better.
#
#   scripts/build-base-image.sh            # no-op when the tag is already present
#   scripts/build-base-image.sh --force    # rebuild it
#
# Needs root, debootstrap and a running Docker engine. About a minute and ~100 MB of packages.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=$(sed -n 's/^FROM \([^ ]*\) AS runtime-base$/\1/p' Dockerfile)
[ -n "$tag" ] || { echo "no 'FROM ... AS runtime-base' stage in Dockerfile" >&2; exit 2; }
release=$(echo "$tag" | sed -n 's/^eclipse-temurin:\([0-9]*\)-jre$/\1/p')
[ -n "$release" ] || { echo "the runtime base $tag is not eclipse-temurin:<N>-jre: no Debian package stands in for it" >&2; exit 2; }
jre="openjdk-$release-jre-headless"
if [ "${1:-}" != "--force" ] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag: present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2; }

# The mirror this machine's apt uses for its own suite (deb822 .sources or a classic sources.list line).
. /etc/os-release
own_suite="${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"
suite="$own_suite"
mirror=""
for sources in /etc/apt/sources.list.d/*.sources; do
  [ -f "$sources" ] || continue
  mirror=$(awk -v suite="$suite" '
    /^URIs:/ { uris = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = uris }
    /^$/ { if (found) { print found; exit } uris = "" }
    END { if (found) print found }' "$sources" | head -1)
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { echo "cannot find the apt mirror for $suite in /etc/apt" >&2; exit 2; }

# The first suite whose package index on that mirror lists the JRE (a Debian mirror carries every suite).
has_jre() { # suite
  curl -fsS --max-time 60 "$mirror/dists/$1/main/binary-amd64/Packages.xz" | xz -dc | grep -x "Package: $jre" >/dev/null
}
suite=""
for candidate in "$own_suite" trixie sid; do
  if has_jre "$candidate"; then suite="$candidate"; break; fi
done
[ -n "$suite" ] || { echo "no suite on $mirror has $jre (tried $own_suite, trixie, sid)" >&2; exit 2; }
[ -f "/usr/share/debootstrap/scripts/$suite" ] || { echo "this debootstrap does not know $suite (upgrade debootstrap)" >&2; exit 2; }

root=$(mktemp -d /tmp/kube-safeguard-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "--- debootstrap $suite (minbase + $jre) from $mirror"
started=$(date +%s)
timeout 900 debootstrap --variant=minbase --include="$jre",passwd "$suite" "$root" "$mirror" \
  > "$root.log" 2>&1 || { echo "debootstrap failed:" >&2; tail -30 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
echo "--- docker import as $tag"
tar -C "$root" -c . | docker import - "$tag" >/dev/null
echo "base image $tag: built in $(( $(date +%s) - started )) s, $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1000000}')"
