import { describe, expect, it } from '@jest/globals';
import { formatProblems, pointerToPath, validateNetworkConfig } from './validate-network-config.js';

const lines = (input: unknown): string[] => {
  const r = validateNetworkConfig(input);
  return r.ok ? [] : formatProblems(r.problems);
};

describe('validateNetworkConfig', () => {
  it.each([
    ['empty config', {}],
    [
      'full config',
      {
        apiVersion: 'knd.dev/v1alpha1',
        kind: 'NetworkConfig',
        interface: {
          name: 'net1',
          addresses: ['10.0.0.5/24', '2001:db8::5/64'],
          mtu: 9000,
          hardwareAddr: '02:00:00:00:00:01',
        },
        routes: [
          { destination: '10.20.0.0/16', gateway: '10.0.0.1' },
          { destination: '10.30.0.0/16', scope: 253 },
        ],
        rules: [{ priority: 100, source: '10.0.0.0/24', table: 100 }],
        neighbors: [{ destination: '10.0.0.1', hardwareAddr: '02:00:00:00:00:02' }],
        ethtool: { features: { 'rx-checksumming': false } },
      },
    ],
    [
      'pools for both families next to a static address',
      { interface: { addresses: ['10.0.0.5/24'] }, ipam: { ipv4Pool: 'fabric-a', ipv6Pool: 'fabric-a' } },
    ],
    ['an IPv4 pool on a small MTU', { interface: { mtu: 576 }, ipam: { ipv4Pool: 'fabric' } }],
  ])('accepts %s', (_name, input) => {
    expect(lines(input)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['ipam without a pool', { ipam: {} }, ['ipam: must name ipv4Pool, ipv6Pool or both']],
    [
      'ipam unknown field',
      { ipam: { pool: 'a' } },
      ['ipam: must name ipv4Pool, ipv6Pool or both', 'ipam.pool: unknown field'],
    ],
    [
      'pool name not a DNS label',
      { ipam: { ipv4Pool: 'Fabric.A' } },
      ['ipam.ipv4Pool: must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'],
    ],
    [
      'IPv6 pool on a small MTU',
      { interface: { mtu: 1200 }, ipam: { ipv6Pool: 'fabric' } },
      [
        'interface.mtu: must be at least 1280 (the IPv6 minimum) when an IPv6 address, route or neighbor is set',
      ],
    ],
    ['unknown top-level field', { interfaces: {} }, ['interfaces: unknown field']],
    ['unknown nested field', { interface: { nam: 'x' } }, ['interface.nam: unknown field']],
    [
      'bad cidr',
      { routes: [{ destination: '10.1.0.0/33', gateway: '10.0.0.1' }] },
      ['routes[0].destination: must be a CIDR such as 10.0.0.0/24 or 2001:db8::/64'],
    ],
    [
      'missing gateway',
      { routes: [{ destination: '10.1.0.0/16' }] },
      ['routes[0].gateway: a gateway is required unless scope is 253 (link)'],
    ],
    [
      'gateway with link scope',
      { routes: [{ destination: '10.1.0.0/16', gateway: '10.0.0.1', scope: 253 }] },
      ['routes[0].scope: a link-scope route (253) takes no gateway'],
    ],
    [
      'bad gateway',
      { routes: [{ destination: '10.1.0.0/16', gateway: 'nope' }] },
      ['routes[0].gateway: must be an IPv4 or IPv6 address'],
    ],
    ['mtu too small', { interface: { mtu: 10 } }, ['interface.mtu: must be >= 68']],
    [
      'long name',
      { interface: { name: 'a-very-long-interface-name' } },
      ['interface.name: must NOT have more than 15 characters'],
    ],
    ['dot name', { interface: { name: '..' } }, ['interface.name: must not be "." or ".."']],
    [
      'bad mac',
      { interface: { hardwareAddr: 'zz' } },
      ['interface.hardwareAddr: must be a MAC address such as 02:00:00:00:00:01'],
    ],
    [
      'missing neighbor mac',
      { neighbors: [{ destination: '10.0.0.1' }] },
      ['neighbors[0].hardwareAddr: required field is missing'],
    ],
    ['wrong kind', { kind: 'Other' }, ['kind: must be one of "NetworkConfig"']],
    ['not an object', 'x', ['must be object']],
    ['null', null, ['must be object']],
  ])('rejects %s', (_name, input, expected) => {
    expect(lines(input)).toEqual(expected);
  });

  it('reports every problem, not only the first', () => {
    expect(lines({ a: 1, b: 2, interface: { mtu: 1 } })).toHaveLength(3);
  });

  it.each([
    ['/routes/0/destination', 'routes[0].destination'],
    ['', ''],
    ['/ethtool/features/a~1b', 'ethtool.features.a/b'],
  ])('pointerToPath(%s)', (p, want) => {
    expect(pointerToPath(p)).toBe(want);
  });

  it('never throws on random JSON (fuzz)', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const keys = [
      'interface',
      'routes',
      'rules',
      'neighbors',
      'ethtool',
      'name',
      'mtu',
      'addresses',
      'destination',
      'gateway',
      'scope',
      'table',
      'features',
      'x',
    ];
    const gen = (depth: number): unknown => {
      const t = Math.floor(rnd() * 7);
      if (depth > 3 || t === 0) return Math.floor(rnd() * 70000) - 10;
      if (t === 1) return ['10.0.0.1', '10.0.0.0/8', 'net1', '', '::1/128', 'zz'][Math.floor(rnd() * 6)];
      if (t === 2) return rnd() > 0.5;
      if (t === 3) return null;
      if (t === 4) return Array.from({ length: Math.floor(rnd() * 3) }, () => gen(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rnd() * 4) }, () => [
          keys[Math.floor(rnd() * keys.length)],
          gen(depth + 1),
        ]),
      );
    };
    for (let i = 0; i < 3000; i++) {
      const r = validateNetworkConfig(gen(0));
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.problems.length).toBeGreaterThan(0);
    }
  });
});
