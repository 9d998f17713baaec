import { describe, expect, it } from '@jest/globals';
import { bytesToIp, bytesToMac, ipToBytes, macToBytes, splitCidr } from './addr-bytes.js';
import { decodeMessages } from './netlink-codec.js';
import { parseAddr, parseLink, parseRoute } from './rtnl-decode.js';

const msg = (hexBytes: string) => {
  const m = decodeMessages(Buffer.from(hexBytes.replace(/\s+/g, ''), 'hex'))[0];
  if (m === undefined) throw new Error('no message');
  return m;
};

describe('rtnetlink reply parsing (known kernel layouts)', () => {
  it('RTM_NEWLINK: index, flags, name, MTU, MAC, alias, kind', () => {
    const l = parseLink(
      msg(
        '58000000 1000 0200 01000000 00000000' +
          '00 00 0100 05000000 43100100 00000000' +
          '0900 0300 6574683100 000000' +
          '0800 0400 dc050000' +
          '0a00 0100 02005e100001 0000' +
          '0900 1400 6b6e643a78 000000' +
          '0c00 1200 0800 0100 76657468',
      ),
    );
    expect(l).toEqual({
      index: 5,
      ifName: 'eth1',
      mtu: 1500,
      mac: '02:00:5e:10:00:01',
      up: true,
      lowerUp: true,
      alias: 'knd:x',
      kind: 'veth',
    });
  });

  it('RTM_NEWLINK: up without carrier (no IFF_LOWER_UP), IFLA_OPERSTATE down', () => {
    const l = parseLink(
      msg(
        '34000000 1000 0200 01000000 00000000' +
          '00 00 0100 05000000 01000000 00000000' +
          '0900 0300 6574683100 000000' +
          '0500 1000 02 000000',
      ),
    );
    expect([l.ifName, l.up, l.lowerUp, l.operstate]).toEqual(['eth1', true, false, 'down']);
  });

  it('RTM_NEWADDR: IPv4 with IFA_FLAGS', () => {
    expect(
      parseAddr(
        msg(
          '30000000 1400 0200 01000000 00000000' +
            '02 18 80 00 05000000 0800 0100 cb00710a 0800 0200 cb00710a 0800 0800 80000000',
        ),
      ),
    ).toEqual({ index: 5, family: 2, prefixLength: 24, scope: 0, flags: 0x80, address: '203.0.113.10' });
  });

  it('RTM_NEWADDR: IPv6 link-local (IFA_ADDRESS only)', () => {
    expect(
      parseAddr(
        msg(
          '2c000000 1400 0200 01000000 00000000' +
            '0a 40 80 fd 05000000 1400 0100 fe800000000000000000000000000001',
        ),
      ),
    ).toMatchObject({
      family: 10,
      scope: 253,
      address: 'fe80::1',
    });
  });

  it('RTM_NEWROUTE: gateway route with table, metric and oif', () => {
    expect(
      parseRoute(
        msg(
          '44000000 1800 0200 01000000 00000000' +
            '02 18 00 00 fe 04 00 01 00000000' +
            '0800 0f00 fe000000 0800 0100 c6336400 0800 0600 64000000 0800 0500 cb007101 0800 0400 05000000',
        ),
      ),
    ).toEqual({
      family: 2,
      destination: '198.51.100.0/24',
      table: 254,
      protocol: 4,
      scope: 0,
      type: 1,
      metric: 100,
      gateway: '203.0.113.1',
      oif: 5,
    });
  });

  it('RTM_NEWROUTE: default route has no RTA_DST', () => {
    expect(
      parseRoute(msg('1c000000 1800 0200 01000000 00000000' + '0a 00 00 00 fe 03 00 01 00000000'))
        .destination,
    ).toBe('::/0');
  });

  it('rejects a message of another type', () => {
    expect(() => parseRoute(msg('1c000000 1000 0200 01000000 00000000 00000000 00000000 00000000'))).toThrow(
      /message type 16, expected 24/,
    );
  });
});

describe('address bytes', () => {
  it.each([
    ['203.0.113.10', 'cb00710a'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:db8:0:1::10', '20010db8000000010000000000000010'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
  ])('%s', (text, bytes) => {
    expect(ipToBytes(text).toString('hex')).toBe(bytes);
  });

  it.each([
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    ['00000000000000000000000000000001', '::1'],
    ['fe800000000000000000000000000000', 'fe80::'],
  ])('formats %s as %s (RFC 5952)', (bytes, text) => {
    expect(bytesToIp(Buffer.from(bytes, 'hex'))).toBe(text);
  });

  it('MAC round trip, CIDR split, errors', () => {
    expect(bytesToMac(macToBytes('02:00:5E:10:00:01'))).toBe('02:00:5e:10:00:01');
    expect(splitCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefixLength: 32, family: 10 });
    expect(() => ipToBytes('1.2.3')).toThrow('not an IP address: "1.2.3"');
  });
});
