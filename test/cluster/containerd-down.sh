#!/usr/bin/env bash
# Stops what containerd-up.sh started and cleans the host, in this order (docs/node-tier.md):
#   1. every CRI pod is stopped and removed through crictl (runs the CNI DEL, frees IPs, unmounts netns)
#   2. containerd is stopped by the PID it recorded (SIGTERM, SIGKILL after 10 s)
#   3. containers still known to runc under our runc root are killed and deleted; shims of OUR socket
#      (their command line names it) are killed — nothing else's
#   4. mounts left under our state and root dirs (rootfs overlays, netns, shm) are unmounted lazily
#   5. the CNI bridge ($KND_CNI_BRIDGE) is deleted, the NRI socket file removed
# Idempotent: running it with nothing up is a no-op. KND_NODE_PURGE=1 also deletes the root dir
# (imported images, snapshots) and the state dir.
#
# Usage: test/cluster/containerd-down.sh [--daemon-only]
#   --daemon-only   stop the containerd daemon only (step 2): pods, shims, mounts and the bridge stay, as
#                   in a runtime restart; containerd-up.sh then reconnects to the running shims
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=node-lib.sh
. "$here/node-lib.sh"

PIDFILE=$PID_DIR/containerd.pid
RUNC_ROOT=$KND_CONTAINERD_STATE/runc

stop_pods() {
  [ -x "$CRICTL_BIN/crictl" ] && [ -f "$CRICTL_CONFIG" ] && [ -S "$CONTAINERD_SOCK" ] || return 0
  local pods pod
  pods=$(timeout 20 "$CRICTL_BIN/crictl" --config "$CRICTL_CONFIG" pods -q 2>/dev/null) || return 0
  for pod in $pods; do
    timeout 30 "$CRICTL_BIN/crictl" --config "$CRICTL_CONFIG" stopp "$pod" >/dev/null 2>&1 ||
      log "containerd-down: crictl stopp $pod failed; continuing"
    timeout 30 "$CRICTL_BIN/crictl" --config "$CRICTL_CONFIG" rmp -f "$pod" >/dev/null 2>&1 ||
      log "containerd-down: crictl rmp $pod failed; continuing"
  done
}

# kill_runc_leftovers: containers whose shim died with containerd are still in runc's state dir
kill_runc_leftovers() {
  local runc ns id
  runc=$(command -v runc) || return 0
  [ -d "$RUNC_ROOT" ] || return 0
  for ns in "$RUNC_ROOT"/*; do
    [ -d "$ns" ] || continue
    for id in $("$runc" --root "$ns" list -q 2>/dev/null); do
      "$runc" --root "$ns" kill -a "$id" KILL >/dev/null 2>&1 || true
      "$runc" --root "$ns" delete -f "$id" >/dev/null 2>&1 || log "containerd-down: runc delete $id failed"
    done
  done
}

# kill_our_shims: shims whose command line carries our containerd socket address
kill_our_shims() {
  local pid
  for pid in $(our_shim_pids); do
    log "containerd-down: killing shim pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
  done
}

main() {
  case ${1:-} in
    --daemon-only)
      stop_pidfile "$PIDFILE" containerd 10
      log "containerd: daemon stopped (pods and shims left running)"
      return 0
      ;;
    "") ;;
    *) die "usage: containerd-down.sh [--daemon-only]" ;;
  esac
  stop_pods
  stop_pidfile "$PIDFILE" containerd 10
  kill_runc_leftovers
  kill_our_shims
  umount_under "$KND_CONTAINERD_STATE"
  umount_under "$KND_CONTAINERD_ROOT"
  # netns bind-mount targets stay behind as empty files once unmounted
  rm -f "$KND_CONTAINERD_STATE"/io.containerd.grpc.v1.cri/netns/* 2>/dev/null || true
  if ip link show "$KND_CNI_BRIDGE" >/dev/null 2>&1; then
    ip link delete "$KND_CNI_BRIDGE" || log "containerd-down: could not delete bridge $KND_CNI_BRIDGE"
  fi
  rm -f "$KND_NRI_SOCKET" "$CONTAINERD_SOCK"
  rm -rf "$CNI_IPAM_DIR"
  if [ "${KND_NODE_PURGE:-0}" = 1 ]; then
    rm -rf "$KND_CONTAINERD_ROOT" "$KND_CONTAINERD_STATE"
    log "containerd-down: purged $KND_CONTAINERD_ROOT and $KND_CONTAINERD_STATE"
  fi
  log "containerd: down"
}

main "$@"
