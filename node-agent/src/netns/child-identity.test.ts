import { describe, expect, it } from '@jest/globals';
import { encodeMarker } from './host-state.js';
import {
  childMac,
  childSweepTargets,
  decodeChildMarker,
  encodeChildMarker,
  sameChild,
  tbfFor,
  type ChildMarker,
} from './child-identity.js';

const key = { claimUid: '0f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b', request: 'share', deviceName: 'eth1' };

describe('childMac', () => {
  it('is stable, locally administered and unicast', () => {
    const mac = childMac(key);
    expect(mac).toBe(childMac({ ...key }));
    expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    const first = parseInt(mac.slice(0, 2), 16);
    expect(first & 0x02).toBe(0x02);
    expect(first & 0x01).toBe(0);
  });

  it.each([
    ['another claim', { ...key, claimUid: 'ffffffff-4b5a-6978-8a9b-0c1d2e3f4a5b' }],
    ['another request', { ...key, request: 'other' }],
    ['another device', { ...key, deviceName: 'eth2' }],
  ])('differs for %s', (_n, other) => {
    expect(childMac(other)).not.toBe(childMac(key));
  });
});

describe('child marker', () => {
  const marker: ChildMarker = { ...key, parentIfName: 'eth1' };

  it('round-trips', () => {
    const alias = encodeChildMarker(marker);
    expect(alias).toBe('knd-child:["0f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b","share","eth1","eth1"]');
    expect(decodeChildMarker(alias)).toEqual(marker);
  });

  it.each<[string, string | undefined]>([
    ['no alias', undefined],
    ['a user alias', 'uplink to rack 3'],
    [
      'the moved-NIC marker',
      encodeMarker({ ifName: 'eth1', mtu: 1500, mac: '', up: true, addresses: [], routes: [] }),
    ],
    ['broken JSON', 'knd-child:["a",'],
    ['too few fields', 'knd-child:["a","b","c"]'],
    ['a non-string field', 'knd-child:["a","b","c",4]'],
  ])('is not decoded from %s', (_n, alias) => {
    expect(decodeChildMarker(alias)).toBeUndefined();
  });

  it('refuses what does not fit in an alias', () => {
    expect(() => encodeChildMarker({ ...marker, deviceName: 'd'.repeat(250) })).toThrow(/more than 255/);
  });

  it('sameChild compares claim, request and device', () => {
    expect(sameChild(marker, key)).toBe(true);
    expect(sameChild(marker, { ...key, request: 'x' })).toBe(false);
  });
});

describe('tbfFor', () => {
  it.each<[string, number, number, { burstBytes: number; limitBytes: number }]>([
    ['100 Mbit/s: 10 ms bucket, 50 ms queue', 100e6, 1500, { burstBytes: 125_000, limitBytes: 750_000 }],
    ['1 Mbit/s: bucket of at least 4 frames', 1e6, 1500, { burstBytes: 6056, limitBytes: 12_306 }],
    ['1 Mbit/s on MTU 9000', 1e6, 9000, { burstBytes: 36_056, limitBytes: 42_306 }],
    ['25 Gbit/s', 25e9, 1500, { burstBytes: 31_250_000, limitBytes: 187_500_000 }],
  ])('%s', (_n, rate, mtu, want) => {
    expect(tbfFor(rate, mtu)).toEqual({ rateBitsPerSecond: rate, ...want });
  });

  it.each([0, 7999, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s bit/s', (rate) => {
    expect(() => tbfFor(rate, 1500)).toThrow(/at least 8000 bit\/s/);
  });
});

describe('childSweepTargets', () => {
  it('keeps, per pod namespace, the children of persisted records only', () => {
    const rec = (claimUid: string, netnsPath: string, request?: string) => ({
      claimUid,
      deviceName: 'eth1',
      netnsPath,
      ...(request === undefined ? {} : { child: { request } }),
    });
    const t = childSweepTargets([
      rec('a', '/ns/1', 'share'),
      rec('b', '/ns/1', 'share'),
      rec('c', '/ns/2'),
      rec('d', '/ns/3', 'x'),
    ]);
    expect([...t.keys()]).toEqual(['/ns/1', '/ns/3']);
    const keep1 = t.get('/ns/1');
    expect(keep1?.({ claimUid: 'a', request: 'share', deviceName: 'eth1' })).toBe(true);
    expect(keep1?.({ claimUid: 'b', request: 'share', deviceName: 'eth1' })).toBe(true);
    expect(keep1?.({ claimUid: 'z', request: 'share', deviceName: 'eth1' })).toBe(false);
    expect(keep1?.({ claimUid: 'a', request: 'other', deviceName: 'eth1' })).toBe(false);
  });
});
