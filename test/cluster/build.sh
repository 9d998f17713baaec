#!/usr/bin/env bash
# Builds the real Kubernetes peers knd is tested against, from the Go module proxy, into a cache
# outside the repository keyed by version. A second run with the same inputs is a no-op (stamp file).
#
# Usage: test/cluster/build.sh [kube|etcd|containerd|crictl|helm|matrix|all]...   (default: kube etcd)
#   matrix: Kubernetes (and etcd) of every KND_COMPAT_VERSIONS entry and KND_SKEW_KUBELET_VERSION
#
# Environment (all optional):
#   KND_KUBE_VERSION        Kubernetes release; staging modules use v0.<minor>.<patch>
#   KND_ETCD_VERSION        etcd release
#   KND_CONTAINERD_VERSION  containerd release
#   KND_CRICTL_VERSION      cri-tools release
#   KND_HELM_VERSION        helm release
#                           (defaults for all five: test/cluster/versions.sh)
#   KND_CACHE_DIR           cache root (default ~/.cache/knd)
#
# Technique (docs/cluster-harness.md, "What the scripts install and build"): k8s.io/kubernetes requires its staging modules at
# v0.0.0 and satisfies them with relative replaces that do not apply to a dependent module, so a small
# tools module replaces each staging module with the published v0.<minor>.<patch> tag. The list is read
# from the release's own go.mod, not hard-coded. Builds go to a temp dir renamed into place, so an
# interrupted build never leaves a half cache.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# defaults: versions.sh (sourced by lib.sh)
KUBE_VERSION=$KND_KUBE_VERSION
ETCD_VERSION=$KND_ETCD_VERSION
CONTAINERD_VERSION=$KND_CONTAINERD_VERSION
CRICTL_VERSION=$KND_CRICTL_VERSION
HELM_VERSION=$KND_HELM_VERSION

export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -modcacherw -buildvcs=false"

have_go() { command -v go >/dev/null; }

# preflight_build: only when something must be built (a cached run needs neither Go nor disk space)
preflight_build() {
  have_go || die "Go is not installed (need Go >= 1.25 on PATH to build the cluster binaries)"
  local avail_kb
  avail_kb=$(df -Pk "$KND_CACHE_DIR" | awk 'NR==2{print $4}')
  [ "$avail_kb" -ge $((6 * 1024 * 1024)) ] || die "less than 6 GiB free under $KND_CACHE_DIR; the Go builds need more"
}

