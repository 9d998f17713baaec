// IP address and CIDR parsing helpers (pure). Node's net.isIP does the address check.
import { isIP } from 'node:net';

/** True for `a.b.c.d/n` (n <= 32) and IPv6 `addr/n` (n <= 128), as net.ParseCIDR accepts them. */
export function isCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash <= 0 || slash !== value.lastIndexOf('/')) return false;
  const addr = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (addr.includes('%')) return false;
  const n = Number(bits);
  return family === 4 ? n <= 32 : n <= 128;
}

export function ipFamily(addr: string): 4 | 6 | 0 {
  const f = isIP(addr);
  return f === 4 ? 4 : f === 6 ? 6 : 0;
}

/** Split `10.0.0.5/24` into address and prefix length; undefined when not a CIDR. */
export function parseCidr(
  value: string,
): { address: string; prefixLength: number; family: 4 | 6 } | undefined {
  if (!isCidr(value)) return undefined;
  const [address, bits] = value.split('/') as [string, string];
  return { address, prefixLength: Number(bits), family: ipFamily(address) as 4 | 6 };
}
