// Which ResourceClaims may still hold knd devices in pods on the nodes a release serves: allocated
// with a result of driver knd.dev from the pool of one of those nodes (knd names each node's pool
// after the node) and reserved for at least one pod. Pure; `knd pre-uninstall` (a helm pre-delete
// hook) then drops the pods that no longer exist (the claim controller clears reservedFor a moment
// after a pod is gone, and that pod's NIC is already back) and refuses the uninstall while anything
// is left, because a NIC whose pod goes away while no agent runs is not handed back by knd (see
// docs/packaging.md, "Install, upgrade, rollback, uninstall").

export interface ClaimLike {
  metadata?: { namespace?: string; name?: string };
  status?: {
    allocation?: { devices?: { results?: { driver?: string; pool?: string; device?: string }[] } };
    reservedFor?: { resource?: string; name?: string }[];
  };
}

export interface ClaimInUse {
  readonly namespace: string;
  readonly name: string;
  readonly devices: readonly string[];
  /** Names of the pods (in the claim's namespace) it is reserved for. */
  readonly pods: readonly string[];
}

export function claimsHoldingDevices(
  claims: readonly ClaimLike[],
  driver: string,
  nodes: ReadonlySet<string>,
): ClaimInUse[] {
  return claims
    .flatMap((c) => {
      const devices = (c.status?.allocation?.devices?.results ?? []).filter(
        (r) => r.driver === driver && nodes.has(r.pool ?? ''),
      );
      const pods = (c.status?.reservedFor ?? [])
        .filter((u) => (u.resource ?? 'pods') === 'pods' && u.name)
        .map((u) => u.name ?? '');
      if (devices.length === 0 || pods.length === 0) return [];
      return [
        {
          namespace: c.metadata?.namespace ?? '',
          name: c.metadata?.name ?? '',
          devices: devices.map((d) => d.device ?? '?'),
          pods,
        },
      ];
    })
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** One line per claim: `<ns>/<name>: <devices> in pods/<pod>, ...`. */
export function describeClaimInUse(c: ClaimInUse): string {
  return `${c.namespace}/${c.name}: ${c.devices.join(', ')} in ${c.pods.map((p) => `pods/${p}`).join(', ')}`;
}
