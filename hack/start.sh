#!/usr/bin/env bash
# npm start: knd on this machine the way users run it — images, `helm install`, pods on a real
# kubelet — against a real local control plane, in one command.
#
#   1. starts etcd + kube-apiserver + controller-manager + scheduler (test/cluster/up.sh; the first
#      run builds them from the Go module proxy, with progress)
#   2. brings up the node: containerd 2.x with NRI and a real kubelet registered as $KND_NODE_NAME
#      (test/cluster/node-up.sh; the first run builds containerd and crictl)
#   3. builds the two images from Dockerfile.agent and Dockerfile.operator with buildah and imports
#      them into the node's containerd (hack/images/build.sh; cached layers after the first run)
#   4. creates a demo NIC (veth pair knd-demo0/knd-demo1) and installs the chart with helm
#      (hack/install-local.sh: the agent DaemonSet, two operator replicas with one leader), then runs
#      `helm test`
#   5. applies examples/ and a demo profile, starts a pod that claims the demo NIC, and shows net1
#      inside the pod and the claim's status (networkData, Ready) from the API
#   6. prints the generated DeviceClasses and ResourceClaimTemplates, this node's ResourceSlice,
#      the classes' and profiles' matches, and kubectl commands
#   7. waits; Ctrl-C deletes the demo pod (the NIC goes back to the host), uninstalls the release,
#      and stops the node and the control plane
#
# Usage: npm start [-- --no-demo-nic] [-- --keep-cluster] [-- --once]
#   --no-demo-nic   no veth demo NIC (then nothing is published on a machine without real NICs)
#   --keep-cluster  leave the control plane, the node and the release running on exit
#                   (helm uninstall knd -n knd-system; npm run cluster:down)
#   --once          print the summary and stop instead of waiting for Ctrl-C
# Environment: KND_RUN_DIR (default /var/tmp/knd-cluster), KND_NODE_NAME (default knd-node), and
# the port/version variables of test/cluster/up.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

demo_nic=true keep_cluster=false once=false
for a in "$@"; do
  case $a in
    --demo-nic) demo_nic=true ;; # the default; kept for older command lines
    --no-demo-nic) demo_nic=false ;;
    --keep-cluster) keep_cluster=true ;;
    --once) once=true ;;
    -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "npm start: unknown option $a (see npm start -- --help)" >&2; exit 2 ;;
  esac
done

export KND_RUN_DIR=${KND_RUN_DIR:-/var/tmp/knd-cluster}
node_name=${KND_NODE_NAME:-knd-node}
cache=${KND_CACHE_DIR:-$HOME/.cache/knd}
# shellcheck source=../test/cluster/versions.sh
. "$(dirname "$0")/../test/cluster/versions.sh"
kubectl_bin="$cache/kube-$KND_KUBE_VERSION/bin/kubectl"
state="$KND_RUN_DIR/knd-start"
demo_ns=knd-demo
demo_created=false started_cluster=false node_up=false installed=false demo_pod=knd-demo-pod
release=knd release_ns=knd-system
helm_bin="$cache/helm-$KND_HELM_VERSION/bin/helm"
problems=()
want_dcs=4 # rdma-nics, secondary-nics, sriov-vfs, fast-nics (+ demo-nics with --demo-nic)
tty=false
if [ -t 1 ]; then tty=true; fi

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '    \033[33mWARNING:\033[0m %s\n' "$*"; problems+=("$*"); }
k() { "$kubectl_bin" --kubeconfig "$kubeconfig" "$@"; }

# run CMD... in the background while printing elapsed seconds; returns its exit status
with_progress() {
  local what=$1; shift
  "$@" >"$state/$what.log" 2>&1 &
  local pid=$! t0=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    $tty && printf '\r    %s: %ds' "$what" $((SECONDS - t0))
    sleep 1
  done
  $tty && printf '\r'
  printf '    %s: finished in %ds\n' "$what" $((SECONDS - t0))
  wait "$pid"
}

