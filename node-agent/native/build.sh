#!/usr/bin/env bash
# Builds node-agent/native/build/Release/knd_netlink.node offline with node-gyp against the headers of
# the Node.js that runs this script (no download: --nodedir points at the installed headers).
# Needs python3, make and a C compiler (Debian: python3 make g++). Run by `npm run build:native`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node_bin=$(command -v node)
nodedir=$(node -p 'require("path").resolve(process.execPath, "..", "..")')
if [[ ! -f "$nodedir/include/node/node_api.h" ]]; then
  echo "build-native: no Node.js headers at $nodedir/include/node (node at $node_bin); install the headers of this Node.js" >&2
  exit 1
fi
# node-gyp: a local install if present, else the copy npm itself ships (npm's own dependency).
gyp="$here/../../node_modules/node-gyp/bin/node-gyp.js"
if [[ ! -f "$gyp" ]]; then gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"; fi
if [[ ! -f "$gyp" ]]; then
  echo "build-native: node-gyp not found (neither node_modules/node-gyp nor npm's bundled copy)" >&2
  exit 1
fi
for tool in python3 make cc; do
  command -v "$tool" >/dev/null || { echo "build-native: $tool is missing (apt-get install python3 make g++)" >&2; exit 1; }
done
cd "$here"
node "$gyp" rebuild --nodedir="$nodedir" --loglevel=warn
test -f "$here/build/Release/knd_netlink.node"
echo "build-native: $here/build/Release/knd_netlink.node"
