# shellcheck shell=bash disable=SC2034
# Shared settings and helpers of the node tier (containerd + CNI + images + kubelet); sourced by
# containerd-up.sh, containerd-down.sh, node-up.sh, node-down.sh and images/build.sh, never executed.
#
# Every path can be overridden from the environment; the defaults keep this harness apart from anything
# else on the machine (no /etc/containerd, no /run/containerd, no cni0):
#   KND_RUN_DIR              run directory shared with the control plane (default /var/tmp/knd-cluster)
#   KND_CONTAINERD_ROOT      containerd root (images, snapshots)     (default /var/lib/knd-containerd)
#   KND_CONTAINERD_STATE     containerd state (sockets, shims, netns) (default /run/knd-containerd)
#   KND_NRI_SOCKET           NRI socket for external plugins          (default /var/run/nri/nri.sock)
#   KND_CNI_BRIDGE           CNI bridge name                          (default knd-cni0)
#   KND_POD_SUBNET           pod /24 on that bridge                   (default 10.88.0.0/24)
#   KND_NODE_NAME            node name / kubelet hostname-override     (default knd-node)
#   KND_KUBELET_ROOT         kubelet --root-dir                       (default /var/lib/kubelet)
#   KND_KUBELET_VERSION      the kubelet's release (default KND_KUBE_VERSION; the skew case sets an older one)
#   KND_NODE_APT             1 = install missing Debian packages (default), 0 = only check
here_node=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here_node/lib.sh"

KND_RUN_DIR=${KND_RUN_DIR:-/var/tmp/knd-cluster}
# versions: versions.sh (sourced by lib.sh); the kubelet may be older than the control plane
KND_KUBELET_VERSION=${KND_KUBELET_VERSION:-$KND_KUBE_VERSION}
KND_CONTAINERD_ROOT=${KND_CONTAINERD_ROOT:-/var/lib/knd-containerd}
KND_CONTAINERD_STATE=${KND_CONTAINERD_STATE:-/run/knd-containerd}
KND_NRI_SOCKET=${KND_NRI_SOCKET:-/var/run/nri/nri.sock}
KND_CNI_BRIDGE=${KND_CNI_BRIDGE:-knd-cni0}
KND_NODE_NAME=${KND_NODE_NAME:-knd-node}
KND_KUBELET_ROOT=${KND_KUBELET_ROOT:-/var/lib/kubelet}
KND_NODE_APT=${KND_NODE_APT:-1}

# Image references every node-tier test uses (imported into containerd namespace k8s.io).
KND_PAUSE_IMAGE=localhost/pause:local
KND_BUSYBOX_IMAGE=localhost/busybox:local

CONTAINERD_CONF_DIR=$KND_RUN_DIR/containerd
CONTAINERD_SOCK=$KND_CONTAINERD_STATE/containerd.sock
CONTAINERD_BIN=$(bin_dir_for "containerd-$KND_CONTAINERD_VERSION")
CRICTL_BIN=$(bin_dir_for "crictl-$KND_CRICTL_VERSION")
KUBE_BIN=$(bin_dir_for "kube-$KND_KUBE_VERSION")
KUBELET_BIN=$(bin_dir_for "kube-$KND_KUBELET_VERSION")
PID_DIR=$KND_RUN_DIR/pids
LOG_DIR=$KND_RUN_DIR/logs
CRICTL_CONFIG=$CONTAINERD_CONF_DIR/crictl.yaml
CNI_CONF_DIR=$CONTAINERD_CONF_DIR/net.d
CNI_IPAM_DIR=$KND_CONTAINERD_STATE/cni-ipam
CNI_NETWORK_NAME=knd-pods

# The Debian packages the node tier needs: command -> package. Only missing ones are installed.
NODE_APT_PACKAGES=(
  "runc:runc"
  "/usr/lib/cni/bridge:containernetworking-plugins"
  "/bin/busybox:busybox-static"
  "ip:iproute2"
  "ethtool:ethtool"
  "socat:socat"
  "iperf3:iperf3"
  "gcc:gcc"
  "/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev"
  "openssl:openssl"
  "curl:curl"
  "readelf:binutils"
)

