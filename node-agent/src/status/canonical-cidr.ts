// Canonical interface-address CIDR strings as KEP-4817 networkData.ips requires: `ip/prefix`
// with the host bits kept, IPv4 dotted decimal, IPv6 RFC 5952 (lower case, leading zeros dropped,
// the longest run of two or more zero groups compressed, first run on a tie). IPv4-mapped IPv6 is
// rejected by the API server as non-canonical, so it is refused here. Pure.
import { isIP } from 'node:net';

function ipv6Groups(addr: string): number[] | undefined {
  let text = addr.toLowerCase();
  const groups: number[] = [];
  // an embedded dotted IPv4 tail becomes two groups
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const octets = tail.split('.').map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  groups.push(...head, ...new Array<number>(Math.max(fill, 0)).fill(0), ...rest);
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff)) return undefined;
  return groups;
}

export function canonicalIPv6(addr: string): string | undefined {
  const groups = ipv6Groups(addr);
  if (!groups) return undefined;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical form of an interface CIDR, or an error text (the API server's wording). */
export function canonicalCidr(value: string): { ok: true; cidr: string } | { ok: false; error: string } {
  const slash = value.indexOf('/');
  if (slash <= 0 || !/^\d{1,3}$/.test(value.slice(slash + 1))) {
    return { ok: false, error: `${value}: must be a valid address in CIDR form` };
  }
  const addr = value.slice(0, slash);
  const bits = Number(value.slice(slash + 1));
  const family = isIP(addr);
  if (family === 4) {
    if (bits > 32) return { ok: false, error: `${value}: must be a valid address in CIDR form` };
    return { ok: true, cidr: `${addr.split('.').map(Number).join('.')}/${bits}` };
  }
  if (family === 6 && bits <= 128 && !addr.includes('%')) {
    const groups = ipv6Groups(addr);
    if (groups?.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
      return { ok: false, error: `${value}: IPv4-mapped IPv6 is not in canonical form` };
    }
    const canon = canonicalIPv6(addr);
    if (canon) return { ok: true, cidr: `${canon}/${bits}` };
  }
  return { ok: false, error: `${value}: must be a valid address in CIDR form` };
}
