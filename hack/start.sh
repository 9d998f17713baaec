#!/usr/bin/env bash
# npm start: bring up the real local control plane and print how to reach it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/cluster/up.sh
