#!/usr/bin/env bash
# Brings up the node tier: containerd (containerd-up.sh) and a real kubelet registered with the control
# plane as node $KND_NODE_NAME, then waits for the Node to be Ready. Idempotent: a kubelet already
# running from this script's PID file is reused.
#
# Usage: test/cluster/node-up.sh            prints the node name on stdout
#
# Needs the control plane: the admin kubeconfig ($KND_KUBECONFIG, default $KND_RUN_DIR/admin.kubeconfig)
# and the cluster CA ($KND_PKI_DIR, default $KND_RUN_DIR/pki, files ca.crt and ca.key). When the
# kubeconfig is missing and test/cluster/up.sh exists, it is run first.
#
# The kubelet's client certificate (CN=system:node:<node>, O=system:nodes) is reused from
# $KND_PKI_DIR/kubelet-<node>.{crt,key} or $KND_PKI_DIR/kubelet.{crt,key} when present with that subject
# and signed by ca.crt; otherwise it is generated with the same CA into $KND_RUN_DIR/kubelet/.
#
# Environment (besides node-lib.sh's): KND_NODE_READY_TIMEOUT_S (default 120), KND_KUBELET_VERBOSITY
# (default 2), KND_KUBELET_MAX_PODS (default 250), KND_KUBELET_PORT (default 10250),
# KND_KUBELET_HEALTHZ_PORT (default 10248), KND_KUBELET_FEATURE_GATES (e.g. "DRADeviceTaints=true").
#
# Layout: $KND_RUN_DIR/kubelet/{config.yaml,kubelet.kubeconfig,client.crt,client.key},
# log $KND_RUN_DIR/logs/kubelet.log, pid $KND_RUN_DIR/pids/kubelet.pid; DRA plugin sockets go under
# <root-dir>/plugins_registry and <root-dir>/plugins/<driver>.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=node-lib.sh
. "$here/node-lib.sh"

KND_KUBECONFIG=${KND_KUBECONFIG:-$KND_RUN_DIR/admin.kubeconfig}
KND_PKI_DIR=${KND_PKI_DIR:-$KND_RUN_DIR/pki}
READY_TIMEOUT_S=${KND_NODE_READY_TIMEOUT_S:-120}
VERBOSITY=${KND_KUBELET_VERBOSITY:-2}
MAX_PODS=${KND_KUBELET_MAX_PODS:-250}
KUBELET_PORT=${KND_KUBELET_PORT:-10250}
HEALTHZ_PORT=${KND_KUBELET_HEALTHZ_PORT:-10248}
KUBELET_DIR=$KND_RUN_DIR/kubelet
PIDFILE=$PID_DIR/kubelet.pid
LOGFILE=$LOG_DIR/kubelet.log
KUBECTL=$KUBE_BIN/kubectl

kubectl_admin() { "$KUBECTL" --kubeconfig "$KND_KUBECONFIG" "$@"; }

ensure_control_plane() {
  if [ ! -f "$KND_KUBECONFIG" ] && [ -f "$here/up.sh" ]; then
    log "node: no $KND_KUBECONFIG yet, starting the control plane (test/cluster/up.sh)"
    bash "$here/up.sh" >/dev/null
  fi
  [ -f "$KND_KUBECONFIG" ] || die "no admin kubeconfig at $KND_KUBECONFIG: start the control plane first (bash test/cluster/up.sh) or set KND_KUBECONFIG"
  [ -f "$KND_PKI_DIR/ca.crt" ] && [ -f "$KND_PKI_DIR/ca.key" ] ||
    die "the cluster CA is not at $KND_PKI_DIR/ca.{crt,key}; set KND_PKI_DIR to the control plane's PKI directory"
  kubectl_admin get --raw /readyz >/dev/null 2>&1 ||
    die "the apiserver in $KND_KUBECONFIG does not answer /readyz; is the control plane up?"
}

# cert_ok CRT KEY: signed by our CA, subject is the node identity, key matches, valid for 1 more hour
cert_ok() {
  local crt=$1 key=$2 subject
  [ -f "$crt" ] && [ -f "$key" ] || return 1
  openssl verify -CAfile "$KND_PKI_DIR/ca.crt" "$crt" >/dev/null 2>&1 || return 1
  openssl x509 -in "$crt" -noout -checkend 3600 >/dev/null 2>&1 || return 1
  subject=$(openssl x509 -in "$crt" -noout -subject -nameopt RFC2253 2>/dev/null)
  case $subject in *"CN=system:node:$KND_NODE_NAME"*"O=system:nodes"* | *"O=system:nodes"*"CN=system:node:$KND_NODE_NAME"*) ;; *) return 1 ;; esac
  [ "$(openssl x509 -in "$crt" -noout -pubkey | sha256sum)" = "$(openssl pkey -in "$key" -pubout | sha256sum)" ]
}

