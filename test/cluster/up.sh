#!/usr/bin/env bash
# Starts a real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager
# and kube-scheduler, built from the Go module proxy by build.sh (a no-op when cached).
#
# Usage: test/cluster/up.sh     prints the admin kubeconfig path on stdout (logs go to stderr)
#
# Idempotent: a healthy control plane already running from $KND_RUN_DIR is reused. Every process is
# recorded in $KND_RUN_DIR/pids/<name>.pid and stopped by down.sh. Fails with a clear message, never
# hangs: each readiness wait has a deadline and prints the component's log tail on failure.
#
# Environment (all optional):
#   KND_RUN_DIR        state, PKI, logs, kubeconfigs (default /var/tmp/knd-cluster)
#   KND_KUBE_VERSION, KND_ETCD_VERSION  releases to run (defaults: versions.sh)
#   KND_NODE_NAME      node name of the kubelet identity generated here (default knd-node):
#                      pki/kubelet-<node>.{crt,key} and kubelet-<node>.kubeconfig
#   KND_CACHE_DIR      binary cache of build.sh (default ~/.cache/knd)
#   KND_ETCD_PORT (2379) KND_ETCD_PEER_PORT (2380) KND_APISERVER_PORT (6443)
#   KND_KCM_PORT (10257) KND_SCHEDULER_PORT (10259)
#
# The flags and why: docs/cluster-harness.md, "Flags, and why". KCM runs without the node-lifecycle
# controller so tests can create fake Node objects that are never tainted NotReady.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=cp-lib.sh
. "$here/cp-lib.sh"

preflight() {
  command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"
  command -v curl >/dev/null || die "curl is missing (apt-get install curl)"
  local port
  for port in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KCM_PORT" "$SCHEDULER_PORT"; do
    if port_in_use "$port"; then
      die "port $port is in use by another process ($(port_owner "$port")); stop it or set the KND_*_PORT variables"
    fi
  done
}

# pki_leaf NAME SUBJECT EXTENSIONS: a key and a certificate signed by the cluster CA (in $PKI)
pki_leaf() {
  openssl req -new -nodes -newkey rsa:2048 -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 30 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
  chmod 600 "$1.key"
}

# the names and addresses the apiserver's certificate covers: loopback, the `kubernetes` Service, the
# host's address, and the node IP that pods on the node tier use (kubernetesService.host in the chart)
apiserver_sans() {
  local host_ip
  host_ip=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' || true)
  local sans="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:10.0.0.1,IP:$KND_NODE_IP"
  [ -n "$host_ip" ] && [ "$host_ip" != "$KND_NODE_IP" ] && sans="$sans,IP:$host_ip"
  printf '%s\n' "$sans"
}

gen_apiserver_cert() {
  local sans
  sans=$(apiserver_sans)
  [ -f "$PKI/apiserver.crt" ] && [ "$(cat "$PKI/apiserver.sans" 2>/dev/null)" = "$sans" ] && return 0
  log "pki: apiserver certificate for $sans"
  (cd "$PKI" && pki_leaf apiserver /CN=kube-apiserver "keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$sans" && printf '%s\n' "$sans" >apiserver.sans)
}