# stamp_key FILES... -> a hash over the inputs that decide a build's output
# (without Go the key is "no-go": an existing cache is then used as it is, see run_build)
stamp_key() {
  have_go || { echo no-go; return 0; }
  { go version; printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

# resolve MODULE@VERSION or fail with the module's name, never hang (the proxy answers or refuses)
need_module() {
  local out
  if ! out=$(timeout 300 go list -m -json "$1" 2>&1); then
    die "the Go module proxy did not serve $1: $out"
  fi
}

# run_build NAME KEY BODY_FUNC: skip when the stamp matches, else build into tmp and rename
run_build() {
  local name=$1 key=$2 fn=$3 dest stamp tmp
  dest=$(bin_dir_for "$name")
  stamp="$dest/.stamp"
  # one build per component at a time: a second caller (another test harness) waits, then reuses it
  mkdir -p "$KND_CACHE_DIR"
  local lock_fd
  exec {lock_fd}>"$KND_CACHE_DIR/.build-$name.lock"
  if ! flock -n "$lock_fd"; then
    log "$name: another build is running, waiting for it"
    flock "$lock_fd"
  fi
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
    log "$name: cached in $dest"
    exec {lock_fd}>&-
    return 0
  fi
  if [ -f "$stamp" ] && [ "$key" = no-go ]; then
    log "$name: Go is not installed; using the cached build in $dest as it is"
    exec {lock_fd}>&-
    return 0
  fi
  preflight_build
  tmp="$dest.tmp.$$"
  BUILD_TMP=$tmp # removed by the EXIT trap when the build fails
  rm -rf "$tmp"; mkdir -p "$tmp"
  local start=$SECONDS
  log "$name: building into $dest (first build takes minutes; progress below, full output in $KND_CACHE_DIR/logs/build-$name.log)"
  BUILD_LOG=$KND_CACHE_DIR/logs/build-$name.log
  mkdir -p "$KND_CACHE_DIR/logs"
  : >"$BUILD_LOG"
  "$fn" "$tmp"
  echo "$key" >"$tmp/.stamp"
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"; mv "$tmp" "$dest"
  BUILD_TMP=
  log "$name: built in $((SECONDS - start)) s"
  exec {lock_fd}>&-
}

# a private tools module under the cache, one per component and version
tools_module() {
  local dir="$KND_CACHE_DIR/src/$1"
  mkdir -p "$dir"
  echo "$dir"
}

build_kube() {
  local out=$1 dir minor patch staging mod ldflags date commit
  dir=$(tools_module "kube-$KUBE_VERSION")
  need_module "k8s.io/kubernetes@$KUBE_VERSION"
  mod=$(go list -m -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  patch=$(echo "$KUBE_VERSION" | cut -d. -f3)
  staging=$(awk '/=> \.\/staging\/src\//{print $1}' "$mod")
  [ -n "$staging" ] || die "could not read the staging modules from $mod"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init knd.dev/tools/kube >/dev/null 2>&1
    # mirror upstream's go and godebug lines so GODEBUG defaults match release builds
    go mod edit -go="$(awk '/^go /{print $2; exit}' "$mod")"
    if grep -q '^godebug' "$mod"; then
      grep '^godebug' "$mod" >>go.mod
    fi
    go mod edit -require="k8s.io/kubernetes@$KUBE_VERSION"
    local m args=()
    for m in $staging; do args+=("-replace=$m=$m@v0.$minor.$patch"); done
    go mod edit "${args[@]}"
    cat >tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
EOF
    date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    commit=$(printf '%s' "$KUBE_VERSION" | sha1sum | cut -c1-40)
    ldflags="-s -w"
    local pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=$commit -X $pkg.buildDate=$date"
    done
    log "kube: downloading modules for k8s.io/kubernetes@$KUBE_VERSION"
    run_logged "$BUILD_LOG" go mod download -x k8s.io/kubernetes
    log "kube: compiling kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet (one go build, -p 2)"
    run_logged "$BUILD_LOG" go build -tags tools -trimpath -p 2 -o "$out/" -ldflags "$ldflags" -v \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes/cmd/kubelet
  )
  [ -x "$out/kube-apiserver" ] || die "kube build produced no kube-apiserver (see output above)"
}

build_etcd() {
  local out=$1 dir
  dir=$(tools_module "etcd-$ETCD_VERSION")
  need_module "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init knd.dev/tools/etcd >/dev/null 2>&1
    go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
    run_logged "$BUILD_LOG" go build -tags tools -trimpath -p 2 -o "$out/etcd" -ldflags "-s -w" -v go.etcd.io/etcd/server/v3
  )
  [ -x "$out/etcd" ] || die "etcd build produced no binary (see output above)"
}

build_containerd() {
  local out=$1 dir v=github.com/containerd/containerd/v2/version
  dir=$(tools_module "containerd-$CONTAINERD_VERSION")
  need_module "github.com/containerd/containerd/v2@$CONTAINERD_VERSION"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init knd.dev/tools/containerd >/dev/null 2>&1
    go mod edit -require="github.com/containerd/containerd/v2@$CONTAINERD_VERSION"
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "github.com/containerd/containerd/v2/cmd/containerd"\n\t_ "github.com/containerd/containerd/v2/cmd/ctr"\n\t_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"\n)\n' >tools.go
    local ld="-s -w -X $v.Version=$CONTAINERD_VERSION -X $v.Revision=knd -X $v.Package=github.com/containerd/containerd/v2"
    run_logged "$BUILD_LOG" go build -tags "tools no_btrfs urfave_cli_no_docs" -trimpath -p 2 -o "$out/" -ldflags "$ld" -v \
      github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/ctr
    run_logged "$BUILD_LOG" go build -tags "tools no_grpc" -trimpath -p 2 -o "$out/" -ldflags "$ld" \
      github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2
  )
  [ -x "$out/containerd" ] || die "containerd build produced no binary (see output above)"
}

