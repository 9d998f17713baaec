#!/usr/bin/env bash
# Installs (or upgrades) charts/knd on the local node the way a user installs it: `helm upgrade
# --install` with hack/local-node-values.yaml, images from hack/images/build.sh already imported into
# the node's containerd. Waits until the agent DaemonSet and the operator Deployment are rolled out.
#
# Usage: hack/install-local.sh [--release NAME] [--namespace NS] [--tag TAG] [helm flags...]
#   defaults: release knd, namespace knd-system, tag dev; further flags (e.g. --set x=y) go to helm.
# Needs: the control plane (test/cluster/up.sh) and the node (test/cluster/node-up.sh) running.
#
# The values that depend on this machine:
#   kubernetesService.host/port  the node IP and the apiserver's port: this cluster runs no kube-proxy,
#                                so pods cannot reach the `kubernetes` Service's ClusterIP
#   agent.netnsDir               where this containerd pins pod network namespaces (its state dir)
#   agent.kubeletRootDir, agent.nriSocketDir   the node tier's kubelet root and NRI socket
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=../test/cluster/node-lib.sh
. "$repo/test/cluster/node-lib.sh"
# shellcheck source=../test/cluster/cp-lib.sh
. "$repo/test/cluster/cp-lib.sh"

release=knd namespace=knd-system tag=dev
helm_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --release) release=$2; shift ;;
    --namespace) namespace=$2; shift ;;
    --tag) tag=$2; shift ;;
    *) helm_args+=("$1") ;;
  esac
  shift
done

HELM_BIN=$(bin_dir_for "helm-${KND_HELM_VERSION:-v3.19.0}")/helm
[ -x "$HELM_BIN" ] || die "helm is not built ($HELM_BIN): bash test/cluster/build.sh helm"
[ -f "$ADMIN_KUBECONFIG" ] || die "no admin kubeconfig at $ADMIN_KUBECONFIG: start the control plane (test/cluster/up.sh)"

"$HELM_BIN" upgrade --install "$release" "$repo/charts/knd" \
  --kubeconfig "$ADMIN_KUBECONFIG" --namespace "$namespace" --create-namespace \
  --values "$here/local-node-values.yaml" \
  --set "operator.image.tag=$tag" --set "agent.image.tag=$tag" \
  --set "kubernetesService.host=$KND_NODE_IP" --set "kubernetesService.port=$APISERVER_PORT" \
  --set "agent.netnsDir=$KND_CONTAINERD_STATE/io.containerd.grpc.v1.cri/netns" \
  --set "agent.kubeletRootDir=$KND_KUBELET_ROOT" --set "agent.nriSocketDir=$(dirname "$KND_NRI_SOCKET")" \
  --wait --timeout 180s "${helm_args[@]}"
