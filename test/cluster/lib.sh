# shellcheck shell=bash
# Shared helpers for the cluster scripts (sourced, not executed).
KND_CACHE_DIR=${KND_CACHE_DIR:-$HOME/.cache/knd}
# shellcheck source=versions.sh
. "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
# The pod /24 of the node tier, and the node's InternalIP: the gateway address of the pod bridge (the
# kubelet refuses a loopback node IP, and the apiserver must reach the kubelet for exec/logs).
# containerd-up.sh puts it on the bridge; the apiserver's certificate names it, because pods on the
# node (knd's operator, `helm test`) reach the apiserver at this address.
KND_POD_SUBNET=${KND_POD_SUBNET:-10.88.0.0/24}
KND_NODE_IP=${KND_NODE_IP:-$(printf '%s' "${KND_POD_SUBNET%/*}" | awk -F. '{printf "%s.%s.%s.1", $1, $2, $3}')}

log() { printf '[knd-cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf '[knd-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# bin_dir_for NAME -> where the build of NAME (e.g. kube-v1.37.2) keeps its binaries
bin_dir_for() { printf '%s/%s/bin\n' "$KND_CACHE_DIR" "$1"; }

# is_build_error LINE: 0 when LINE is a real failure from the go command, the compiler or the linker.
# `go build -v` prints one package path per line, and many of those paths contain "errors"
# (k8s.io/apimachinery/pkg/api/errors), so match the shapes of real messages only.
is_build_error() {
  case $1 in
    "go: downloading "* | "go: finding "* | "go: extracting "*) return 1 ;;
    *.go:[0-9]*:*": "*) return 0 ;;                     # compiler: file.go:12:3: undefined: X
    "# "*) return 0 ;;                                  # header before a package's compile errors
    "go: "* | "go build "* | "verifying "*) return 0 ;; # go command: module/proxy/checksum failures
    *"cannot find module"* | *"no matching versions"* | *"missing go.sum entry"*) return 0 ;;
    *"410 Gone"* | *"404 Not Found"* | *"checksum mismatch"* | *"SECURITY ERROR"*) return 0 ;;
    *"fatal error:"* | *"signal: killed"* | *"link: "* | "panic: "*) return 0 ;;
    *) return 1 ;;
  esac
}

# progress_dots [LOG_FILE]: long Go builds print one line per package; show a dot per 20 lines and a
# count every 400, print real errors (is_build_error) as they come, and keep every line in LOG_FILE
# (default: a temp file that is removed) so a failed build can show its tail (see run_logged).
progress_dots() {
  local n=0 line log_file=${1:-} own=0
  if [ -z "$log_file" ]; then log_file=$(mktemp); own=1; fi
  while IFS= read -r line; do
    n=$((n + 1))
    printf '%s\n' "$line" >>"$log_file"
    if [ $((n % 20)) -eq 0 ]; then printf '.' >&2; fi
    if [ $((n % 400)) -eq 0 ]; then printf ' %d\n' "$n" >&2; fi
    if is_build_error "$line"; then printf '\n%s\n' "$line" >&2; fi
  done
  printf ' %d lines\n' "$n" >&2
  if [ "$own" = 1 ]; then rm -f "$log_file"; fi
}

# run_logged LOG_FILE CMD...: run CMD with progress_dots (output appended to LOG_FILE); on failure print the last 40 lines of its
# output and return its exit status (the full output stays in LOG_FILE)
run_logged() {
  local log_file=$1 rc statuses
  shift
  mkdir -p "$(dirname "$log_file")"
  # the command's own status, whether or not the caller has pipefail or errexit on
  "$@" 2>&1 | progress_dots "$log_file" && statuses=("${PIPESTATUS[@]}") || statuses=("${PIPESTATUS[@]}")
  rc=${statuses[0]}
  if [ "$rc" != 0 ]; then
    printf '\n--- last 40 lines of %s ---\n' "$log_file" >&2
    tail -n 40 "$log_file" >&2
    printf -- '--- %s exited %s ---\n' "$1" "$rc" >&2
  fi
  return "$rc"
}
