import { describe, expect, it } from '@jest/globals';
import { parseIpAddrJson, parseProcNetIpv6Route, parseProcNetRoute } from './netlink-facts.js';

describe('parseIpAddrJson', () => {
  it('keeps kinds and global addresses only', () => {
    const json = JSON.stringify([
      { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
      {
        ifname: 'eth0',
        addr_info: [
          { family: 'inet', local: '192.0.2.2', prefixlen: 24, scope: 'global' },
          { family: 'inet6', local: 'fd00::2', prefixlen: 64, scope: 'global' },
          { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
        ],
      },
      { ifname: 'v0', linkinfo: { info_kind: 'veth' }, addr_info: [] },
      { bogus: true },
    ]);
    expect(parseIpAddrJson(json)).toEqual(
      new Map([
        ['lo', { ipv4: [], ipv6: [] }],
        ['eth0', { ipv4: ['192.0.2.2/24'], ipv6: ['fd00::2/64'] }],
        ['v0', { kind: 'veth', ipv4: [], ipv6: [] }],
      ]),
    );
  });

  it.each([['{}'], ['not json']])('rejects %s', (text) => {
    expect(() => parseIpAddrJson(text)).toThrow();
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