build_crictl() {
  local out=$1 dir
  dir=$(tools_module "crictl-$CRICTL_VERSION")
  need_module "sigs.k8s.io/cri-tools@$CRICTL_VERSION"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init knd.dev/tools/crictl >/dev/null 2>&1
    go mod edit -require="sigs.k8s.io/cri-tools@$CRICTL_VERSION"
    printf '//go:build tools\n\npackage tools\n\nimport _ "sigs.k8s.io/cri-tools/cmd/crictl"\n' >tools.go
    run_logged "$BUILD_LOG" go build -tags tools -trimpath -p 2 -o "$out/crictl" -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
      sigs.k8s.io/cri-tools/cmd/crictl
  )
  [ -x "$out/crictl" ] || die "crictl build produced no binary"
}

build_helm() {
  local out=$1 dir
  dir=$(tools_module "helm-$HELM_VERSION")
  need_module "helm.sh/helm/v3@$HELM_VERSION"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init knd.dev/tools/helm >/dev/null 2>&1
    go mod edit -require="helm.sh/helm/v3@$HELM_VERSION"
    printf '//go:build tools\n\npackage tools\n\nimport _ "helm.sh/helm/v3/cmd/helm"\n' >tools.go
    # like helm's Makefile: the default .Capabilities.KubeVersion (helm template/lint without a
    # cluster) is 1.<client-go minor>, not the 1.20 compiled in; charts with kubeVersion >= 1.34 need it
    local cg major minor ld
    cg=$(go list -m -f '{{.Version}}' k8s.io/client-go) || die "could not resolve helm's k8s.io/client-go version"
    major=$(($(echo "${cg#v}" | cut -d. -f1) + 1))
    minor=$(echo "$cg" | cut -d. -f2)
    ld="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
    ld+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
    ld+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
    run_logged "$BUILD_LOG" go build -tags tools -trimpath -p 2 -o "$out/helm" -ldflags "$ld" helm.sh/helm/v3/cmd/helm
  )
  [ -x "$out/helm" ] || die "helm build produced no binary"
}

BUILD_TMP=
trap '[ -z "$BUILD_TMP" ] || rm -rf "$BUILD_TMP"' EXIT

main() {
  mkdir -p "$KND_CACHE_DIR"
  local what=("$@")
  [ ${#what[@]} -gt 0 ] || what=(kube etcd)
  [ "${what[0]}" != all ] || what=(kube etcd containerd crictl helm)
  local c
  for c in "${what[@]}"; do
    case $c in
      kube) run_build "kube-$KUBE_VERSION" "$(stamp_key kube "$KUBE_VERSION" 2)" build_kube ;;
      etcd) run_build "etcd-$ETCD_VERSION" "$(stamp_key etcd "$ETCD_VERSION" 1)" build_etcd ;;
      containerd) run_build "containerd-$CONTAINERD_VERSION" "$(stamp_key containerd "$CONTAINERD_VERSION" 1)" build_containerd ;;
      crictl) run_build "crictl-$CRICTL_VERSION" "$(stamp_key crictl "$CRICTL_VERSION" 1)" build_crictl ;;
      helm) run_build "helm-$HELM_VERSION" "$(stamp_key helm "$HELM_VERSION" 2)" build_helm ;;
      matrix)
        # the older minors the control-plane tier also runs on, and the skew case's kubelet
        local pair
        for pair in $KND_COMPAT_VERSIONS "$KND_SKEW_KUBELET_VERSION:"; do
          KUBE_VERSION=${pair%%:*}
          run_build "kube-$KUBE_VERSION" "$(stamp_key kube "$KUBE_VERSION" 2)" build_kube
          if [ -n "${pair#*:}" ]; then
            ETCD_VERSION=${pair#*:}
            run_build "etcd-$ETCD_VERSION" "$(stamp_key etcd "$ETCD_VERSION" 1)" build_etcd
          fi
        done
        KUBE_VERSION=$KND_KUBE_VERSION ETCD_VERSION=$KND_ETCD_VERSION
        ;;
      *) die "unknown component '$c' (kube, etcd, containerd, crictl, helm, matrix, all)" ;;
    esac
  done
}

main "$@"
