// IP and MAC address text <-> bytes for netlink attributes. Pure.
import { isIP } from 'node:net';

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export function familyOf(addr: string): typeof AF_INET | typeof AF_INET6 {
  const f = isIP(addr);
  if (f === 4) return AF_INET;
  if (f === 6) return AF_INET6;
  throw new Error(`not an IP address: ${JSON.stringify(addr)}`);
}

export function ipToBytes(addr: string): Buffer {
  const f = isIP(addr);
  if (f === 4) return Buffer.from(addr.split('.').map(Number));
  if (f !== 6) throw new Error(`not an IP address: ${JSON.stringify(addr)}`);
  let text = addr;
  const embedded = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (embedded) {
    const [, prefix, a, b, c, d] = embedded.map((x, i) => (i < 2 ? x : Number(x)));
    const hi = ((a as number) << 8) | (b as number);
    const lo = ((c as number) << 8) | (d as number);
    text = `${String(prefix)}${hi.toString(16)}:${lo.toString(16)}`;
  }
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const double = text.indexOf('::');
  let groups: number[];
  if (double < 0) groups = parse(text);
  else {
    const a = parse(text.slice(0, double));
    const b = parse(text.slice(double + 2));
    groups = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  }
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** 4 bytes -> dotted quad; 16 bytes -> RFC 5952 text (lower case, longest zero run compressed). */
export function bytesToIp(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) throw new Error(`IP address of ${b.length} bytes`);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function macToBytes(mac: string): Buffer {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5,19}$/.test(mac))
    throw new Error(`not a MAC address: ${JSON.stringify(mac)}`);
  return Buffer.from(mac.split(':').map((h) => Number.parseInt(h, 16)));
}

export function bytesToMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** `10.0.0.5/24` -> address, prefix and family; throws on anything else. */
export function splitCidr(cidr: string): { address: string; prefixLength: number; family: number } {
  const slash = cidr.indexOf('/');
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = familyOf(address);
  const max = family === AF_INET ? 32 : 128;
  const prefixLength = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
    throw new Error(`bad prefix length in ${JSON.stringify(cidr)}`);
  }
  return { address, prefixLength, family };
}
