#!/usr/bin/env bash
# Regenerate deploy/kube-safeguard.yaml (the kubectl-apply install) from the Helm chart in helm/kube-safeguard.
#
# There is no helm binary to depend on: the render uses the same embedded Helm engine as the tests
# (com.marcnuri.helm-java), through PlainManifestsTest in write mode. Without -Dsafeguard.write=true the
# same test fails when the committed file is stale.
#
# Usage: scripts/render-plain-manifests.sh   (from anywhere; extra arguments are passed to Maven)
set -euo pipefail

cd "$(dirname "$0")/.."
./mvnw -B -q test -Dtest=PlainManifestsTest -Dsafeguard.write=true -Dsurefire.failIfNoSpecifiedTests=false "$@"
git diff --stat -- deploy/kube-safeguard.yaml 2>/dev/null || true
echo "rendered deploy/kube-safeguard.yaml"
