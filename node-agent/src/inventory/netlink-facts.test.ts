import { describe, expect, it } from '@jest/globals';
import type { AddrInfo, LinkInfo } from '../netns/rtnl-decode.js';
import { linkFacts, parseProcNetIpv6Route, parseProcNetRoute } from './netlink-facts.js';

describe('linkFacts', () => {
  const link = (index: number, ifName: string, kind?: string): LinkInfo => ({
    index,
    ifName,
    mtu: 1500,
    mac: '',
    up: true,
    ...(kind === undefined ? {} : { kind }),
  });
  const addr = (
    index: number,
    family: number,
    address: string,
    prefixLength: number,
    scope: number,
  ): AddrInfo => ({
    index,
    family,
    address,
    prefixLength,
    scope,
    flags: 0,
  });
  it('keeps kinds and global addresses only, matched to links by index', () => {
    expect(
      linkFacts(
        [link(1, 'lo'), link(2, 'eth0'), link(5, 'v0', 'veth'), link(6, '')],
        [
          addr(1, 2, '127.0.0.1', 8, 254),
          addr(2, 2, '192.0.2.2', 24, 0),
          addr(2, 10, 'fd00::2', 64, 0),
          addr(2, 10, 'fe80::1', 64, 253),
          addr(9, 2, '198.51.100.1', 24, 0), // a link that went away between the two dumps
        ],
      ),
    ).toEqual(
      new Map([
        ['lo', { ipv4: [], ipv6: [] }],
        ['eth0', { ipv4: ['192.0.2.2/24'], ipv6: ['fd00::2/64'] }],
        ['v0', { kind: 'veth', ipv4: [], ipv6: [] }],
      ]),
    );
  });
});

describe('default routes from /proc', () => {
  it('IPv4: destination and mask 0, route up', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'bond0\t00000000\t01020A0A\t0002\t0\t0\t0\t00000000\t0\t0\t0',
    ].join('\n');
    expect(parseProcNetRoute(text)).toEqual(['eth0']);
  });

  it('IPv6: ::/0 up, not the reject route on lo', () => {
    const z = '0'.repeat(32);
    const text = [
      `${z} 00 ${z} 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0`,
      `${z} 00 ${z} 00 ${z} ffffffff 00000001 00000000 00200200       lo`,
      `fd000000000000000000000000000000 40 ${z} 00 ${z} 00000100 00000001 00000000 00000001     eth1`,
    ].join('\n');
    expect(parseProcNetIpv6Route(text)).toEqual(['eth0']);
  });
});
