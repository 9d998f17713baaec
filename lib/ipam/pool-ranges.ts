// The address arithmetic of an IPPool family (pure, no I/O): which addresses a pool can hand out,
// how many, the k-th of them, and the free addresses to try first for a claim.
//
// A family's assignable set is its CIDRs minus `exclude`, minus the reserved addresses (network and
// broadcast of every CIDR, the gateway; each on by default, see IPPoolReserve). It is kept as sorted,
// disjoint, inclusive ranges of bigints, so a /64 costs what a /24 costs. Every address keeps the
// prefix length of the CIDR it came from. Callers validate the spec first (validate-ip-pool.ts);
// unparsable entries are skipped here rather than thrown on.
import type { IPPoolFamilySpec, IPPoolReserve, IpFamilyName } from '../api/ip-pool.js';
import { createHash } from 'node:crypto';
import { ipBytes, parseCidr } from '../api/ip.js';

export interface AddrRange {
  /** First and last address, inclusive. */
  start: bigint;
  end: bigint;
  prefixLength: number;
}

export interface FamilyRanges {
  family: IpFamilyName;
  ranges: AddrRange[];
  /** Number of assignable addresses. */
  size: bigint;
}

export const familyBits = (family: IpFamilyName): number => (family === 'IPv4' ? 32 : 128);

export function bytesToBig(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

export function bigToBytes(n: bigint, family: IpFamilyName): Uint8Array {
  const len = familyBits(family) / 8;
  const out = new Uint8Array(len);
  let v = n;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** A CIDR as an inclusive range (host bits ignored), or undefined when it is not of `family`. */
export function cidrRange(cidr: string, family: IpFamilyName): AddrRange | undefined {
  const p = parseCidr(cidr);
  const bytes = p && ipBytes(p.address);
  if (!p || !bytes || (p.family === 4 ? 'IPv4' : 'IPv6') !== family) return undefined;
  const hostBits = BigInt(familyBits(family) - p.prefixLength);
  const start = (bytesToBig(bytes) >> hostBits) << hostBits;
  return { start, end: start + (1n << hostBits) - 1n, prefixLength: p.prefixLength };
}

/** `ranges` minus the inclusive interval [from, to]. */
function subtract(ranges: readonly AddrRange[], from: bigint, to: bigint): AddrRange[] {
  const out: AddrRange[] = [];
  for (const r of ranges) {
    if (to < r.start || from > r.end) {
      out.push(r);
      continue;
    }
    if (from > r.start) out.push({ ...r, end: from - 1n });
    if (to < r.end) out.push({ ...r, start: to + 1n });
  }
  return out;
}

/** The assignable ranges of one family of a pool. */
export function familyRanges(
  spec: IPPoolFamilySpec,
  family: IpFamilyName,
  reserve: IPPoolReserve = {},
): FamilyRanges {
  const cidrs = spec.cidrs
    .map((c) => cidrRange(c, family))
    .filter((r): r is AddrRange => r !== undefined)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  // overlapping CIDRs (refused by validation) would count addresses twice: keep the first
  let ranges: AddrRange[] = [];
  for (const c of cidrs) {
    const last = ranges[ranges.length - 1];
    if (last && c.start <= last.end) continue;
    ranges.push(c);
  }
  const whole = [...ranges];
  for (const c of whole) {
    const hostBits = familyBits(family) - c.prefixLength;
    // a /31 or /32 (/127, /128) has no network or broadcast address to spare (RFC 3021)
    if (hostBits < 2) continue;
    if (reserve.network !== false) ranges = subtract(ranges, c.start, c.start);
    if (family === 'IPv4' && reserve.broadcast !== false) ranges = subtract(ranges, c.end, c.end);
  }
  for (const x of spec.exclude ?? []) {
    const r = cidrRange(x, family);
    if (r) ranges = subtract(ranges, r.start, r.end);
  }
  const gw = spec.gateway !== undefined ? ipBytes(spec.gateway) : undefined;
  if (gw && reserve.gateway !== false) {
    const g = bytesToBig(gw);
    ranges = subtract(ranges, g, g);
  }
  const size = ranges.reduce((n, r) => n + (r.end - r.start + 1n), 0n);
  return { family, ranges, size };
}

/** The range holding `addr`, or undefined when the pool cannot hand it out (now). */
export function rangeOf(fr: FamilyRanges, addr: bigint): AddrRange | undefined {
  return fr.ranges.find((r) => addr >= r.start && addr <= r.end);
}

/** The index-th assignable address (0 <= index < size), in ascending order. */
export function addressAt(fr: FamilyRanges, index: bigint): { addr: bigint; prefixLength: number } {
  let k = index;
  for (const r of fr.ranges) {
    const n = r.end - r.start + 1n;
    if (k < n) return { addr: r.start + k, prefixLength: r.prefixLength };
    k -= n;
  }
  throw new RangeError(`index ${String(index)} is outside the pool (size ${String(fr.size)})`);
}

/**
 * Up to `max` free addresses in the order to try them: from `startIndex` (a per-claim hash, so
 * agents allocating at once start apart) upwards, wrapping around once. `used` holds the addresses
 * known to be taken. Cost: O(max + used addresses skipped + number of ranges).
 */
export function freeCandidates(
  fr: FamilyRanges,
  used: ReadonlySet<bigint>,
  startIndex: bigint,
  max: number,
): { addr: bigint; prefixLength: number }[] {
  const out: { addr: bigint; prefixLength: number }[] = [];
  if (fr.size === 0n || max <= 0) return out;
  const begin = ((startIndex % fr.size) + fr.size) % fr.size;
  // walk ranges from the one holding `begin`, then wrap around to those before it
  let k = begin;
  let first = 0;
  for (; first < fr.ranges.length; first++) {
    const r = fr.ranges[first] as AddrRange;
    const n = r.end - r.start + 1n;
    if (k < n) break;
    k -= n;
  }
  const order = [...fr.ranges.slice(first), ...fr.ranges.slice(0, first + 1)];
  for (const [i, r] of order.entries()) {
    const from = i === 0 ? r.start + k : r.start;
    const to = i === order.length - 1 && i !== 0 ? r.start + k - 1n : r.end;
    for (let a = from; a <= to; a++) {
      if (used.has(a)) continue;
      out.push({ addr: a, prefixLength: r.prefixLength });
      if (out.length >= max) return out;
    }
  }
  return out;
}

/** Counts saturate at Number.MAX_SAFE_INTEGER (a /64 has 2^64 addresses). */
export function saturatedNumber(n: bigint): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** Where a claim's search starts: a hash of its key (claim uid and device) modulo the pool size. */
export function startIndexFor(key: string, size: bigint): bigint {
  if (size === 0n) return 0n;
  const digest = createHash('sha256').update(key).digest();
  return bytesToBig(digest.subarray(0, 16)) % size;
}