cleanup() {
  local rc=$?
  trap - INT TERM EXIT
  step "stopping"
  if $keep_cluster; then
    note "left running: the control plane, the node and the release (helm uninstall $release -n $release_ns; npm run cluster:down)"
    exit "$rc"
  fi
  if $installed; then
    # while the agent still runs, so the demo NIC goes back to the host through it
    if k delete pod -n "$demo_ns" "$demo_pod" --ignore-not-found --wait=true --timeout=60s >/dev/null 2>&1; then
      note "demo pod deleted (its NIC is back on the host)"
    fi
    if "$helm_bin" --kubeconfig "$kubeconfig" uninstall "$release" -n "$release_ns" --wait --timeout 120s >/dev/null 2>&1; then
      note "release $release uninstalled"
    else
      note "helm uninstall $release failed; the cluster goes down anyway"
    fi
  fi
  if $demo_created; then ip link del knd-demo0 2>/dev/null || true; note "demo NIC knd-demo0 removed"; fi
  if $started_cluster || [ -n "${kubeconfig:-}" ]; then
    bash test/cluster/down.sh || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$KND_RUN_DIR"
step "control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)"
note "the first run builds Kubernetes from the Go module proxy (20-40 min); later runs reuse the cache"
kubeconfig=$(bash test/cluster/up.sh)
started_cluster=true
export KUBECONFIG=$kubeconfig
mkdir -p "$state"
note "kubeconfig: $kubeconfig"

step "node $node_name (containerd with NRI, kubelet)"
note "the first run builds containerd and crictl (~4 min) and apt-installs runc, CNI plugins, busybox"
if ! with_progress node-up env KND_NODE_NAME="$node_name" bash test/cluster/node-up.sh; then
  echo "the node did not come up; last lines of $state/node-up.log:" >&2
  tail -n 15 "$state/node-up.log" >&2
  exit 1
fi
node_up=true
note "kubelet registered $node_name; containerd's NRI socket /var/run/nri/nri.sock"

step "images (buildah: Dockerfile.agent, Dockerfile.operator) and helm"
note "the first run installs buildah and mmdebstrap, makes a local base image and builds helm (minutes)"
with_progress helm-build bash test/cluster/build.sh helm ||
  { echo "helm did not build: $state/helm-build.log" >&2; tail -n 15 "$state/helm-build.log" >&2; exit 1; }
with_progress images bash hack/images/build.sh --import ||
  { echo "the images did not build: $state/images.log" >&2; tail -n 25 "$state/images.log" >&2; exit 1; }
sed 's/^/    /' <(tail -n 2 "$state/images.log")

if $demo_nic; then
  step "demo NIC"
  if ip link show knd-demo0 >/dev/null 2>&1; then
    note "knd-demo0 already exists"
  else
    ip link add knd-demo0 type veth peer name knd-demo1
    ip link set knd-demo0 up && ip link set knd-demo1 up
    demo_created=true
    note "created veth pair knd-demo0 <-> knd-demo1 (removed on exit)"
  fi
fi

step "helm install (hack/install-local.sh: charts/knd with hack/local-node-values.yaml)"
installed=true
if ! with_progress install bash hack/install-local.sh --release "$release" --namespace "$release_ns"; then
  echo "helm install failed; last lines of $state/install.log:" >&2
  tail -n 25 "$state/install.log" >&2
  k -n "$release_ns" get pods -o wide >&2 || true
  exit 1
fi
k -n "$release_ns" get pods -o wide 2>&1 | sed 's/^/    /'
if "$helm_bin" --kubeconfig "$kubeconfig" test "$release" -n "$release_ns" --timeout 180s >"$state/helm-test.log" 2>&1; then
  note "helm test $release: passed"
  k -n "$release_ns" logs "$release-check-install" 2>&1 | sed 's/^/      /'
else
  warn "helm test $release failed ($state/helm-test.log); kubectl -n $release_ns logs $release-check-install"
fi

step "examples"
k create namespace "$demo_ns" --dry-run=client -o yaml | k apply -f - >/dev/null
for d in rdma-gpu-aligned secondary-nic sriov-vf; do
  k apply -n "$demo_ns" -f "examples/$d/network-device-class.yaml" -f "examples/$d/network-profile.yaml" | sed 's/^/    /'
done
k apply -k examples/gitops-team | sed 's/^/    /'
if $demo_nic; then
  # a class and profile that match the demo veth, so the counts show a match on any machine
  k apply -f - <<EOF | sed 's/^/    /'
apiVersion: knd.dev/v1alpha1
kind: NetworkDeviceClass
metadata: { name: demo-nics }
spec:
  selector: { virtual: true, interfaceNames: ["knd-demo*"] }
---
apiVersion: knd.dev/v1alpha1
kind: NetworkProfile
metadata: { name: demo-net, namespace: $demo_ns }
spec:
  deviceClassName: demo-nics
  config: { interface: { name: net1, addresses: ["203.0.113.10/24"] } }
EOF
  want_dcs=5
fi

step "waiting for this node's ResourceSlice and the operator (up to 60 s)"
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 60 ]; do
  slices=$(k get resourceslices --field-selector "spec.nodeName=$node_name,spec.driver=knd.dev" -o name 2>/dev/null | wc -l)
  dcs=$(k get deviceclasses -l app.kubernetes.io/managed-by=knd-operator -o name 2>/dev/null | wc -l)
  $tty && printf '\r    %ds: %d ResourceSlice(s), %d generated DeviceClass(es)' $((SECONDS - t0)) "$slices" "$dcs"
  [ "$slices" -gt 0 ] && [ "$dcs" -ge "$want_dcs" ] && break
  sleep 2
done
$tty && echo
note "$((SECONDS - t0))s: $slices ResourceSlice(s), $dcs generated DeviceClass(es)"
[ "$slices" -gt 0 ] || warn "no ResourceSlice for $node_name yet: kubectl -n $release_ns logs ds/$release-agent"
[ "$dcs" -ge "$want_dcs" ] || warn "the operator generated $dcs of $want_dcs DeviceClasses: kubectl -n $release_ns logs deploy/$release-operator"

