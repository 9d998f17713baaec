#!/usr/bin/env bash
# Builds knd's two images from Dockerfile.agent and Dockerfile.operator exactly as they are, with
# buildah (Debian's package; no daemon, no Docker engine), and optionally imports them into the node
# tier's containerd so the kubelet runs them with `imagePullPolicy: Never`.
#
# Usage: hack/images/build.sh [--import] [--tag TAG] [--build-label VALUE]
#   --import   also load both images into containerd's k8s.io namespace ($KND_RUN_DIR/bin/ctr)
#   --tag TAG  image tag (default: dev) -> localhost/knd-agent:TAG, localhost/knd-operator:TAG
#   --build-label VALUE  label dev.knd.build=VALUE on both images: same layers, a new image id (the
#              upgrade tests use it to roll out "a new image" without another build)
# Prints one line per image: reference, size in bytes.
#
# Base image: $KND_NODE_IMAGE when set (a machine that reaches a registry: pass the public
# docker.io/library/node:20.20.2-bookworm-slim or a mirror of it, pulled by buildah); otherwise the
# local equivalent made by hack/images/local-base.sh (this machine and CI reach no registry). Either
# way it is handed to the Dockerfiles as the NODE_IMAGE build argument; their own steps run unchanged.
#
# Caching: buildah's layer cache (--layers) lives in $KND_CACHE_DIR/buildah (storage) so a second
# build with unchanged inputs reuses every layer (COPY steps are keyed by content, not mtime).
# Tools: buildah and mmdebstrap are installed from Debian when missing (log in $KND_CACHE_DIR/logs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../test/cluster/lib.sh
. "$repo/test/cluster/lib.sh"

import=0
tag=dev
build_label=
while [ $# -gt 0 ]; do
  case $1 in
    --import) import=1 ;;
    --tag) tag=${2:?--tag needs a value}; shift ;;
    --tag=*) tag=${1#--tag=} ;;
    --build-label) build_label=${2:?--build-label needs a value}; shift ;;
    *) die "hack/images/build.sh: unknown argument $1 (usage: [--import] [--tag TAG] [--build-label VALUE])" ;;
  esac
  shift
done

ensure_tools() {
  local missing=()
  command -v buildah >/dev/null || missing+=(buildah)
  if [ -z "${KND_NODE_IMAGE:-}" ]; then command -v mmdebstrap >/dev/null || missing+=(mmdebstrap); fi
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "need ${missing[*]} (apt-get install ${missing[*]}); run as root to install them"
  log "images: installing ${missing[*]} from Debian"
  mkdir -p "$KND_CACHE_DIR/logs"
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } >>"$KND_CACHE_DIR/logs/apt-images.log" 2>&1 ||
    die "apt-get install ${missing[*]} failed; see $KND_CACHE_DIR/logs/apt-images.log"
}

# overlay when the kernel allows it here, else vfs (slower, works everywhere)
storage_driver() {
  if [ -n "${KND_BUILDAH_DRIVER:-}" ]; then echo "$KND_BUILDAH_DRIVER"; return; fi
  local probe
  probe=$(mktemp -d)
  mkdir -p "$probe"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"; echo overlay
  else
    echo vfs
  fi
  rm -rf "$probe"
}

ensure_tools
driver=$(storage_driver)
storage=(--root "$KND_CACHE_DIR/buildah/storage-$driver" --runroot /run/knd-buildah --storage-driver "$driver")
mkdir -p "$KND_CACHE_DIR/buildah"

# one build at a time per storage (buildah locks its store; this keeps the messages readable)
exec 9>"$KND_CACHE_DIR/buildah/build.lock"
flock 9

if [ -n "${KND_NODE_IMAGE:-}" ]; then
  base=$KND_NODE_IMAGE
  pull=(--pull)
else
  base=$(bash "$here/local-base.sh" "${storage[@]}")
  pull=(--pull-never)
fi

build_one() { # NAME DOCKERFILE
  local ref="localhost/knd-$1:$tag" t0=$SECONDS
  log "images: building $ref from $2 (base $base)"
  run_logged "$KND_CACHE_DIR/logs/image-$1.log" \
    buildah "${storage[@]}" bud --isolation chroot --layers "${pull[@]}" --network host \
    --build-arg "NODE_IMAGE=$base" ${build_label:+--label "dev.knd.build=$build_label"} \
    -f "$repo/$2" -t "$ref" "$repo"
  log "images: $ref built in $((SECONDS - t0)) s"
}
build_one agent Dockerfile.agent
build_one operator Dockerfile.operator

if [ "$import" = 1 ]; then
  # shellcheck source=../../test/cluster/node-lib.sh
  . "$repo/test/cluster/node-lib.sh"
  ctr_bin="$CONTAINERD_BIN/ctr"
  [ -x "$ctr_bin" ] || die "no ctr at $ctr_bin (bash test/cluster/build.sh containerd)"
  [ -S "$CONTAINERD_SOCK" ] || die "containerd is not running at $CONTAINERD_SOCK (bash test/cluster/containerd-up.sh)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  stamps="$KND_CONTAINERD_ROOT/knd-images"
  mkdir -p "$stamps"
  for name in agent operator; do
    ref="localhost/knd-$name:$tag"
    id=$(buildah "${storage[@]}" inspect --type image --format '{{.FromImageID}}' "$ref")
    # the same image is already in containerd: nothing to do (a stamp per reference, kept in
    # containerd's root so a fresh containerd root imports again)
    if [ "$(cat "$stamps/$name-$tag" 2>/dev/null)" = "$id" ] &&
      "$ctr_bin" --address "$CONTAINERD_SOCK" -n k8s.io images check "name==$ref" 2>/dev/null | grep -q complete; then
      continue
    fi
    buildah "${storage[@]}" push --quiet "$ref" "docker-archive:$tmp/$name.tar:$ref" >/dev/null
    "$ctr_bin" --address "$CONTAINERD_SOCK" -n k8s.io images import --local "$tmp/$name.tar" >/dev/null 2>&1 ||
      die "ctr images import of $ref failed"
    printf '%s\n' "$id" >"$stamps/$name-$tag"
    rm -f "$tmp/$name.tar"
  done
  log "images: imported into containerd (k8s.io) at $CONTAINERD_SOCK"
fi

for name in agent operator; do
  ref="localhost/knd-$name:$tag"
  printf '%s %s\n' "$ref" "$(buildah "${storage[@]}" inspect --type image --format '{{.Size}}' "$ref" 2>/dev/null ||
    buildah "${storage[@]}" images --format '{{.Size}}' "$ref")"
done
