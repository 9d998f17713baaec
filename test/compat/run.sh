#!/usr/bin/env bash
# The control-plane tier again, against an older Kubernetes minor of the supported window.
#
# Usage: test/compat/run.sh KUBE_VERSION ETCD_VERSION RESULTS_JSON
#
# Starts a second control plane of that release beside the default one (its own run dir and ports,
# so the default cluster and the node tier are left alone), runs the suites below against it with
# the jest `integration` project (same global setup: test/cluster/up.sh with this environment), writes
# jest's JSON results to RESULTS_JSON and stops that control plane. The suites detect what the
# apiserver serves (device taints, consumable capacity, granular status authorization) rather than
# reading a version string, so the same files pass on every minor and assert the fallback there.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 KUBE_VERSION ETCD_VERSION RESULTS_JSON" >&2; exit 2; }
cd "$(dirname "$0")/../.."
kube=$1 etcd=$2 results=$3
minor=$(echo "$kube" | cut -d. -f2)
base=$((22000 + minor * 10))
export KND_KUBE_VERSION=$kube KND_ETCD_VERSION=$etcd
export KND_RUN_DIR=/var/tmp/knd-compat-$kube
export KND_ETCD_PORT=$base KND_ETCD_PEER_PORT=$((base + 1)) KND_APISERVER_PORT=$((base + 2))
export KND_KCM_PORT=$((base + 3)) KND_SCHEDULER_PORT=$((base + 4))
unset KND_KUBECONFIG KND_KEEP_CLUSTER
export NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning"

# The control-plane suites: real apiserver, KCM and scheduler; no kubelet, no containerd.
suites=(
  test/integration/cel-conformance.test.ts
  test/integration/chart-install.test.ts
  test/integration/dra-plugin.test.ts
  test/integration/dra-scheduling.test.ts
  test/integration/examples-apply.test.ts
  test/integration/nri-status.test.ts
  test/integration/operator-allocation.test.ts
  test/integration/operator-reconcile.test.ts
  test/integration/publish-slices.test.ts
  test/integration/publish-taints.test.ts
  test/integration/shared-scheduling.test.ts
)

bash test/cluster/build.sh kube etcd
stop() { bash test/cluster/down.sh >/dev/null 2>&1 || true; }
trap stop EXIT
echo "compat: Kubernetes $kube (etcd $etcd) in $KND_RUN_DIR, apiserver port $KND_APISERVER_PORT"
npx jest --selectProjects integration --runInBand --json --outputFile="$results" --runTestsByPath "${suites[@]}"
