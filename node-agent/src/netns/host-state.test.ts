import { describe, expect, it } from '@jest/globals';
import type { HostLinkState } from './contract.js';
import { featureArgs, parseFeatures } from './ethtool.js';
import { ALIAS_MAX_BYTES, decodeMarker, encodeMarker, hostStateFrom, routeAddOrder } from './host-state.js';
import type { RouteInfo } from './rtnl-decode.js';

const link = { index: 5, ifName: 'eth1', mtu: 1500, mac: '02:00:00:00:00:01', up: true };
const route = (r: Partial<RouteInfo>): RouteInfo => ({
  family: 2,
  destination: '10.0.0.0/8',
  table: 254,
  protocol: 4,
  scope: 0,
  type: 1,
  oif: 5,
  ...r,
});

describe('hostStateFrom', () => {
  it('keeps global addresses of the link and restorable routes through it', () => {
    const s = hostStateFrom(
      { ...link, alias: 'uplink' },
      [
        { index: 5, family: 2, prefixLength: 24, scope: 0, flags: 0x80, address: '198.51.100.5' },
        { index: 5, family: 10, prefixLength: 64, scope: 253, flags: 0x80, address: 'fe80::1' },
        { index: 6, family: 2, prefixLength: 24, scope: 0, flags: 0x80, address: '198.51.100.6' },
      ],
      [
        route({ destination: '203.0.113.0/24', gateway: '198.51.100.1', metric: 100 }),
        route({ destination: '198.51.100.0/24', protocol: 2, scope: 253 }),
        route({ destination: '198.51.100.5/32', table: 255, type: 2 }),
        route({ destination: '192.0.2.0/24', oif: 6 }),
      ],
    );
    expect(s).toEqual({
      ifName: 'eth1',
      mtu: 1500,
      mac: '02:00:00:00:00:01',
      up: true,
      alias: 'uplink',
      addresses: ['198.51.100.5/24'],
      routes: [{ destination: '203.0.113.0/24', gateway: '198.51.100.1', metric: 100, table: 254, scope: 0 }],
    });
  });

  it('does not record its own marker as the original alias', () => {
    expect(hostStateFrom({ ...link, alias: 'knd:[]' }, [], []).alias).toBeUndefined();
  });
});

describe('marker alias', () => {
  const state: HostLinkState = {
    ifName: 'eth1',
    mtu: 1500,
    mac: '02:00:00:00:00:01',
    up: true,
    addresses: ['198.51.100.5/24', '2001:db8::5/64'],
    routes: [
      { destination: '203.0.113.0/24', gateway: '198.51.100.1', table: 254, scope: 0, metric: 100 },
      { destination: '198.18.0.0/15', table: 254, scope: 253 },
    ],
    alias: 'uplink',
  };

  it('round-trips the full state when it fits', () => {
    const m = encodeMarker(state);
    expect(m.startsWith('knd:')).toBe(true);
    expect(decodeMarker(m)).toEqual(state);
  });

  it('drops routes, then addresses, when the state exceeds 255 bytes', () => {
    const many = {
      ...state,
      routes: Array.from({ length: 10 }, (_, i) => ({
        destination: `10.${i}.0.0/16`,
        gateway: '198.51.100.1',
      })),
    };
    const m = encodeMarker(many);
    expect(Buffer.byteLength(m)).toBeLessThanOrEqual(ALIAS_MAX_BYTES);
    expect(decodeMarker(m)).toEqual({ ...state, routes: [] });
  });

  it.each([undefined, 'uplink', 'knd:not json', 'knd:{"a":1}', 'knd:[1,2]'])(
    '%s is not a marker',
    (alias) => {
      expect(decodeMarker(alias)).toBeUndefined();
    },
  );
});

describe('route order and ethtool', () => {
  it('link routes before gateway routes', () => {
    expect(
      routeAddOrder([{ destination: 'a', gateway: 'g' }, { destination: 'b' }]).map((r) => r.destination),
    ).toEqual(['b', 'a']);
  });

  const k =
    'Features for net1:\nrx-checksumming: on [fixed]\ntcp-segmentation-offload: on\n\ttx-tcp-segmentation: on\ngeneric-receive-offload: off\n';
  it('parses ethtool -k and builds only the needed -K arguments with the previous values', () => {
    const cur = parseFeatures(k);
    expect(cur.get('rx-checksumming')).toEqual({ on: true, fixed: true });
    expect(
      featureArgs('net1', { 'tcp-segmentation-offload': false, 'generic-receive-offload': false }, cur),
    ).toEqual({
      args: ['-K', 'net1', 'tcp-segmentation-offload', 'off'],
      previous: { 'tcp-segmentation-offload': true },
    });
  });

  it.each([
    [{ 'rx-checksumming': false }, 'is fixed on'],
    [{ 'no-such': true }, 'is not known'],
  ])('refuses %j', (want, err) => {
    expect(() => featureArgs('net1', want, parseFeatures(k))).toThrow(err);
  });
});
