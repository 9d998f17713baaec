# Shared helpers for the cluster scripts (sourced, not executed).
KND_CACHE_DIR=${KND_CACHE_DIR:-$HOME/.cache/knd}

log() { printf '[knd-cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf '[knd-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# bin_dir_for NAME -> where the build of NAME (e.g. kube-v1.35.4) keeps its binaries
bin_dir_for() { printf '%s/%s/bin\n' "$KND_CACHE_DIR" "$1"; }

# Long Go builds print one line per package; show a dot per 20 lines and a count every 400, keep the
# last 40 lines, and print them if the build fails (pipefail carries go's exit status).
progress_dots() {
  local n=0 line tail_file
  tail_file=$(mktemp)
  while IFS= read -r line; do
    n=$((n + 1))
    printf '%s\n' "$line" >>"$tail_file"
    if [ $((n % 20)) -eq 0 ]; then printf '.' >&2; fi
    if [ $((n % 400)) -eq 0 ]; then printf ' %d\n' "$n" >&2; tail -n 40 "$tail_file" >"$tail_file.x"; mv "$tail_file.x" "$tail_file"; fi
    case $line in *"cannot find module"*|*"not found"*|*"no matching versions"*|*"410 Gone"*|*"404 Not Found"*|*error*|*": "*"undefined"*) printf '\n%s\n' "$line" >&2 ;; esac
  done
  printf ' %d lines\n' "$n" >&2
  rm -f "$tail_file"
}
