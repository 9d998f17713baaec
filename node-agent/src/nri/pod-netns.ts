// Where a pod sandbox's network namespace is, from the NRI PodSandbox (containerd/nri pkg/api/api.proto).
// Pure.
import type { PodSandbox } from './nri-messages.js';

/**
 * The `network` namespace path of the sandbox, or undefined for a host-network pod (no path) or
 * when the runtime dropped the entry because the namespace is gone (newer containerd, in
 * RemovePodSandbox).
 */
export function podNetnsPath(pod: PodSandbox): string | undefined {
  const namespaces = pod.linux?.namespaces ?? [];
  for (const ns of namespaces) {
    if (ns.type === 'network' && ns.path !== '') return ns.path;
  }
  return undefined;
}

/** A short identity for logs: namespace/name (uid). */
export function podRef(pod: PodSandbox): string {
  return `${pod.namespace}/${pod.name} (${pod.uid})`;
}
