// The attach guard: an OCI createRuntime hook, injected through knd's CDI spec into every container
// that references a knd claim, that refuses to create the container until the claimed device's
// attach has COMPLETED in the pod's network namespace: the interface is there under its pod name
// AND the agent's completion mark (attach-completion.ts, written after the last attach step and
// removed before a detach or rollback) names this very network namespace. An interface alone is
// not enough: an agent that died mid-attach leaves the NIC in the pod half configured.
//
// Why: NRI skips a plugin that is not connected. If the agent dies after prepare answered the
// kubelet (or while containerd runs the sandbox), containerd would start the pod without its NIC and
// nobody would notice. The guard is enforced by the runtime itself (runc runs the hook), so it holds
// while the agent is down: the container fails to be created with the message below (the user sees
// it in the pod's events as CreateContainerError), the kubelet retries with back-off, and once the
// restarted agent has attached the NIC (NRI Synchronize attaches planned devices of running pods)
// the next retry succeeds.
//
// Contract: runc calls the hook once per container creation, in the runtime's namespaces, with the
// OCI state JSON (which carries the container's init pid) on stdin; exit 0 lets the creation go on,
// anything else fails it. `/proc/<pid>/net/dev` lists the interfaces of the pid's network namespace
// (after two header lines, which have no `:`); `[ /proc/<pid>/ns/net -ef <path> ]` (a test(1)
// built-in: same device and inode) says whether the mark's path is that namespace.
// The script uses shell built-ins only (no sed/awk/grep on the host), takes its inputs as positional
// arguments (never interpolated into the script), has no side effects and finishes in milliseconds;
// runc kills it after TIMEOUT_S.
//
// Containers that do not list the claim in resources.claims get no CDI devices from the kubelet, so
// they are not guarded; docs/nri.md tells users to reference the claim from their containers.

export const ATTACH_GUARD_HOOK_PATH = '/bin/sh';
export const ATTACH_GUARD_TIMEOUT_S = 5;

/** $1 interface name in the pod, $2 claim (namespace/name), $3 device name, $4 completion mark file. */
export const ATTACH_GUARD_SCRIPT = [
  'IFS= read -r state || true',
  'rest=${state#*\\"pid\\":}',
  'rest=${rest#"${rest%%[! ]*}"}',
  'pid=${rest%%[!0-9]*}',
  'if [ -z "$pid" ]; then echo "knd attach guard: no pid in the OCI state on stdin" >&2; exit 1; fi',
  'netdev="/proc/$pid/net/dev"',
  'if [ ! -r "$netdev" ]; then echo "knd attach guard: cannot read $netdev" >&2; exit 1; fi',
  'found=',
  'while IFS=: read -r name counters; do',
  '  [ -n "$counters" ] || continue',
  '  name=${name##* }',
  '  if [ "$name" = "$1" ]; then found=1; break; fi',
  'done < "$netdev"',
  'if [ -z "$found" ]; then',
  '  echo "knd: device $3 of claim $2 is not attached yet: interface $1 is not in the pod network namespace; the container is not created until the knd node agent on this node has attached it" >&2',
  '  exit 1',
  'fi',
  'ns=',
  'if [ -r "$4" ]; then IFS= read -r ns < "$4" || true; fi',
  'if [ -n "$ns" ] && [ "/proc/$pid/ns/net" -ef "$ns" ]; then exit 0; fi',
  'echo "knd: device $3 of claim $2 is not attached yet: interface $1 is in the pod network namespace but its attach has not completed (no completion mark $4 for this pod); the container is not created until the knd node agent on this node has finished attaching it" >&2',
  'exit 1',
].join('\n');

export interface CdiHook {
  hookName: 'createRuntime';
  path: string;
  args: string[];
  timeout: number;
}

/** The hook for one device of a claim; `completionFile` is AttachCompletionFiles.path() of the device. */
export function attachGuardHook(
  podIfName: string,
  claimLabel: string,
  deviceName: string,
  completionFile: string,
): CdiHook {
  return {
    hookName: 'createRuntime',
    path: ATTACH_GUARD_HOOK_PATH,
    // argv[0], then `sh -c SCRIPT $0 $1 $2 $3 $4`
    args: [
      'sh',
      '-c',
      ATTACH_GUARD_SCRIPT,
      'knd-attach-guard',
      podIfName,
      claimLabel,
      deviceName,
      completionFile,
    ],
    timeout: ATTACH_GUARD_TIMEOUT_S,
  };
}
