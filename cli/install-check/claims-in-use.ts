// Which ResourceClaims still hold knd devices in pods: allocated with a result of driver knd.dev and
// reserved for at least one consumer. Pure; `knd pre-uninstall` (a helm pre-delete hook) refuses the
// uninstall while this is not empty, because a NIC whose pod goes away while no agent runs is not
// handed back by knd (see docs/packaging.md, "Uninstall").

export interface ClaimLike {
  metadata?: { namespace?: string; name?: string };
  status?: {
    allocation?: { devices?: { results?: { driver?: string; device?: string }[] } };
    reservedFor?: { resource?: string; name?: string }[];
  };
}

/** One line per claim in use: `<ns>/<name>: <devices> in <consumers>`, sorted. */
export function claimsHoldingDevices(claims: readonly ClaimLike[], driver: string): string[] {
  return claims
    .flatMap((c) => {
      const devices = (c.status?.allocation?.devices?.results ?? []).filter((r) => r.driver === driver);
      const users = c.status?.reservedFor ?? [];
      if (devices.length === 0 || users.length === 0) return [];
      const who = users.map((u) => `${u.resource ?? 'pods'}/${u.name ?? '?'}`).join(', ');
      const what = devices.map((d) => d.device ?? '?').join(', ');
      return [`${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}: ${what} in ${who}`];
    })
    .sort();
}
