#!/usr/bin/env bash
# Stops the node tier that node-up.sh started: the kubelet (by its recorded PID), then containerd with
# its pods (containerd-down.sh), unmounts what the kubelet left under <root-dir>/pods, and deletes the
# Node object so a later test does not see a stale Ready node (the control plane runs without the
# node-lifecycle controller, nothing would ever mark it NotReady).
#
# Usage: test/cluster/node-down.sh [--kubelet-only]
#   --kubelet-only   stop the kubelet only; pods, containerd and the Node object stay (used to restart
#                    the kubelet under running pods)
# Environment: KND_NODE_PURGE=1 also deletes <root-dir> and containerd's root/state; KND_NODE_KEEP_OBJECT=1
# keeps the Node object.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=node-lib.sh
. "$here/node-lib.sh"

KND_KUBECONFIG=${KND_KUBECONFIG:-$KND_RUN_DIR/admin.kubeconfig}
PIDFILE=$PID_DIR/kubelet.pid

main() {
  local kubelet_only=0
  case ${1:-} in
    --kubelet-only) kubelet_only=1 ;;
    "") ;;
    *) die "usage: node-down.sh [--kubelet-only]" ;;
  esac
  stop_pidfile "$PIDFILE" kubelet 15
  [ $kubelet_only = 0 ] || return 0

  bash "$here/containerd-down.sh"
  if [ -d "$KND_KUBELET_ROOT" ]; then
    umount_under "$KND_KUBELET_ROOT"
  fi
  if [ "${KND_NODE_KEEP_OBJECT:-0}" != 1 ] && [ -f "$KND_KUBECONFIG" ] && [ -x "$KUBE_BIN/kubectl" ]; then
    timeout 20 "$KUBE_BIN/kubectl" --kubeconfig "$KND_KUBECONFIG" delete node "$KND_NODE_NAME" \
      --ignore-not-found --wait=false >/dev/null 2>&1 ||
      log "node-down: could not delete Node $KND_NODE_NAME (apiserver down?); continuing"
  fi
  if [ "${KND_NODE_PURGE:-0}" = 1 ]; then
    rm -rf "$KND_KUBELET_ROOT"
    log "node-down: purged $KND_KUBELET_ROOT"
  fi
  log "node: down"
}

main "$@"
