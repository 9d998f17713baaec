#!/usr/bin/env bash
# Starts the node tier's container runtime: containerd 2.x (built from the Go module proxy by build.sh)
# with NRI and CDI on, Debian's runc, a CNI bridge + host-local network, and the locally built pause and
# busybox images imported into namespace k8s.io. Idempotent: a containerd already running from this
# script's PID file is reused (images are re-imported only when missing).
#
# Usage: test/cluster/containerd-up.sh      prints the containerd socket path on stdout
#
# Layout (all overridable, see node-lib.sh):
#   config      $KND_RUN_DIR/containerd/config.toml, CNI conflist in $KND_RUN_DIR/containerd/net.d
#   root        /var/lib/knd-containerd        state /run/knd-containerd (shims, netns mounts)
#   socket      /run/knd-containerd/containerd.sock
#   NRI socket  /var/run/nri/nri.sock  (external plugins allowed, 2 s request timeout)
#   crictl      crictl --config $KND_RUN_DIR/containerd/crictl.yaml   (or $KND_RUN_DIR/bin/crictl)
#   logs        $KND_RUN_DIR/logs/containerd.log, pid in $KND_RUN_DIR/pids/containerd.pid
#
# Environment: KND_CONTAINERD_READY_TIMEOUT_S (default 60), KND_SNAPSHOTTER (default: overlayfs when the
# kernel mounts it on the root's filesystem, else native), plus node-lib.sh's variables.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=node-lib.sh
. "$here/node-lib.sh"

READY_TIMEOUT_S=${KND_CONTAINERD_READY_TIMEOUT_S:-60}
PIDFILE=$PID_DIR/containerd.pid
LOGFILE=$LOG_DIR/containerd.log
SNAPSHOTTER=
STALE_RUN=0

preflight() {
  [ "$(id -u)" = 0 ] || die "containerd-up.sh must run as root (it mounts overlayfs and creates network namespaces)"
  [ "$(uname -s)" = Linux ] || die "the node tier needs Linux"
  grep -qw overlay /proc/filesystems || log "kernel has no overlayfs; using the native snapshotter"
  [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] ||
    die "no memory cgroup hierarchy under /sys/fs/cgroup"
}

pick_snapshotter() {
  if [ -n "${KND_SNAPSHOTTER:-}" ]; then
    printf '%s\n' "$KND_SNAPSHOTTER"
    return
  fi
  # overlayfs needs a kernel with it and an upper dir that is not itself overlayfs or tmpfs-unsupported
  local probe ok=native
  if grep -qw overlay /proc/filesystems; then
    mkdir -p "$KND_CONTAINERD_ROOT"
    probe=$(mktemp -d "$KND_CONTAINERD_ROOT/.overlay-probe.XXXXXX")
    mkdir -p "$probe/l" "$probe/u" "$probe/w" "$probe/m"
    if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
      umount "$probe/m"
      ok=overlayfs
    fi
    rm -rf "$probe"
  fi
  printf '%s\n' "$ok"
}

# ensure_bridge: create the CNI bridge with the gateway address before any pod exists, so the kubelet
# can use that address as its node IP (the bridge plugin keeps an existing bridge and address)
ensure_bridge() {
  if ! ip link show "$KND_CNI_BRIDGE" >/dev/null 2>&1; then
    ip link add "$KND_CNI_BRIDGE" type bridge || die "could not create bridge $KND_CNI_BRIDGE"
  fi
  if ! ip -4 addr show dev "$KND_CNI_BRIDGE" | grep -q "inet $KND_NODE_IP/"; then
    ip addr add "$KND_NODE_IP/${KND_POD_SUBNET#*/}" dev "$KND_CNI_BRIDGE" ||
      die "could not add $KND_NODE_IP to $KND_CNI_BRIDGE (is $KND_POD_SUBNET used elsewhere on this host?)"
  fi
  ip link set "$KND_CNI_BRIDGE" up
}

