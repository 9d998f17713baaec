#!/usr/bin/env bash
# The one test command (`npm test`): static checks, unit tests, then every real tier against peers
# the project builds and starts itself. A tier whose real component cannot run FAILS with the reason;
# nothing is skipped. Prints a closing "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
export NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning'
results_dir=$(mktemp -d)
status=0
# An interrupted run (Ctrl-C, CI timeout) must leave no process behind: if the control plane was not
# already running when we started, stop everything the tiers started (node tier included).
. test/cluster/lib.sh
. test/cluster/cp-lib.sh
if control_plane_healthy; then cluster_was_running=1; else cluster_was_running=0; fi
child=
cleanup() {
  if [ "$cluster_was_running" = 0 ] && [ "${KND_KEEP_CLUSTER:-}" != 1 ]; then
    bash test/cluster/down.sh >/dev/null 2>&1 || true
  fi
  rm -rf "$results_dir"
}
# stop the running step's whole process group (npx -> node -> jest -> anything a test spawned)
stop_child() {
  [ -n "$child" ] || return 0
  kill -TERM -- "-$child" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 -- "-$child" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$child" 2>/dev/null || true
}
trap cleanup EXIT
trap 'echo "interrupted: stopping the running step and the cluster"; stop_child; exit 130' INT TERM
# run_step CMD...: in its own process group, in the background, so that a signal to this script runs
# the trap at once (bash defers traps until a foreground command ends) and reaches the whole step
run_step() {
  setsid "$@" </dev/null &
  child=$!
  local rc=0
  wait "$child" || rc=$?
  child=
  return "$rc"
}
step() {
  local name=$1; shift
  printf '\n=== %s ===\n' "$name"
  local t0=$SECONDS
  if run_step "$@"; then printf '=== %s: ok (%d s)\n' "$name" $((SECONDS - t0)); else
    printf '=== %s: FAILED (%d s)\n' "$name" $((SECONDS - t0)); status=1; fi
}

step typecheck npx tsc --noEmit -p tsconfig.json
step lint npx eslint .
step format npx prettier --check .
step build npx tsc -p tsconfig.build.json
step build-native npm run build:native
step generated-files-in-sync node dist/hack/gen.js --check
step unit npx jest --selectProjects unit --json --outputFile="$results_dir/unit.json"
step cluster-binaries bash test/cluster/build.sh kube etcd containerd crictl helm
# the older minors of the compat runs and the skew case's kubelet (test/cluster/versions.sh)
step cluster-binaries-matrix bash test/cluster/build.sh matrix
# knd's two images from its Dockerfiles (buildah); the helm suites import them into the node
step images bash hack/images/build.sh
step integration npx jest --selectProjects integration --runInBand --json --outputFile="$results_dir/integration.json"
# the control-plane tier again on each older minor of the supported window (versions.sh), each on
# its own control plane beside the default one
for pair in $KND_COMPAT_VERSIONS; do
  step "compat-${pair%%:*}" bash test/compat/run.sh "${pair%%:*}" "${pair#*:}" "$results_dir/compat-${pair%%:*}.json"
done

node -e '
const fs = require("fs"); let p = 0, f = 0;
const names = ["unit", "integration", ...process.argv[3].split(" ").filter(Boolean).map((p) => "compat-" + p.split(":")[0])];
for (const n of names) {
  try { const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + n + ".json", "utf8"));
        p += r.numPassedTests; f += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
        if (r.numTotalTests === 0) { console.log(n + ": ran no test"); f++; } }
  catch { console.log(n + ": no results (the tier did not run)"); f++; }
}
if (process.argv[2] !== "0" && f === 0) f = 1;
console.log(`${p} passed, ${f} failed`);
process.exitCode = f > 0 ? 1 : 0;' "$results_dir" "$status" "$KND_COMPAT_VERSIONS" || status=1
exit $status