if $demo_nic; then
  step "a pod that claims the demo NIC (up to 120 s)"
  t0=$SECONDS
  until k -n "$demo_ns" get resourceclaimtemplate demo-net >/dev/null 2>&1 || [ $((SECONDS - t0)) -gt 30 ]; do sleep 1; done
  k apply -f - <<EOF | sed 's/^/    /'
apiVersion: v1
kind: Pod
metadata: { name: $demo_pod, namespace: $demo_ns }
spec:
  nodeSelector: { kubernetes.io/hostname: $node_name }
  terminationGracePeriodSeconds: 1
  resourceClaims: [{ name: net, resourceClaimTemplateName: demo-net }]
  containers:
    - name: main
      image: localhost/busybox:local
      imagePullPolicy: Never
      command: [sleep, "86400"]
      resources: { claims: [{ name: net }] }
EOF
  if k -n "$demo_ns" wait --for=condition=Ready "pod/$demo_pod" --timeout=120s >/dev/null 2>&1; then
    note "pod $demo_pod Ready after $((SECONDS - t0)) s; inside it (kubectl exec $demo_pod -- ip -o addr show dev net1):"
    k -n "$demo_ns" exec "$demo_pod" -- ip -o addr show dev net1 2>&1 | sed 's/^/      /'
    claim=$(k -n "$demo_ns" get pod "$demo_pod" -o jsonpath='{.status.resourceClaimStatuses[0].resourceClaimName}')
    # the agent writes the claim's status right after the attach, off the pod's critical path
    for _ in $(seq 1 20); do
      k -n "$demo_ns" get resourceclaim "$claim" -o jsonpath='{.status.devices[0].networkData.interfaceName}' 2>/dev/null | grep -q . && break
      sleep 0.5
    done
    note "kubectl describe resourceclaim $claim (status.devices, written by the agent):"
    k -n "$demo_ns" describe resourceclaim "$claim" 2>&1 | sed -n '/^Status:/,$p' | sed -n '/^  Devices:/,/^[A-Z]/p' | head -n 20 | sed 's/^/      /'
  else
    warn "pod $demo_pod not Ready within 120 s; its events:"
    k -n "$demo_ns" get events --field-selector "involvedObject.name=$demo_pod" 2>&1 | tail -n 8 | sed 's/^/      /'
  fi
fi

step "generated DeviceClasses"
k get deviceclasses -l app.kubernetes.io/managed-by=knd-operator 2>&1 | sed 's/^/    /'
step "generated ResourceClaimTemplates"
k get resourceclaimtemplates -A -l app.kubernetes.io/managed-by=knd-operator 2>&1 | sed 's/^/    /'
step "ResourceSlice of node $node_name (devices knd discovered on this machine)"
k get resourceslices --field-selector "spec.nodeName=$node_name" 2>&1 | sed 's/^/    /'
k get resourceslices --field-selector "spec.nodeName=$node_name" \
  -o jsonpath='{range .items[*].spec.devices[*]}{.name}{"\t"}{.attributes.knd\.dev/ifName.string}{"\t"}{.attributes.knd\.dev/type.string}{"\n"}{end}' \
  2>/dev/null | sed 's/^/      /'
ndev=$(k get resourceslices --field-selector "spec.nodeName=$node_name" -o jsonpath='{range .items[*].spec.devices[*]}{.name}{"\n"}{end}' 2>/dev/null | grep -c . || true)
note "$ndev device(s) published"
if [ "$ndev" -eq 0 ]; then
  note "why nothing: what discovery excluded on this machine (knd discover --show-excluded, in the agent's pod):"
  k -n "$release_ns" exec "ds/$release-agent" -- node bin/knd.js discover --show-excluded 2>&1 | grep '^excluded:' | head -n 12 | sed 's/^/      /'
fi
step "matches (from the status the operator writes)"
k get networkdeviceclasses 2>&1 | sed 's/^/    /'
k get networkprofiles -A 2>&1 | sed 's/^/    /'

step "look further"
cat <<EOF
    export KUBECONFIG=$kubeconfig PATH=$(dirname "$kubectl_bin"):\$PATH
    kubectl get ndc,netprof -A                        # classes/profiles, Ready, matched devices and nodes
    kubectl describe ndc secondary-nics               # conditions and events
    kubectl get deviceclass rdma-nics -o yaml         # the generated CEL selectors and opaque config
    kubectl -n $demo_ns get resourceclaimtemplate storage-net -o yaml
    kubectl get resourceslices -o yaml --field-selector spec.nodeName=$node_name
    kubectl -n $release_ns logs ds/$release-agent          # agent (JSON logs)
    kubectl -n $release_ns logs deploy/$release-operator   # operator (the leader reconciles)
    curl -s 127.0.0.1:9477/metrics | grep ^knd_     # agent metrics (on the node's loopback)
    helm test $release -n $release_ns                # the chart's own check
EOF
if [ ${#problems[@]} -gt 0 ]; then
  step "problems"
  for p in "${problems[@]}"; do note "$p"; done
fi

if $once; then exit 0; fi
step "running; press Ctrl-C to stop everything"
while :; do sleep 3600; done
