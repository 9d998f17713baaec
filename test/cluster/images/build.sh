#!/usr/bin/env bash
# Builds the two images the node tier needs, without a registry or any image tool, as OCI image-layout
# tarballs that `ctr images import` reads:
#   localhost/pause:local    one static binary, /pause (pause.c here, gcc -static)
#   localhost/busybox:local  Debian's busybox-static with a symlink per applet (sh, ip, sleep, cat, ls...)
#
# Usage: test/cluster/images/build.sh            prints the directory holding pause.tar and busybox.tar
#
# Output goes to $KND_CACHE_DIR/images/<key>/ where <key> hashes this script, pause.c, the busybox
# binary and the gcc version; a second run with the same inputs is a no-op. Layers are uncompressed tars
# with sorted names, zero mtimes and uid/gid 0, so the digests are reproducible for a given busybox.
#
# The layout (OCI image-spec v1.0): oci-layout, index.json whose manifest descriptor carries
# io.containerd.image.name (the full name containerd gives the image on import), blobs/sha256/<hex> for
# the layer, the config and the manifest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../node-lib.sh
. "$here/../node-lib.sh"

BUSYBOX=${KND_BUSYBOX_BINARY:-/bin/busybox}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }

# add_blob LAYOUT FILE -> prints the hex digest after moving FILE into blobs/sha256/
add_blob() {
  local layout=$1 file=$2 hex
  hex=$(sha256_of "$file")
  mv "$file" "$layout/blobs/sha256/$hex"
  printf '%s\n' "$hex"
}

# make_image NAME REF ROOTFS_DIR CONFIG_JSON_FRAGMENT OUT_TAR
# CONFIG_JSON_FRAGMENT is the image config's "config" object (Entrypoint, Cmd, Env, User...).
make_image() {
  local ref=$2 rootfs=$3 cfg=$4 out=$5 layout layer_hex layer_size config_hex config_size manifest_hex manifest_size
  layout=$(mktemp -d)
  mkdir -p "$layout/blobs/sha256"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -C "$rootfs" -cf "$layout/layer.tar" .
  layer_size=$(size_of "$layout/layer.tar")
  layer_hex=$(add_blob "$layout" "$layout/layer.tar")
  printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"knd test/cluster/images/build.sh"}]}' \
    "$cfg" "$layer_hex" >"$layout/config.json"
  config_size=$(size_of "$layout/config.json")
  config_hex=$(add_blob "$layout" "$layout/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config_hex" "$config_size" "$layer_hex" "$layer_size" >"$layout/manifest.json"
  manifest_size=$(size_of "$layout/manifest.json")
  manifest_hex=$(add_blob "$layout" "$layout/manifest.json")
  printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_hex" "$manifest_size" "$ref" "${ref##*:}" >"$layout/index.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$out" oci-layout index.json blobs
  rm -rf "$layout"
}

build_pause() {
  local out=$1 root
  root=$(mktemp -d)
  gcc -static -Os -s -Wall -Werror -o "$root/pause" "$here/pause.c" ||
    die "gcc -static failed for pause.c (needs Debian gcc and libc6-dev)"
  make_image pause "$KND_PAUSE_IMAGE" "$root" '{"Entrypoint":["/pause"],"User":"65535:65535","WorkingDir":"/"}' "$out"
  rm -rf "$root"
}

build_busybox() {
  local out=$1 root applet
  [ -x "$BUSYBOX" ] || die "$BUSYBOX is missing (Debian package busybox-static)"
  file_is_static "$BUSYBOX" || die "$BUSYBOX is not statically linked (install busybox-static, not busybox)"
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/etc" "$root/usr" "$root/root" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/var/run"
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  ln -s bin "$root/sbin"
  ln -s ../bin "$root/usr/bin"
  ln -s ../bin "$root/usr/sbin"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  for applet in sh ip sleep cat ls; do
    [ -L "$root/bin/$applet" ] || die "busybox at $BUSYBOX has no '$applet' applet"
  done
  make_image busybox "$KND_BUSYBOX_IMAGE" "$root" \
    '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"}' "$out"
  rm -rf "$root"
}

# file_is_static BINARY: no ELF interpreter
file_is_static() { ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; }

main() {
  command -v gcc >/dev/null || die "gcc is missing (Debian packages gcc and libc6-dev)"
  local key dest tmp
  key=$({ sha256sum "$here/build.sh" "$here/pause.c" "$BUSYBOX" | cut -d' ' -f1; gcc -dumpfullversion; } | sha256sum | cut -c1-16)
  dest=$KND_CACHE_DIR/images/$key
  if [ -f "$dest/pause.tar" ] && [ -f "$dest/busybox.tar" ]; then
    printf '%s\n' "$dest"
    return 0
  fi
  tmp=$dest.tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  build_pause "$tmp/pause.tar"
  build_busybox "$tmp/busybox.tar"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "images: built $KND_PAUSE_IMAGE and $KND_BUSYBOX_IMAGE into $dest"
  printf '%s\n' "$dest"
}

main "$@"
