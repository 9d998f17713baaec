import { describe, expect, it } from '@jest/globals';
import { formatIp, ipBytes, maskBytes, nonUnicastKind } from './ip.js';

const hex = (b: Uint8Array | undefined): string | undefined =>
  b ? Buffer.from(b).toString('hex') : undefined;

describe('ip helpers', () => {
  it.each<[string, string | undefined]>([
    ['10.0.0.5', '0a000005'],
    ['::', '0'.repeat(32)],
    ['::1', `${'0'.repeat(30)}01`],
    ['2001:db8::5', `20010db8${'0'.repeat(22)}05`],
    ['2001:DB8:0:0::5', `20010db8${'0'.repeat(22)}05`],
    ['::ffff:10.0.0.1', `${'0'.repeat(20)}ffff0a000001`],
    ['fe80::1%eth0', undefined],
    ['nope', undefined],
  ])('ipBytes(%s)', (addr, want) => {
    expect(hex(ipBytes(addr))).toBe(want);
  });

  it.each([
    ['10.0.0.5', '10.0.0.5'],
    ['2001:0db8:0:0:0:0:0:5', '2001:db8::5'],
    ['2001:db8:0:1:0:0:0:0', '2001:db8:0:1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
  ])('formatIp(%s) = %s', (addr, want) => {
    const b = ipBytes(addr);
    expect(b && formatIp(b)).toBe(want);
  });

  it.each([
    ['10.1.2.3', 8, '10.0.0.0'],
    ['10.1.2.3', 23, '10.1.2.0'],
    ['10.1.3.3', 23, '10.1.2.0'],
    ['10.1.2.3', 0, '0.0.0.0'],
    ['10.1.2.3', 32, '10.1.2.3'],
    ['2001:db8::1', 64, '2001:db8::'],
  ])('maskBytes(%s, %i) = %s', (addr, bits, want) => {
    const b = ipBytes(addr);
    expect(b && formatIp(maskBytes(b, bits))).toBe(want);
  });

  it.each([
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['ff02::1', 'multicast'],
    ['10.0.0.1', undefined],
    ['fe80::1', undefined],
    ['2001:db8::1', undefined],
    ['223.255.255.255', undefined],
  ])('nonUnicastKind(%s) = %s', (addr, want) => {
    const b = ipBytes(addr);
    expect(b && nonUnicastKind(b)).toBe(want);
  });
});