write_cni_config() {
  local gw=$KND_NODE_IP
  mkdir -p "$CNI_CONF_DIR" "$CNI_IPAM_DIR"
  rm -f "$CNI_CONF_DIR"/*.conflist
  cat >"$CNI_CONF_DIR/10-knd-pods.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK_NAME",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$KND_CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{ "subnet": "$KND_POD_SUBNET", "gateway": "$gw" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

write_containerd_config() {
  local runc snapshotter=$1
  runc=$(command -v runc) || die "runc is not installed (Debian package runc)"
  mkdir -p "$CONTAINERD_CONF_DIR" /etc/cdi /var/run/cdi /etc/nri/conf.d /opt/nri/plugins "$(dirname "$KND_NRI_SOCKET")"
  cat >"$CONTAINERD_CONF_DIR/config.toml" <<EOF
# Written by test/cluster/containerd-up.sh (settings explained in docs/node-tier.md). Do not edit: rewritten on each start.
version = 3
root = '$KND_CONTAINERD_ROOT'
state = '$KND_CONTAINERD_STATE'

[grpc]
  address = '$CONTAINERD_SOCK'

[ttrpc]
  address = '$KND_CONTAINERD_STATE/containerd.sock.ttrpc'

[debug]
  address = '$KND_CONTAINERD_STATE/debug.sock'
  level = 'info'

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = '$snapshotter'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '$KND_PAUSE_IMAGE'

  [plugins.'io.containerd.cri.v1.runtime']
    enable_cdi = true
    cdi_spec_dirs = ['/etc/cdi', '/var/run/cdi']
    netns_mounts_under_state_dir = true
    # the VM's bounding set lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj below our own
    # (the CRI default of -998 for sandboxes fails with EACCES in runc init): clamp to containerd's
    restrict_oom_score_adj = true
    tolerate_missing_hugetlb_controller = true
    disable_hugetlb_controller = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          SystemdCgroup = false
          BinaryName = '$runc'
          Root = '$KND_CONTAINERD_STATE/runc'
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['/usr/lib/cni']
      conf_dir = '$CNI_CONF_DIR'
      max_conf_num = 1
      use_internal_loopback = true

  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'

  [plugins.'io.containerd.nri.v1.nri']
    disable = false
    disable_connections = false
    socket_path = '$KND_NRI_SOCKET'
    plugin_path = '/opt/nri/plugins'
    plugin_config_path = '/etc/nri/conf.d'
    plugin_registration_timeout = '5s'
    plugin_request_timeout = '2s'
EOF
  cat >"$CRICTL_CONFIG" <<EOF
runtime-endpoint: unix://$CONTAINERD_SOCK
image-endpoint: unix://$CONTAINERD_SOCK
timeout: 30
debug: false
EOF
  mkdir -p "$KND_RUN_DIR/bin"
  printf '#!/bin/sh\nexec %q --config %q "$@"\n' "$CRICTL_BIN/crictl" "$CRICTL_CONFIG" >"$KND_RUN_DIR/bin/crictl"
  printf '#!/bin/sh\nexec %q --address %q "$@"\n' "$CONTAINERD_BIN/ctr" "$CONTAINERD_SOCK" >"$KND_RUN_DIR/bin/ctr"
  chmod +x "$KND_RUN_DIR/bin/crictl" "$KND_RUN_DIR/bin/ctr"
}

ctr_node() { "$CONTAINERD_BIN/ctr" --address "$CONTAINERD_SOCK" "$@"; }

# runtime_ready: the CRI reports RuntimeReady and NetworkReady (NetworkReady needs the CNI conflist)
runtime_ready() {
  local info
  info=$(crictl_node info 2>/dev/null | tr -d ' \n') || return 1
  condition_true "$info" RuntimeReady && condition_true "$info" NetworkReady
}

# condition_true COMPACT_JSON TYPE: a {"message","reason","status":true,"type":TYPE} entry exists
condition_true() {
  printf '%s' "$1" | grep -Eq "\"status\":true,\"type\":\"$2\"|\"type\":\"$2\",\"status\":true"
}

# share_netns_dir: containerd pins each pod's network namespace as a bind mount in this directory.
# knd's agent, when it runs as a DaemonSet pod, mounts the directory with HostToContainer propagation
# and opens namespaces created after it started; that needs the host side to be a shared mount (a
# systemd host makes every mount shared; this one has no systemd, so the directory is made a shared
# mount point of its own). Idempotent; containerd-down.sh unmounts it with the rest of the state.
share_netns_dir() {
  local dir="$KND_CONTAINERD_STATE/io.containerd.grpc.v1.cri/netns"
  mkdir -p "$dir"
  findmnt -n -M "$dir" >/dev/null 2>&1 || mount --bind "$dir" "$dir" || die "mount --bind $dir failed"
  mount --make-shared "$dir" || die "mount --make-shared $dir failed"
}

# share_state_dir: the agent (as a DaemonSet pod) pins pod network namespaces under its state dir
# /var/lib/knd with Bidirectional propagation, so the pins live in the host mount namespace and
# outlive its container; that needs the host side to be a shared mount (see share_netns_dir).
# Idempotent.
share_state_dir() {
  local dir=/var/lib/knd
  mkdir -p "$dir"
  findmnt -n -M "$dir" >/dev/null 2>&1 || mount --bind "$dir" "$dir" || die "mount --bind $dir failed"
  mount --make-shared "$dir" || die "mount --make-shared $dir failed"
}

start_containerd() {
  if pid_alive "$PIDFILE" && ctr_node version >/dev/null 2>&1; then
    log "containerd: already running (pid $(cat "$PIDFILE")), reusing it"
    return 0
  fi
  if ctr_node version >/dev/null 2>&1; then
    die "a containerd not recorded in $PIDFILE already serves $CONTAINERD_SOCK (started with another KND_RUN_DIR?); stop it first"
  fi
  [ ! -S "$KND_NRI_SOCKET" ] || ! socat -u OPEN:/dev/null "UNIX-CONNECT:$KND_NRI_SOCKET" 2>/dev/null ||
    die "another runtime is already serving NRI on $KND_NRI_SOCKET; stop it first (or set KND_NRI_SOCKET)"
  rm -f "$PIDFILE" "$CONTAINERD_SOCK" "$KND_NRI_SOCKET"
  log "containerd: starting $CONTAINERD_BIN/containerd (log $LOGFILE)"
  # the shims must find containerd-shim-runc-v2 on PATH, ahead of any other install
  PATH="$CONTAINERD_BIN:$PATH" setsid "$CONTAINERD_BIN/containerd" --config "$CONTAINERD_CONF_DIR/config.toml" \
    </dev/null >>"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
  wait_for "containerd socket $CONTAINERD_SOCK" "$READY_TIMEOUT_S" "$LOGFILE" ctr_node version
  pid_alive "$PIDFILE" || die "containerd exited during start (see $LOGFILE)"
}

import_images() {
  local dir name tarball
  dir=$(bash "$here/images/build.sh")
  for name in pause busybox; do
    case $name in
      pause) ref=$KND_PAUSE_IMAGE ;;
      busybox) ref=$KND_BUSYBOX_IMAGE ;;
    esac
    tarball=$dir/$name.tar
    if ctr_node -n k8s.io images check "name==$ref" 2>/dev/null | grep -q complete; then
      continue
    fi
    log "containerd: importing $ref"
    ctr_node -n k8s.io images import --local --snapshotter "$SNAPSHOTTER" --platform linux/amd64 "$tarball" >>"$LOGFILE" 2>&1 ||
      die "ctr images import $tarball failed (see $LOGFILE)"
    ctr_node -n k8s.io images check "name==$ref" 2>/dev/null | grep -q complete ||
      die "import of $tarball did not produce $ref (ctr -n k8s.io images ls shows what it made)"
  done
  # the sandbox image must never be garbage-collected or pulled
  ctr_node -n k8s.io images label "$KND_PAUSE_IMAGE" io.cri-containerd.pinned=pinned >/dev/null
}

# clean_stale_state: containerd is not running and no shim of ours is alive (so no pod is running): what
# is left under our dirs (mounts, netns files, runc state, IPAM leases) is from a run that was killed
# (e.g. the machine's processes were ended between a session and CI); clear it before starting. When
# shims are alive this is a runtime restart (restartContainerd) and nothing is touched.
clean_stale_state() {
  pid_alive "$PIDFILE" && return 0
  [ -z "$(our_shim_pids)" ] || return 0
  [ -d "$KND_CONTAINERD_STATE" ] || return 0
  log "containerd: clearing state left by an earlier run"
  bash "$here/containerd-down.sh" >/dev/null 2>&1 || log "containerd: cleanup of the earlier run reported errors; continuing"
  STALE_RUN=1
}

# remove_dead_sandboxes: after a stale run, containerd still lists its sandboxes (NotReady); remove them
# so their names (name_namespace_uid_attempt) are free for tests that reuse fixed pod metadata
remove_dead_sandboxes() {
  [ "$STALE_RUN" = 1 ] || return 0
  local pod
  for pod in $(crictl_node pods -q 2>/dev/null); do
    crictl_node rmp -f "$pod" >/dev/null 2>&1 || log "containerd: could not remove dead sandbox $pod"
  done
}

main() {
  mkdir -p "$KND_RUN_DIR" "$PID_DIR" "$LOG_DIR"
  preflight
  clean_stale_state
  ensure_node_packages
  ensure_built containerd crictl
  if pid_alive "$PIDFILE" && [ -f "$CONTAINERD_CONF_DIR/snapshotter" ]; then
    SNAPSHOTTER=$(cat "$CONTAINERD_CONF_DIR/snapshotter")
  else
    SNAPSHOTTER=$(pick_snapshotter)
    write_cni_config
    write_containerd_config "$SNAPSHOTTER"
    printf '%s\n' "$SNAPSHOTTER" >"$CONTAINERD_CONF_DIR/snapshotter"
  fi
  ensure_bridge
  share_netns_dir
  share_state_dir
  start_containerd
  import_images
  wait_for "CRI RuntimeReady+NetworkReady" "$READY_TIMEOUT_S" "$LOGFILE" runtime_ready
  remove_dead_sandboxes
  log "containerd: ready ($SNAPSHOTTER snapshotter, NRI on $KND_NRI_SOCKET, crictl: $KND_RUN_DIR/bin/crictl)"
  printf '%s\n' "$CONTAINERD_SOCK"
}

main "$@"
