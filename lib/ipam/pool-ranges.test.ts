import { describe, expect, it } from '@jest/globals';
import { formatIp } from '../api/ip.js';
import type { IPPoolFamilySpec, IPPoolReserve, IpFamilyName } from '../api/ip-pool.js';
import {
  addressAt,
  bigToBytes,
  familyRanges,
  freeCandidates,
  saturatedNumber,
  startIndexFor,
  type FamilyRanges,
} from './pool-ranges.js';

const text = (fr: FamilyRanges, a: bigint): string => formatIp(bigToBytes(a, fr.family));
const all = (fr: FamilyRanges): string[] =>
  Array.from({ length: Number(fr.size) }, (_, i) => text(fr, addressAt(fr, BigInt(i)).addr));

describe('familyRanges', () => {
  it.each<[string, IPPoolFamilySpec, IPPoolReserve, IpFamilyName, number, string, string]>([
    [
      '/29, defaults: network and broadcast reserved',
      { cidrs: ['10.0.0.0/29'] },
      {},
      'IPv4',
      6,
      '10.0.0.1',
      '10.0.0.6',
    ],
    [
      '/29, nothing reserved',
      { cidrs: ['10.0.0.0/29'] },
      { network: false, broadcast: false },
      'IPv4',
      8,
      '10.0.0.0',
      '10.0.0.7',
    ],
    [
      'gateway reserved',
      { cidrs: ['10.0.0.0/29'], gateway: '10.0.0.1' },
      {},
      'IPv4',
      5,
      '10.0.0.2',
      '10.0.0.6',
    ],
    [
      'gateway handed out when not reserved',
      { cidrs: ['10.0.0.0/29'], gateway: '10.0.0.1' },
      { gateway: false },
      'IPv4',
      6,
      '10.0.0.1',
      '10.0.0.6',
    ],
    [
      'exclusion in the middle',
      { cidrs: ['10.0.0.0/28'], exclude: ['10.0.0.4/30'] },
      {},
      'IPv4',
      10,
      '10.0.0.1',
      '10.0.0.14',
    ],
    ['two CIDRs, sorted', { cidrs: ['10.0.1.0/30', '10.0.0.0/30'] }, {}, 'IPv4', 4, '10.0.0.1', '10.0.1.2'],
    [
      '/31 keeps both addresses (RFC 3021)',
      { cidrs: ['10.0.0.0/31'] },
      {},
      'IPv4',
      2,
      '10.0.0.0',
      '10.0.0.1',
    ],
    ['/32', { cidrs: ['10.0.0.9/32'] }, {}, 'IPv4', 1, '10.0.0.9', '10.0.0.9'],
    [
      'IPv6 /125: no broadcast, subnet-router anycast reserved',
      { cidrs: ['2001:db8::/125'] },
      {},
      'IPv6',
      7,
      '2001:db8::1',
      '2001:db8::7',
    ],
    ['whole CIDR excluded', { cidrs: ['10.0.0.0/30'], exclude: ['10.0.0.0/24'] }, {}, 'IPv4', 0, '', ''],
    ['other family ignored', { cidrs: ['2001:db8::/64'] }, {}, 'IPv4', 0, '', ''],
  ])('%s', (_n, spec, reserve, family, size, first, last) => {
    const fr = familyRanges(spec, family, reserve);
    expect(fr.size).toBe(BigInt(size));
    if (size > 0) {
      expect(text(fr, addressAt(fr, 0n).addr)).toBe(first);
      expect(text(fr, addressAt(fr, BigInt(size - 1)).addr)).toBe(last);
    }
  });

  it('lists exactly the assignable addresses, each with its CIDR prefix length', () => {
    const fr = familyRanges(
      { cidrs: ['10.0.0.0/29', '10.9.0.0/30'], exclude: ['10.0.0.3/32'], gateway: '10.0.0.6' },
      'IPv4',
    );
    expect(all(fr)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.4', '10.0.0.5', '10.9.0.1', '10.9.0.2']);
    expect(addressAt(fr, 4n).prefixLength).toBe(30);
    expect(() => addressAt(fr, 6n)).toThrow(/outside the pool/);
  });

  it('a /64 is counted exactly and saturates as a status number', () => {
    const fr = familyRanges({ cidrs: ['2001:db8::/64'] }, 'IPv6');
    expect(fr.size).toBe(2n ** 64n - 1n);
    expect(saturatedNumber(fr.size)).toBe(Number.MAX_SAFE_INTEGER);
    expect(saturatedNumber(254n)).toBe(254);
  });
});

describe('freeCandidates', () => {
  const fr = familyRanges({ cidrs: ['10.0.0.0/29', '10.1.0.0/30'] }, 'IPv4'); // .1-.6, 10.1.0.1-.2
  const addrs = (used: string[], start: bigint, max: number): string[] => {
    const u = new Set(used.map((t) => BigInt(`0x${Buffer.from(t.split('.').map(Number)).toString('hex')}`)));
    return freeCandidates(fr, u, start, max).map((c) => text(fr, c.addr));
  };

  it.each<[string, string[], bigint, number, string[]]>([
    ['from the start', [], 0n, 3, ['10.0.0.1', '10.0.0.2', '10.0.0.3']],
    ['from a hashed start, across ranges', [], 5n, 3, ['10.0.0.6', '10.1.0.1', '10.1.0.2']],
    ['wraps around once', [], 7n, 3, ['10.1.0.2', '10.0.0.1', '10.0.0.2']],
    ['skips used addresses', ['10.0.0.2', '10.0.0.3'], 1n, 2, ['10.0.0.4', '10.0.0.5']],
    ['start index taken modulo the size', [], 8n + 1n, 1, ['10.0.0.2']],
    [
      'every address at most once',
      [],
      3n,
      100,
      ['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.1.0.1', '10.1.0.2', '10.0.0.1', '10.0.0.2', '10.0.0.3'],
    ],
    [
      'full pool: none',
      ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.1.0.1', '10.1.0.2'],
      4n,
      3,
      [],
    ],
  ])('%s', (_n, used, start, max, want) => {
    expect(addrs(used, start, max)).toEqual(want);
  });

  it('an empty pool has no candidates', () => {
    expect(freeCandidates(familyRanges({ cidrs: [] }, 'IPv4'), new Set(), 0n, 4)).toEqual([]);
  });
});

describe('startIndexFor', () => {
  it('is stable per key, inside the pool, and spreads keys', () => {
    expect(startIndexFor('uid-1/eth1', 254n)).toBe(startIndexFor('uid-1/eth1', 254n));
    const starts = new Set(Array.from({ length: 200 }, (_, i) => startIndexFor(`uid-${String(i)}/d`, 1000n)));
    for (const s of starts) expect(s < 1000n && s >= 0n).toBe(true);
    expect(starts.size).toBeGreaterThan(150);
    expect(startIndexFor('x', 0n)).toBe(0n);
  });
});
