# shellcheck shell=bash disable=SC2034
# Control-plane variables and process helpers shared by up.sh and down.sh (sourced, not executed).
KND_RUN_DIR=${KND_RUN_DIR:-/var/tmp/knd-cluster}
KUBE_VERSION=$KND_KUBE_VERSION # defaults: versions.sh (sourced by lib.sh)
ETCD_VERSION=$KND_ETCD_VERSION
NODE_NAME=${KND_NODE_NAME:-knd-node}
ETCD_PORT=${KND_ETCD_PORT:-2379}
ETCD_PEER_PORT=${KND_ETCD_PEER_PORT:-2380}
APISERVER_PORT=${KND_APISERVER_PORT:-6443}
KCM_PORT=${KND_KCM_PORT:-10257}
SCHEDULER_PORT=${KND_SCHEDULER_PORT:-10259}

KUBE_BIN=$(bin_dir_for "kube-$KUBE_VERSION")
ETCD_BIN=$(bin_dir_for "etcd-$ETCD_VERSION")/etcd
KUBECTL=$KUBE_BIN/kubectl
PKI=$KND_RUN_DIR/pki
PID_DIR=$KND_RUN_DIR/pids
LOG_DIR=$KND_RUN_DIR/logs
ADMIN_KUBECONFIG=$KND_RUN_DIR/admin.kubeconfig
# control-plane components in start order (down.sh stops them in reverse)
CP_COMPONENTS="etcd apiserver kcm scheduler"

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\))).*/\1/p' | head -1; }

# expected_exe NAME -> the executable a control-plane pid file must point at (empty: any)
expected_exe() {
  case $1 in
    etcd) echo etcd ;;
    apiserver) echo kube-apiserver ;;
    kcm) echo kube-controller-manager ;;
    scheduler) echo kube-scheduler ;;
    *) echo "" ;;
  esac
}

# pid_alive NAME -> 0 when $PID_DIR/NAME.pid names a live process of ours. $KND_RUN_DIR lives on
# /var/tmp and survives reboots, so a pid file older than the boot is stale, and a control-plane pid
# must still run the expected executable (a recycled pid is never reused, never killed).
pid_alive() {
  local f=$PID_DIR/$1.pid pid exe want btime mtime
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  btime=$(awk '/^btime/{print $2}' /proc/stat)
  mtime=$(stat -c %Y "$f")
  [ "$mtime" -ge "$btime" ] || return 1
  want=$(expected_exe "$1")
  [ -n "$want" ] || return 0
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  [ "${exe##*/}" = "$want" ]
}

# start_process NAME BINARY ARGS... : background, own session (no terminal signals), pid recorded
start_process() {
  local name=$1
  shift
  : >"$LOG_DIR/$name.log"
  if [ -n "$RUN_LOCK_FD" ]; then
    setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 {RUN_LOCK_FD}>&- &
  else
    setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
  fi
  echo $! >"$PID_DIR/$name.pid"
}

# wait_for WHAT TIMEOUT_S CMD... : poll until CMD succeeds. Fails fast when a started component
# exited, and at the deadline otherwise; either way it prints the component's log tail and dies.
wait_for() {
  local what=$1 timeout_s=$2 deadline comp
  shift 2
  deadline=$((SECONDS + timeout_s))
  until "$@" >/dev/null 2>&1; do
    for comp in $CP_COMPONENTS; do
      if [ -f "$PID_DIR/$comp.pid" ] && ! pid_alive "$comp"; then
        printf '%s exited; last lines of %s:\n' "$comp" "$LOG_DIR/$comp.log" >&2
        tail -n 20 "$LOG_DIR/$comp.log" >&2
        die "$comp exited while waiting for $what (log: $LOG_DIR/$comp.log)"
      fi
    done
    if [ $SECONDS -ge $deadline ]; then
      for comp in $CP_COMPONENTS; do
        [ -f "$LOG_DIR/$comp.log" ] || continue
        printf 'last lines of %s:\n' "$LOG_DIR/$comp.log" >&2
        tail -n 10 "$LOG_DIR/$comp.log" >&2
      done
      die "$what not ready after ${timeout_s} s (logs in $LOG_DIR)"
    fi
    sleep 0.3
  done
}

# with_run_lock TIMEOUT_S CMD...: one up.sh/down.sh at a time per run directory (two jest runs or a
# developer and a test run starting the same cluster would otherwise race for the ports)
# (nested calls, e.g. up.sh running down.sh for leftovers, see KND_RUN_LOCK_HELD and skip it; the
# daemons started under the lock do not inherit its fd, see start_process)
RUN_LOCK_FD=
with_run_lock() {
  local timeout_s=$1
  shift
  if [ "${KND_RUN_LOCK_HELD:-}" = "$KND_RUN_DIR" ]; then
    "$@"
    return
  fi
  mkdir -p "$KND_RUN_DIR"
  exec {RUN_LOCK_FD}>"$KND_RUN_DIR/.lock"
  if ! flock -n "$RUN_LOCK_FD"; then
    log "another up.sh/down.sh is working on $KND_RUN_DIR; waiting up to ${timeout_s} s"
    flock -w "$timeout_s" "$RUN_LOCK_FD" || die "$KND_RUN_DIR/.lock still held after ${timeout_s} s"
  fi
  export KND_RUN_LOCK_HELD=$KND_RUN_DIR
  "$@"
}

control_plane_healthy() {
  local c
  for c in $CP_COMPONENTS; do pid_alive "$c" || return 1; done
  [ -f "$ADMIN_KUBECONFIG" ] && [ -x "$KUBECTL" ] &&
    timeout 10 "$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" get --raw=/readyz >/dev/null 2>&1
}

# stop_processes GRACE_S NAME...: TERM all of them at once, KILL whatever still runs after the grace
# period, remove the pid files. A stale pid file (process gone, or the pid now belongs to another
# program) is only removed.
stop_processes() {
  local grace_s=$1 name pid i left
  shift
  local -A pids=()
  for name in "$@"; do
    if pid_alive "$name"; then
      pid=$(cat "$PID_DIR/$name.pid")
      pids[$name]=$pid
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < grace_s * 20; i++)); do
    left=0
    for name in "${!pids[@]}"; do kill -0 "${pids[$name]}" 2>/dev/null && left=1; done
    [ "$left" = 1 ] || break
    sleep 0.05
  done
  for name in "${!pids[@]}"; do
    if kill -0 "${pids[$name]}" 2>/dev/null; then
      log "$name (pid ${pids[$name]}) did not stop in ${grace_s} s: killing it"
      kill -KILL "${pids[$name]}" 2>/dev/null || true
    fi
  done
  for name in "$@"; do rm -f "$PID_DIR/$name.pid"; done
}

# stop_process NAME [GRACE_S]
stop_process() { stop_processes "${2:-10}" "$1"; }

# leftover_pids: processes still running one of our control-plane binaries with this run directory
# on their command line (e.g. started by a run whose pid files were lost); down.sh stops them too
leftover_pids() {
  local pid exe cmd
  for pid in $(pgrep -f -- "$KND_RUN_DIR/" || true); do
    [ "$pid" != $$ ] || continue
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    exe=${exe% (deleted)}
    case $exe in "$KUBE_BIN"/kube-apiserver | "$KUBE_BIN"/kube-controller-manager | "$KUBE_BIN"/kube-scheduler | "$ETCD_BIN") ;; *) continue ;; esac
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    case $cmd in *"$KND_RUN_DIR/"*) printf '%s\n' "$pid" ;; esac
  done
}
