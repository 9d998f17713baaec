import { describe, expect, it } from '@jest/globals';
import { isNetnsMove } from './netlink-socket.js';
import * as enc from './rtnl-encode.js';

const h = (s: string): string => s.replace(/\s+/g, '');

describe('rtnetlink request layouts', () => {
  it.each<[string, enc.RtRequest, number, number, string]>([
    [
      'move+rename+MTU+MAC in one RTM_NEWLINK',
      enc.setLink(7, { netnsFd: 5, ifName: 'net1', mtu: 9000, mac: '02:00:5e:10:00:01' }),
      16,
      0,
      '00 00 0000 07000000 00000000 00000000' +
        '0800 1c00 05000000' +
        '0900 0300 6e65743100 000000' +
        '0800 0400 28230000' +
        '0a00 0100 02005e100001 0000',
    ],
    ['set up', enc.setLink(3, { up: true }), 16, 0, '00 00 0000 03000000 01000000 01000000'],
    ['remove alias', enc.setLink(3, { alias: '' }), 16, 0, '00 00 0000 03000000 00000000 00000000 0400 1400'],
    [
      'get link by name',
      enc.getLink({ ifName: 'eth1' }),
      18,
      0,
      '00 00 0000 00000000 00000000 00000000 0900 0300 6574683100 000000',
    ],
    ['dump addresses of link 5 (strict-check filter)', enc.dumpAddrs(5), 22, 0x300, '00 00 00 00 05000000'],
    [
      'dump IPv6 routes through link 5',
      enc.dumpRoutes(10, 5),
      26,
      0x300,
      '0a 00 00 00 00 00 00 00 00000000 0800 0400 05000000',
    ],
    ['dump links', enc.dumpLinks(), 18, 0x300, '00 00 0000 00000000 00000000 00000000'],
    [
      'add IPv4 address',
      enc.address('add', 3, '203.0.113.10/24'),
      20,
      0x600,
      '02 18 00 00 03000000 0800 0200 cb00710a 0800 0100 cb00710a',
    ],
    [
      'delete IPv6 address',
      enc.address('del', 3, '2001:db8:0:1::10/64'),
      21,
      0,
      '0a 40 00 00 03000000 1400 0200 20010db8000000010000000000000010 1400 0100 20010db8000000010000000000000010',
    ],
    [
      'add gateway route (main table, static)',
      enc.route('add', 4, { destination: '198.51.100.0/24', gateway: '203.0.113.1' }),
      24,
      0x600,
      '02 18 00 00 fe 04 00 01 00000000 0800 0f00 fe000000 0800 0100 c6336400 0800 0500 cb007101 0800 0400 04000000',
    ],
    [
      'add link-scope route in table 1000',
      enc.route('add', 4, { destination: '198.18.0.0/15', scope: 253, table: 1000 }),
      24,
      0x600,
      '02 0f 00 00 fc 04 fd 01 00000000 0800 0f00 e8030000 0800 0100 c6120000 0800 0400 04000000',
    ],
    [
      'delete default route',
      enc.route('del', 4, { destination: '0.0.0.0/0', gateway: '10.0.0.1' }),
      25,
      0,
      '02 00 00 00 fe 00 00 01 00000000 0800 0f00 fe000000 0800 0500 0a000001 0800 0400 04000000',
    ],
    [
      'add rule from source to table',
      enc.rule('add', { priority: 1000, source: '203.0.113.10/32', table: 100 }),
      32,
      0x600,
      '02 00 20 00 64 00 00 01 00000000 0800 0f00 64000000 0800 0600 e8030000 0800 0200 cb00710a',
    ],
    [
      'add permanent neighbor',
      enc.neighbor('add', 4, { destination: '203.0.113.1', hardwareAddr: '02:00:5e:10:00:99' }),
      28,
      0x500,
      '02 00 0000 04000000 8000 00 00 0800 0100 cb007101 0a00 0200 02005e100099 0000',
    ],
  ])('%s', (_name, req, type, flags, body) => {
    expect(req.type).toBe(type);
    expect(req.flags).toBe(flags);
    expect(req.body.toString('hex')).toBe(h(body));
  });

  it.each([
    [
      'route with a gateway of the other family',
      () => enc.route('add', 1, { destination: '10.0.0.0/8', gateway: '2001:db8::1' }),
      /other family/,
    ],
    [
      'rule mixing families',
      () => enc.rule('add', { source: '10.0.0.0/8', destination: '2001:db8::/32', table: 5 }),
      /different families/,
    ],
    ['bad MAC', () => enc.setLink(1, { mac: '02:00' }), /not a MAC address/],
    ['bad prefix', () => enc.address('add', 1, '10.0.0.1/33'), /bad prefix length/],
  ])('rejects %s', (_n, fn, err) => {
    expect(fn).toThrow(err);
  });
});

describe('isNetnsMove (which requests go to the thread pool)', () => {
  it.each<[string, enc.RtRequest, boolean]>([
    ['move', enc.setLink(7, { netnsFd: 5, ifName: 'net1' }), true],
    ['MTU only', enc.setLink(7, { mtu: 1500 }), false],
    ['address', enc.address('add', 7, '10.0.0.1/8'), false],
  ])('%s -> %s', (_n, req, move) => {
    expect(isNetnsMove(req)).toBe(move);
  });
});
