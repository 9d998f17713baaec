// Table tests of the rules that reject what the kernel would refuse at attach time (or what would
// break the pod): one accepted and one or more rejected examples per class, each rejected example
// with the exact line a user reads.
import { describe, expect, it } from '@jest/globals';
import { ETHTOOL_FEATURES } from './ethtool-features.js';
import { RESERVED_INTERFACE_NAMES } from './network-config-schema.js';
import { formatProblems, validateNetworkConfig } from './validate-network-config.js';

const lines = (input: unknown): string[] => {
  const r = validateNetworkConfig(input);
  return r.ok ? [] : formatProblems(r.problems);
};

const gw = (destination: string, gateway: string): object => ({ routes: [{ destination, gateway }] });
const RESERVED = `must not be a name every pod or the kernel already uses (${RESERVED_INTERFACE_NAMES.join(', ')})`;
const NAME_CHARS = 'interface.name: must match ^[A-Za-z0-9_.-]+$';
const MULTICAST_MAC = 'must be a unicast MAC address: the multicast bit (01:00:00:00:00:00) is set';
const MTU_V6 =
  'interface.mtu: must be at least 1280 (the IPv6 minimum) when an IPv6 address, route or neighbor is set';

describe('NetworkConfig rules', () => {
  it.each<[string, unknown]>([
    ['a name like eth1', { interface: { name: 'eth1' } }],
    ['a name with dots, dashes and underscores', { interface: { name: 'net_1.a-b' } }],
    ['a name that only starts like a reserved one', { interface: { name: 'lo1' } }],
    ['distinct addresses', { interface: { addresses: ['10.0.0.5/24', '10.0.0.6/24', '2001:db8::5/64'] } }],
    [
      'routes to one prefix in two tables',
      {
        routes: [
          { destination: '10.1.0.0/16', gateway: '10.0.0.1' },
          { destination: '10.1.0.0/16', gateway: '10.0.0.1', table: 100 },
        ],
      },
    ],
    ['the default route', gw('0.0.0.0/0', '10.0.0.1')],
    ['a host route', gw('10.9.9.9/32', '10.0.0.1')],
    ['an IPv6 route via a link-local gateway', gw('2001:db8:1::/48', 'fe80::1')],
    ['a route to a multicast prefix', { routes: [{ destination: '224.0.0.0/4', scope: 253 }] }],
    [
      'a route with a source of its family',
      { routes: [{ destination: '10.1.0.0/16', gateway: '10.0.0.1', source: '10.0.0.5' }] },
    ],
    [
      'a rule with one family',
      { rules: [{ source: '2001:db8::/64', destination: '2001:db8:1::/64', table: 7 }] },
    ],
    ['a locally administered unicast MAC', { interface: { hardwareAddr: '02:00:00:00:00:01' } }],
    ['a vendor MAC in upper case', { interface: { hardwareAddr: 'AC:DE:48:00:11:22' } }],
    ['an IPv4-only link with a small MTU', { interface: { mtu: 576, addresses: ['10.0.0.5/24'] } }],
    ['an IPv6 link at exactly 1280', { interface: { mtu: 1280, addresses: ['2001:db8::5/64'] } }],
    [
      'neighbors with distinct addresses',
      {
        neighbors: [
          { destination: '10.0.0.1', hardwareAddr: '02:00:00:00:00:02' },
          { destination: 'fe80::1', hardwareAddr: '02:00:00:00:00:03' },
        ],
      },
    ],
    [
      'every ethtool feature ethtool -k prints',
      { ethtool: { features: Object.fromEntries(ETHTOOL_FEATURES.slice(0, 64).map((f) => [f, true])) } },
    ],
  ])('accepts %s', (_name, input) => {
    expect(lines(input)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    // interface names: dev_valid_name and what every pod already has
    ['eth0 (every pod has it)', { interface: { name: 'eth0' } }, [`interface.name: ${RESERVED}`]],
    ['lo', { interface: { name: 'lo' } }, [`interface.name: ${RESERVED}`]],
    ['all', { interface: { name: 'all' } }, [`interface.name: ${RESERVED}`]],
    ['default', { interface: { name: 'default' } }, [`interface.name: ${RESERVED}`]],
    ['a fallback tunnel name', { interface: { name: 'sit0' } }, [`interface.name: ${RESERVED}`]],
    ['.', { interface: { name: '.' } }, ['interface.name: must not be "." or ".."']],
    ['a name with /', { interface: { name: 'a/b' } }, [NAME_CHARS]],
    ['a name with :', { interface: { name: 'eth1:1' } }, [NAME_CHARS]],
    ['a name with a space', { interface: { name: 'net 1' } }, [NAME_CHARS]],
    ['a name with a tab', { interface: { name: 'net\t1' } }, [NAME_CHARS]],
    ['a name template with %', { interface: { name: 'net%d' } }, [NAME_CHARS]],
    [
      'an empty name',
      { interface: { name: '' } },
      ['interface.name: must NOT have fewer than 1 characters', NAME_CHARS],
    ],
    // duplicates
    [
      'the same address twice',
      { interface: { addresses: ['10.0.0.5/24', '10.0.0.5/24'] } },
      ['interface.addresses[1]: duplicates interface.addresses[0] (same address)'],
    ],
    [
      'one address with two prefixes',
      { interface: { addresses: ['10.0.0.5/24', '10.0.0.5/16'] } },
      ['interface.addresses[1]: duplicates interface.addresses[0] (same address)'],
    ],
    [
      'one IPv6 address spelled twice',
      { interface: { addresses: ['2001:db8::5/64', '2001:DB8:0:0::5/64'] } },
      ['interface.addresses[1]: duplicates interface.addresses[0] (same address)'],
    ],
    [
      'the same route twice',
      {
        routes: [
          { destination: '10.1.0.0/16', gateway: '10.0.0.1' },
          { destination: '10.1.0.0/16', gateway: '10.0.0.2' },
        ],
      },
      ['routes[1].destination: duplicates routes[0].destination (same destination and table)'],
    ],
    [
      'the same route in the main table, once implicit',
      {
        routes: [
          { destination: '10.1.0.0/16', gateway: '10.0.0.1' },
          { destination: '10.1.0.0/16', gateway: '10.0.0.1', table: 254 },
        ],
      },
      ['routes[1].destination: duplicates routes[0].destination (same destination and table)'],
    ],
    [
      'one IPv6 route spelled twice',
      {
        routes: [
          { destination: '2001:db8::/32', gateway: 'fe80::1' },
          { destination: '2001:0db8:0::/32', gateway: 'fe80::2' },
        ],
      },
      ['routes[1].destination: duplicates routes[0].destination (same destination and table)'],
    ],
    [
      'the same neighbor twice',
      {
        neighbors: [
          { destination: '10.0.0.1', hardwareAddr: '02:00:00:00:00:02' },
          { destination: '10.0.0.1', hardwareAddr: '02:00:00:00:00:03' },
        ],
      },
      ['neighbors[1].destination: duplicates neighbors[0].destination (same destination)'],
    ],
    // host bits
    [
      'an IPv4 destination with host bits',
      gw('10.0.0.1/24', '10.0.0.254'),
      ['routes[0].destination: has host bits set; the prefix is 10.0.0.0/24'],
    ],
    [
      'an IPv6 destination with host bits',
      gw('2001:db8::1/64', 'fe80::1'),
      ['routes[0].destination: has host bits set; the prefix is 2001:db8::/64'],
    ],
    [
      'a default route with host bits',
      gw('10.0.0.0/0', '10.0.0.1'),
      ['routes[0].destination: has host bits set; the prefix is 0.0.0.0/0'],
    ],
    // mixed families
    [
      'a v4 destination with a v6 gateway',
      gw('10.1.0.0/16', 'fe80::1'),
      ['routes[0].gateway: must be of the same address family (IPv4 or IPv6) as destination'],
    ],
    [
      'a v6 destination with a v4 gateway',
      gw('2001:db8::/32', '10.0.0.1'),
      ['routes[0].gateway: must be of the same address family (IPv4 or IPv6) as destination'],
    ],
    [
      'a v4 destination with a v6 source',
      { routes: [{ destination: '10.1.0.0/16', scope: 253, source: '2001:db8::5' }] },
      ['routes[0].source: must be of the same address family (IPv4 or IPv6) as destination'],
    ],
    [
      'a rule with v4 source and v6 destination',
      { rules: [{ source: '10.0.0.0/8', destination: '2001:db8::/32', table: 7 }] },
      ['rules[0].destination: must be of the same address family (IPv4 or IPv6) as source'],
    ],
    // MACs
    [
      'a multicast MAC',
      { interface: { hardwareAddr: '01:00:5e:00:00:01' } },
      [`interface.hardwareAddr: ${MULTICAST_MAC}`],
    ],
    [
      'an upper-case multicast MAC',
      { interface: { hardwareAddr: '03:00:00:00:00:01' } },
      [`interface.hardwareAddr: ${MULTICAST_MAC}`],
    ],
    [
      'the broadcast MAC',
      { interface: { hardwareAddr: 'FF:FF:FF:FF:FF:FF' } },
      [`interface.hardwareAddr: ${MULTICAST_MAC}`],
    ],
    [
      'the all-zero MAC',
      { interface: { hardwareAddr: '00:00:00:00:00:00' } },
      ['interface.hardwareAddr: must not be all zeros'],
    ],
    [
      'a neighbor with the broadcast MAC',
      { neighbors: [{ destination: '10.0.0.1', hardwareAddr: 'ff:ff:ff:ff:ff:ff' }] },
      [`neighbors[0].hardwareAddr: ${MULTICAST_MAC}`],
    ],
    // unspecified, loopback, multicast addresses
    [
      'an unspecified interface address',
      { interface: { addresses: ['0.0.0.0/24'] } },
      ['interface.addresses[0]: must not be an unspecified address'],
    ],
    [
      'a loopback interface address',
      { interface: { addresses: ['127.0.0.2/8'] } },
      ['interface.addresses[0]: must not be a loopback address'],
    ],
    [
      'an IPv6 loopback interface address',
      { interface: { addresses: ['::1/128'] } },
      ['interface.addresses[0]: must not be a loopback address'],
    ],
    [
      'a multicast interface address',
      { interface: { addresses: ['ff02::1/64'] } },
      ['interface.addresses[0]: must not be a multicast address'],
    ],
    [
      'an unspecified gateway',
      gw('10.1.0.0/16', '0.0.0.0'),
      ['routes[0].gateway: must not be an unspecified address'],
    ],
    [
      'a multicast gateway',
      gw('10.1.0.0/16', '224.0.0.1'),
      ['routes[0].gateway: must not be a multicast address'],
    ],
    [
      'a loopback source',
      { routes: [{ destination: '10.1.0.0/16', scope: 253, source: '127.0.0.1' }] },
      ['routes[0].source: must not be a loopback address'],
    ],
    [
      'an unspecified IPv6 neighbor',
      { neighbors: [{ destination: '::', hardwareAddr: '02:00:00:00:00:02' }] },
      ['neighbors[0].destination: must not be an unspecified address'],
    ],
    [
      'a multicast neighbor',
      { neighbors: [{ destination: '239.1.1.1', hardwareAddr: '02:00:00:00:00:02' }] },
      ['neighbors[0].destination: must not be a multicast address'],
    ],
    // IPv6 needs an MTU of at least 1280
    [
      'an IPv6 address on a 1279 MTU',
      { interface: { mtu: 1279, addresses: ['10.0.0.5/24', '2001:db8::5/64'] } },
      [MTU_V6],
    ],
    [
      'an IPv6 route on a 1000 MTU',
      { interface: { mtu: 1000 }, routes: [{ destination: '2001:db8::/32', gateway: 'fe80::1' }] },
      [MTU_V6],
    ],
    [
      'an IPv6 neighbor on a 576 MTU',
      { interface: { mtu: 576 }, neighbors: [{ destination: 'fe80::1', hardwareAddr: '02:00:00:00:00:02' }] },
      [MTU_V6],
    ],
    // ethtool features
    [
      'a kernel alias ethtool -k does not print',
      { ethtool: { features: { 'rx-gro': true } } },
      [
        'ethtool.features: unknown feature name: use a name `ethtool -k` prints, e.g. rx-checksumming or generic-receive-offload (not the kernel aliases rx-checksum, rx-gro)',
      ],
    ],
    [
      'a made-up feature next to a real one',
      { ethtool: { features: { 'tx-checksumming': true, turbo: true } } },
      [
        'ethtool.features: unknown feature name: use a name `ethtool -k` prints, e.g. rx-checksumming or generic-receive-offload (not the kernel aliases rx-checksum, rx-gro)',
      ],
    ],
  ])('rejects %s', (_name, input, expected) => {
    expect(lines(input)).toEqual(expected);
  });

  it('reports every address-arithmetic problem, each with its own path', () => {
    expect(
      lines({
        interface: { addresses: ['127.0.0.1/8', '10.0.0.5/24', '10.0.0.5/24'] },
        routes: [{ destination: '10.0.0.1/24', gateway: '0.0.0.0' }],
      }),
    ).toEqual([
      'interface.addresses[0]: must not be a loopback address',
      'interface.addresses[2]: duplicates interface.addresses[1] (same address)',
      'routes[0].gateway: must not be an unspecified address',
      'routes[0].destination: has host bits set; the prefix is 10.0.0.0/24',
    ]);
  });
});