ensure_kubelet_cert() {
  local c
  for c in "kubelet-$KND_NODE_NAME" kubelet; do
    if cert_ok "$KND_PKI_DIR/$c.crt" "$KND_PKI_DIR/$c.key"; then
      cp "$KND_PKI_DIR/$c.crt" "$KUBELET_DIR/client.crt"
      cp "$KND_PKI_DIR/$c.key" "$KUBELET_DIR/client.key"
      return 0
    fi
  done
  cert_ok "$KUBELET_DIR/client.crt" "$KUBELET_DIR/client.key" && return 0
  log "node: issuing the kubelet client certificate for system:node:$KND_NODE_NAME"
  local tmp
  tmp=$(mktemp -d)
  openssl req -new -nodes -newkey rsa:2048 -keyout "$tmp/client.key" -out "$tmp/client.csr" \
    -subj "/O=system:nodes/CN=system:node:$KND_NODE_NAME" 2>/dev/null
  printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$tmp/ext"
  openssl x509 -req -in "$tmp/client.csr" -CA "$KND_PKI_DIR/ca.crt" -CAkey "$KND_PKI_DIR/ca.key" \
    -CAcreateserial -CAserial "$tmp/ca.srl" -out "$tmp/client.crt" -days 2 -extfile "$tmp/ext" 2>/dev/null ||
    die "could not sign the kubelet certificate with $KND_PKI_DIR/ca.key"
  install -m 0600 "$tmp/client.key" "$KUBELET_DIR/client.key"
  install -m 0644 "$tmp/client.crt" "$KUBELET_DIR/client.crt"
  rm -rf "$tmp"
}