gen_pki() {
  mkdir -p "$PKI"
  if [ -f "$PKI/.complete" ]; then
    gen_apiserver_cert
    return 0
  fi
  log "pki: generating a CA and component certificates in $PKI"
  (
    cd "$PKI"
    rm -f apiserver.crt apiserver.sans
    openssl req -x509 -new -nodes -newkey rsa:2048 -keyout ca.key -out ca.crt -subj /CN=knd-local-ca -days 30 2>/dev/null
    leaf() { pki_leaf "$@"; }
    leaf admin "/O=system:masters/CN=kubernetes-admin" "extendedKeyUsage=clientAuth"
    leaf apiserver-kubelet-client /CN=kube-apiserver "extendedKeyUsage=clientAuth"
    leaf controller-manager /CN=system:kube-controller-manager "extendedKeyUsage=clientAuth"
    leaf scheduler /CN=system:kube-scheduler "extendedKeyUsage=clientAuth"
    gen_apiserver_cert
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 600 ./*.key
    touch .complete
  )
}

# node_identity: client cert + kubeconfig of the kubelet on $NODE_NAME (CN=system:node:<node>,
# O=system:nodes, as the Node authorizer and NodeRestriction require), for the node tier
# (node-up.sh picks up pki/kubelet-<node>.{crt,key}); one per node name, made on first use
node_identity() {
  local base=kubelet-$NODE_NAME
  if [ ! -f "$PKI/$base.crt" ]; then
    log "pki: kubelet identity system:node:$NODE_NAME"
    (
      cd "$PKI"
      openssl req -new -nodes -newkey rsa:2048 -keyout "$base.key" -out "$base.csr" \
        -subj "/O=system:nodes/CN=system:node:$NODE_NAME" 2>/dev/null
      printf 'extendedKeyUsage=clientAuth\n' >"$base.ext"
      openssl x509 -req -in "$base.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$base.crt.tmp" \
        -days 30 -extfile "$base.ext" 2>/dev/null
      chmod 600 "$base.key"
      mv "$base.crt.tmp" "$base.crt"
      rm -f "$base.csr" "$base.ext"
    ) || die "could not create the kubelet certificate for node $NODE_NAME"
  fi
  kubeconfig "$base" "$base"
}

kubeconfig() { # name cert
  local f=$KND_RUN_DIR/$1.kubeconfig
  "$KUBECTL" config set-cluster knd --server="https://127.0.0.1:$APISERVER_PORT" \
    --certificate-authority="$PKI/ca.crt" --embed-certs --kubeconfig="$f" >/dev/null
  "$KUBECTL" config set-credentials "$1" --client-certificate="$PKI/$2.crt" --client-key="$PKI/$2.key" \
    --embed-certs --kubeconfig="$f" >/dev/null
  "$KUBECTL" config set-context knd --cluster=knd --user="$1" --kubeconfig="$f" >/dev/null
  "$KUBECTL" config use-context knd --kubeconfig="$f" >/dev/null
  chmod 600 "$f"
}

start_etcd() {
  start_process etcd "$ETCD_BIN" --name=knd --data-dir="$KND_RUN_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="knd=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync=true --log-level=warn
  wait_for etcd 60 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
}

start_apiserver() {
  start_process apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" --secure-port="$APISERVER_PORT" --bind-address=0.0.0.0 \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname --allow-privileged=true --endpoint-reconciler-type=none
  wait_for apiserver 120 "$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" get --raw=/readyz
}

start_kcm() {
  local kc=$KND_RUN_DIR/controller-manager.kubeconfig
  start_process kcm "$KUBE_BIN/kube-controller-manager" --kubeconfig="$kc" \
    --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range=10.0.0.0/24 --leader-elect=false --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" --controllers='*,-node-lifecycle-controller'
  wait_for kube-controller-manager 60 curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
}

start_scheduler() {
  local kc=$KND_RUN_DIR/scheduler.kubeconfig cfg=$KND_RUN_DIR/scheduler.yaml
  cat >"$cfg" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $kc
leaderElection:
  leaderElect: false
EOF
  start_process scheduler "$KUBE_BIN/kube-scheduler" --config="$cfg" --authentication-kubeconfig="$kc" \
    --authorization-kubeconfig="$kc" --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT"
  wait_for kube-scheduler 60 curl -fsSk "https://127.0.0.1:$SCHEDULER_PORT/healthz"
}

bootstrap_rbac() {
  # the apiserver's kubelet client (logs/exec) needs kubelet API access
  "$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" create clusterrolebinding kube-apiserver-kubelet-admin \
    --clusterrole=system:kubelet-api-admin --user=kube-apiserver >/dev/null 2>&1 ||
    "$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" get clusterrolebinding kube-apiserver-kubelet-admin >/dev/null ||
    die "could not create the kube-apiserver-kubelet-admin binding"
  # resource.k8s.io/v1 must be served with all four DRA kinds (GA and on by default in 1.34+)
  wait_for "resource.k8s.io/v1 discovery" 30 "$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" get --raw=/apis/resource.k8s.io/v1
  local served r
  served=$("$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" api-resources --api-group=resource.k8s.io -o name)
  for r in deviceclasses.resource.k8s.io resourceclaims.resource.k8s.io resourceclaimtemplates.resource.k8s.io resourceslices.resource.k8s.io; do
    grep -qx "$r" <<<"$served" || die "the apiserver does not serve $r (resource.k8s.io/v1); served: $(echo "$served" | tr '\n' ' ')"
  done
}

print_hints() {
  log "admin kubeconfig: $ADMIN_KUBECONFIG (also controller-manager, scheduler, kubelet-$NODE_NAME .kubeconfig in $KND_RUN_DIR)"
  log "  export KUBECONFIG=$ADMIN_KUBECONFIG PATH=$KUBE_BIN:\$PATH; kubectl get --raw=/readyz"
  log "  logs: $LOG_DIR; stop with: npm run cluster:down"
}

main() {
  mkdir -p "$KND_RUN_DIR" "$PID_DIR" "$LOG_DIR"
  if control_plane_healthy; then
    log "control plane already running from $KND_RUN_DIR: reusing it"
    [ -f "$KND_RUN_DIR/kubelet-$NODE_NAME.kubeconfig" ] || node_identity
    print_hints
    echo "$ADMIN_KUBECONFIG"
    return 0
  fi
  # a partial or dead earlier run: stop what is left, keep the PKI
  if ls "$PID_DIR"/*.pid >/dev/null 2>&1; then
    log "stopping leftovers of an earlier run"
    bash "$here/down.sh" --keep-node >/dev/null 2>&1 || true
  fi
  local t0=$SECONDS
  bash "$here/build.sh" kube etcd >&2
  [ -x "$KUBE_BIN/kube-apiserver" ] || die "no kube-apiserver in $KUBE_BIN after build.sh"
  [ -x "$ETCD_BIN" ] || die "no etcd at $ETCD_BIN after build.sh"
  preflight
  gen_pki
  kubeconfig admin admin
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  node_identity
  rm -rf "$KND_RUN_DIR/etcd"
  start_etcd
  start_apiserver
  bootstrap_rbac
  start_kcm
  start_scheduler
  # pods are rejected until the service-account controller made the namespace's default account
  wait_for "the default ServiceAccount (KCM service-account controller)" 60 \
    "$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" -n default get serviceaccount default
  log "control plane ready in $((SECONDS - t0)) s"
  print_hints
  echo "$ADMIN_KUBECONFIG"
}

# one up.sh/down.sh per run directory at a time; a cold build under the lock can take ~10 minutes
with_run_lock 1800 main "$@"
