# Control-plane variables and process helpers shared by up.sh and down.sh (sourced, not executed).
KND_RUN_DIR=${KND_RUN_DIR:-/var/tmp/knd-cluster}
KUBE_VERSION=${KND_KUBE_VERSION:-v1.35.4}
ETCD_VERSION=${KND_ETCD_VERSION:-v3.6.16}
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

# pid_alive NAME -> 0 when $PID_DIR/NAME.pid names a live process of ours
pid_alive() {
  local f=$PID_DIR/$1.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# start_process NAME BINARY ARGS... : background, own session (no terminal signals), pid recorded
start_process() {
  local name=$1
  shift
  : >"$LOG_DIR/$name.log"
  setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$PID_DIR/$name.pid"
}

# wait_for WHAT TIMEOUT_S CMD... : poll until CMD succeeds; on timeout print the log tail and die
wait_for() {
  local what=$1 timeout_s=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout_s))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      local comp
      for comp in $CP_COMPONENTS; do
        if [ -f "$LOG_DIR/$comp.log" ] && ! pid_alive "$comp"; then
          printf '%s exited; last lines of %s:\n' "$comp" "$LOG_DIR/$comp.log" >&2
          tail -n 20 "$LOG_DIR/$comp.log" >&2
        fi
      done
      die "$what not ready after ${timeout_s} s (logs in $LOG_DIR)"
    fi
    sleep 0.3
  done
}

control_plane_healthy() {
  local c
  for c in $CP_COMPONENTS; do pid_alive "$c" || return 1; done
  [ -f "$ADMIN_KUBECONFIG" ] && [ -x "$KUBECTL" ] &&
    timeout 10 "$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" get --raw=/readyz >/dev/null 2>&1
}

# stop_process NAME [GRACE_S]: TERM, then KILL after the grace period; removes the pid file
stop_process() {
  local name=$1 grace_s=${2:-10} f=$PID_DIR/$1.pid pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace_s * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop in ${grace_s} s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}