have_path_or_cmd() {
  case $1 in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# ensure_node_packages: apt-get update once (only when something is missing), then install the missing
# packages. With KND_NODE_APT=0 a missing package is an error naming it.
ensure_node_packages() {
  local entry missing=()
  for entry in "${NODE_APT_PACKAGES[@]}"; do
    have_path_or_cmd "${entry%%:*}" || missing+=("${entry#*:}")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$KND_NODE_APT" != 1 ]; then
    die "missing Debian packages: ${missing[*]} (install them: apt-get install ${missing[*]}, or run with KND_NODE_APT=1)"
  fi
  [ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root"
  log "node: installing Debian packages: ${missing[*]}"
  local t=$SECONDS
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 ||
    die "apt-get update failed (see $LOG_DIR/apt.log)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1 ||
    die "apt-get install ${missing[*]} failed (see $LOG_DIR/apt.log)"
  log "node: packages installed in $((SECONDS - t)) s"
}

# ensure_built NAME... : build (or reuse from the cache) the given components via build.sh
ensure_built() {
  local c missing=()
  for c in "$@"; do
    case $c in
      containerd) [ -f "$CONTAINERD_BIN/.stamp" ] || missing+=(containerd) ;;
      crictl) [ -f "$CRICTL_BIN/.stamp" ] || missing+=(crictl) ;;
      kube)
        [ -f "$KUBE_BIN/.stamp" ] || missing+=(kube)
        if [ ! -f "$KUBELET_BIN/.stamp" ]; then
          log "node: building the kubelet's release $KND_KUBELET_VERSION (test/cluster/build.sh)"
          KND_KUBE_VERSION=$KND_KUBELET_VERSION bash "$here_node/build.sh" kube
        fi
        ;;
      *) die "ensure_built: unknown component $c" ;;
    esac
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "node: building ${missing[*]} (test/cluster/build.sh)"
  bash "$here_node/build.sh" "${missing[@]}"
}

# pid_alive FILE: the pid recorded in FILE (<name>.pid) is a running process whose executable is named
# <name>; a PID file left from an earlier boot or run whose pid was reused by another program is stale
pid_alive() {
  local pid exe
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [ "${exe##*/}" = "$(basename "$1" .pid)" ]
}

# stop_pidfile FILE NAME [TIMEOUT_S]: SIGTERM the recorded pid, SIGKILL after the timeout, remove FILE
stop_pidfile() {
  local file=$1 name=$2 timeout_s=${3:-10} pid i
  if ! pid_alive "$file"; then
    rm -f "$file"
    return 0
  fi
  pid=$(cat "$file")
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: pid $pid ignored SIGTERM for ${timeout_s} s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$file"
}

# wait_for DESCRIPTION TIMEOUT_S LOGFILE CMD...: poll CMD every 0.2 s; on timeout die with the log tail
wait_for() {
  local what=$1 timeout_s=$2 logfile=$3 deadline
  shift 3
  deadline=$((SECONDS + timeout_s))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      if [ -f "$logfile" ]; then
        printf '%s\n' "---- last 40 lines of $logfile ----" >&2
        tail -n 40 "$logfile" >&2
      fi
      die "$what not ready after ${timeout_s} s"
    fi
    sleep 0.2
  done
}

crictl_node() { "$CRICTL_BIN/crictl" --config "$CRICTL_CONFIG" "$@"; }

# umount_under DIR: lazily unmount every mount point at or below DIR, deepest first
umount_under() {
  local dir=$1 m
  [ -n "$dir" ] && [ "$dir" != / ] || die "umount_under: refusing '$dir'"
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while IFS= read -r m; do
      umount -l "$m" 2>/dev/null || log "could not unmount $m"
    done
}

# our_shim_pids: pids of containerd-shim-runc-v2 processes whose command line names our socket
our_shim_pids() {
  local pid cmd
  for pid in $(pgrep -f -- "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" || true); do
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    case $cmd in *"-address $CONTAINERD_SOCK "* | *"-address $CONTAINERD_SOCK") printf '%s\n' "$pid" ;; esac
  done
}
