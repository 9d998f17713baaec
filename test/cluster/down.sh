#!/usr/bin/env bash
# Stops everything up.sh (and node-up.sh, unless --keep-node) started from $KND_RUN_DIR, by the PIDs
# they recorded, in reverse order; leaves no process behind. Safe to run when nothing is running.
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

if ! $keep_node && [ -f "$here/node-down.sh" ]; then
  bash "$here/node-down.sh" >&2 || log "node-down.sh reported a problem (continuing with the control plane)"
fi
# anything else the tests started and recorded (e.g. agent, operator) goes before the control plane
for f in "$PID_DIR"/*.pid; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .pid)
  case " $CP_COMPONENTS " in *" $name "*) continue ;; esac
  if $keep_node; then case $name in kubelet | containerd) continue ;; esac; fi
  stop_process "$name" 10
done
for name in scheduler kcm apiserver etcd; do
  stop_process "$name" 15
done
log "control plane stopped"
