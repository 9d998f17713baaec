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

/** The 4 (IPv4) or 16 (IPv6) bytes of an address; undefined when not an address (or zoned). */
export function ipBytes(addr: string): Uint8Array | undefined {
  const family = isIP(addr);
  if (family === 4) return Uint8Array.from(addr.split('.').map(Number));
  if (family !== 6 || addr.includes('%')) return undefined;
  let text = addr;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/** Text form of 4 or 16 address bytes: dotted quad, or RFC 5952 (lower case, longest zero run as ::). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (best.at < 0) return hex(groups);
  return `${hex(groups.slice(0, best.at))}::${hex(groups.slice(best.at + best.len))}`;
}

/** Zero the bits past `prefixLength`; returns a copy. */
export function maskBytes(bytes: Uint8Array, prefixLength: number): Uint8Array {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefixLength - 8 * i));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** Why an address cannot be a host's (interface address, gateway, neighbor): undefined when it can. */
export function nonUnicastKind(bytes: Uint8Array): 'unspecified' | 'loopback' | 'multicast' | undefined {
  if (bytes.every((b) => b === 0)) return 'unspecified';
  if (bytes.length === 4) {
    if (bytes[0] === 127) return 'loopback';
    if (((bytes[0] ?? 0) & 0xf0) === 0xe0) return 'multicast';
    return undefined;
  }
  if (bytes.subarray(0, 15).every((b) => b === 0) && bytes[15] === 1) return 'loopback';
  if (bytes[0] === 0xff) return 'multicast';
  return undefined;
}