write_kubelet_files() {
  local server
  server=$(kubectl_admin config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  [ -n "$server" ] || die "could not read the apiserver URL from $KND_KUBECONFIG"
  cp "$KND_PKI_DIR/ca.crt" "$KUBELET_DIR/ca.crt"
  local kc=$KUBELET_DIR/kubelet.kubeconfig
  rm -f "$kc"
  "$KUBECTL" config set-cluster knd --server="$server" --certificate-authority="$KUBELET_DIR/ca.crt" --embed-certs --kubeconfig="$kc" >/dev/null
  "$KUBECTL" config set-credentials "system:node:$KND_NODE_NAME" --client-certificate="$KUBELET_DIR/client.crt" \
    --client-key="$KUBELET_DIR/client.key" --embed-certs --kubeconfig="$kc" >/dev/null
  "$KUBECTL" config set-context knd --cluster=knd --user="system:node:$KND_NODE_NAME" --kubeconfig="$kc" >/dev/null
  "$KUBECTL" config use-context knd --kubeconfig="$kc" >/dev/null
  chmod 0600 "$kc"

  local gates=""
  if [ -n "${KND_KUBELET_FEATURE_GATES:-}" ]; then
    gates="featureGates:"
    local g
    for g in ${KND_KUBELET_FEATURE_GATES//,/ }; do gates+=$'\n'"  ${g%%=*}: ${g#*=}"; done
  fi
  cat >"$KUBELET_DIR/config.yaml" <<EOF
# Written by test/cluster/node-up.sh (settings explained in docs/node-tier.md). Rewritten on each start.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# the machine runs cgroup v1 (hybrid) and no systemd
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: true
cgroupRoot: ""
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
failSwapOn: false
# the node IP, not loopback: the apiserver dials the kubelet at the Node's InternalIP for exec/logs
address: $KND_NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $HEALTHZ_PORT
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $KUBELET_DIR/ca.crt
authorization:
  mode: Webhook
rotateCertificates: false
serverTLSBootstrap: false
# tiny thresholds: CI machines have little free disk; default ones would taint the node and evict pods
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
resolvConf: /etc/resolv.conf
maxPods: $MAX_PODS
protectKernelDefaults: false
serializeImagePulls: false
# the kubelet retries a pod whose DRA prepare failed (driver not registered yet, plugin restarting)
# only on its periodic pod resync: kuberuntime's SyncPod returns without a sync error there. 10 s
# instead of the 1 min default keeps such retries inside test deadlines.
syncFrequency: 10s
nodeStatusUpdateFrequency: 5s
nodeStatusReportFrequency: 10s
$gates
EOF
}

start_kubelet() {
  if pid_alive "$PIDFILE"; then
    local exe
    exe=$(readlink "/proc/$(cat "$PIDFILE")/exe" 2>/dev/null || true)
    if [ "$exe" = "$KUBELET_BIN/kubelet" ]; then
      log "kubelet: already running (pid $(cat "$PIDFILE")), reusing it"
      return 0
    fi
    # another release was asked for (KND_KUBELET_VERSION): restart under the running pods
    log "kubelet: running $exe, not $KUBELET_BIN/kubelet; restarting it as $KND_KUBELET_VERSION"
    stop_pidfile "$PIDFILE" kubelet 15
  fi
  mkdir -p "$KND_KUBELET_ROOT"
  log "kubelet: starting $KUBELET_BIN/kubelet as node $KND_NODE_NAME (root-dir $KND_KUBELET_ROOT, log $LOGFILE)"
  setsid "$KUBELET_BIN/kubelet" \
    --config="$KUBELET_DIR/config.yaml" \
    --kubeconfig="$KUBELET_DIR/kubelet.kubeconfig" \
    --hostname-override="$KND_NODE_NAME" \
    --node-ip="$KND_NODE_IP" \
    --root-dir="$KND_KUBELET_ROOT" \
    --cert-dir="$KUBELET_DIR/pki" \
    --v="$VERBOSITY" \
    </dev/null >>"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
}

kubelet_healthy() { curl -fsS "http://127.0.0.1:$HEALTHZ_PORT/healthz" >/dev/null 2>&1; }

node_ready() {
  [ "$(kubectl_admin get node "$KND_NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# The kubelet registers the Node with node.kubernetes.io/not-ready:NoSchedule; the node-lifecycle
# controller would lift it once Ready, but the control plane runs without that controller (tests create
# fake Nodes), so lift it here once the kubelet itself reports Ready.
remove_not_ready_taint() {
  local taints
  taints=$(kubectl_admin get node "$KND_NODE_NAME" -o jsonpath='{.spec.taints[*].key}' 2>/dev/null) || return 0
  case " $taints " in
    *" node.kubernetes.io/not-ready "*)
      kubectl_admin taint node "$KND_NODE_NAME" node.kubernetes.io/not-ready- >/dev/null ||
        die "could not remove the not-ready taint from node $KND_NODE_NAME"
      ;;
  esac
}

# check_apiserver_to_kubelet: exec/logs/port-forward go apiserver -> kubelet. The apiserver must dial
# the Node's InternalIP (--kubelet-preferred-address-types=InternalIP,Hostname: the hostname does not
# resolve), present a client cert the kubelet trusts (--kubelet-client-certificate signed by the CA)
# and that identity must be allowed nodes/proxy (binding to system:kubelet-api-admin). Warn otherwise.
check_apiserver_to_kubelet() {
  local out
  if out=$(kubectl_admin get --raw "/api/v1/nodes/$KND_NODE_NAME/proxy/healthz" 2>&1) && [ "$out" = ok ]; then
    return 0
  fi
  log "node: WARNING the apiserver cannot reach the kubelet (kubectl exec/logs will fail): $out"
  log "node: the apiserver needs --kubelet-preferred-address-types=InternalIP,Hostname,"
  log "node:   --kubelet-client-certificate/--kubelet-client-key signed by $KND_PKI_DIR/ca.crt, and that"
  log "node:   identity bound to ClusterRole system:kubelet-api-admin"
  return 1
}

main() {
  mkdir -p "$KND_RUN_DIR" "$PID_DIR" "$LOG_DIR" "$KUBELET_DIR"
  ensure_built kube
  ensure_control_plane
  bash "$here/containerd-up.sh" >/dev/null
  if ! pid_alive "$PIDFILE"; then
    ensure_kubelet_cert
    write_kubelet_files
  fi
  start_kubelet
  wait_for "kubelet healthz on 127.0.0.1:$HEALTHZ_PORT" "$READY_TIMEOUT_S" "$LOGFILE" kubelet_healthy
  pid_alive "$PIDFILE" || die "kubelet exited during start (see $LOGFILE)"
  wait_for "node $KND_NODE_NAME Ready" "$READY_TIMEOUT_S" "$LOGFILE" node_ready
  remove_not_ready_taint
  check_apiserver_to_kubelet || true
  log "node: $KND_NODE_NAME is Ready (kubelet pid $(cat "$PIDFILE"), containerd $CONTAINERD_SOCK)"
  printf '%s\n' "$KND_NODE_NAME"
}

main "$@"
