#!/usr/bin/env bash
# Stops everything up.sh (and node-up.sh, unless --keep-node) started from $KND_RUN_DIR, by the PIDs
# they recorded, in reverse order: TERM, then KILL after a grace period. Then makes sure no process of
# ours is left: a control-plane binary still running with this run directory on its command line (a
# run whose pid files were lost) is stopped too. Safe to run when nothing is running.
#
# Usage: test/cluster/down.sh [--keep-node]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=cp-lib.sh
. "$here/cp-lib.sh"

keep_node=false
[ "${1:-}" = --keep-node ] && keep_node=true

node_tier_used() {
  [ -e "$PID_DIR/kubelet.pid" ] || [ -e "$PID_DIR/containerd.pid" ] ||
    [ -d "$KND_RUN_DIR/kubelet" ] || [ -d "$KND_RUN_DIR/containerd" ]
}

main() {
  # the node tier's cleanup also acts on machine-wide paths (containerd state, kubelet root, CNI
  # bridge), so it runs only when the node tier was started from this run directory
  if ! $keep_node && [ -f "$here/node-down.sh" ] && node_tier_used; then
    bash "$here/node-down.sh" >&2 || log "node-down.sh reported a problem (continuing with the control plane)"
  fi
  # anything else the tests started and recorded (e.g. agent, operator) goes before the control plane
  local f name pid others=()
  for f in "$PID_DIR"/*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    case " $CP_COMPONENTS " in *" $name "*) continue ;; esac
    if $keep_node; then case $name in kubelet | containerd) continue ;; esac; fi
    others+=("$name")
  done
  # clients first (in parallel), then the apiserver, then its storage
  stop_processes 15 "${others[@]}" scheduler kcm
  stop_processes 15 apiserver
  stop_processes 15 etcd
  for pid in $(leftover_pids); do
    log "stopping leftover $(readlink "/proc/$pid/exe" 2>/dev/null || echo process) (pid $pid) of $KND_RUN_DIR"
    echo "$pid" >"$PID_DIR/leftover.pid"
    stop_process leftover 10
  done
  [ -z "$(leftover_pids)" ] || die "processes of $KND_RUN_DIR are still running: $(leftover_pids | tr '\n' ' ')"
  log "control plane stopped"
}

[ -d "$KND_RUN_DIR" ] || { log "nothing to stop ($KND_RUN_DIR does not exist)"; exit 0; }
mkdir -p "$PID_DIR"
with_run_lock 120 main
