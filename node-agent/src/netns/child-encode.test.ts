import { describe, expect, it } from '@jest/globals';
import { delLink, newMacvlanChild, tbfRootQdisc } from './child-encode.js';
import { isNetnsMove, sleepsInKernel } from './netlink-socket.js';
import type { RtRequest } from './rtnl-encode.js';

const h = (s: string): string => s.replace(/\s+/g, '');

describe('shared-device request layouts', () => {
  it.each<[string, RtRequest, number, number, string]>([
    [
      'macvlan child created in the pod netns (bridge, MTU, MAC) in one RTM_NEWLINK',
      newMacvlanChild({
        parentIndex: 7,
        netnsFd: 5,
        ifName: 'net1',
        mtu: 1400,
        mac: '02:00:5e:10:00:01',
        mode: 'bridge',
      }),
      16,
      0x600,
      '00 00 0000 00000000 00000000 00000000' +
        '0900 0300 6e65743100 000000' + // IFLA_IFNAME net1
        '0800 0500 07000000' + // IFLA_LINK 7
        '0800 1c00 05000000' + // IFLA_NET_NS_FD 5
        '0800 0400 78050000' + // IFLA_MTU 1400
        '0a00 0100 02005e100001 0000' + // IFLA_ADDRESS
        '1c00 1280' + // IFLA_LINKINFO (nested)
        '0c00 0100 6d6163766c616e00' + // IFLA_INFO_KIND macvlan
        '0c00 0280 0800 0100 04000000', // IFLA_INFO_DATA { IFLA_MACVLAN_MODE bridge }
    ],
    [
      'private mode, no MTU',
      newMacvlanChild({ parentIndex: 2, netnsFd: 9, ifName: 'n', mac: '02:00:00:00:00:02', mode: 'private' }),
      16,
      0x600,
      '00 00 0000 00000000 00000000 00000000' +
        '0600 0300 6e00 0000' +
        '0800 0500 02000000' +
        '0800 1c00 09000000' +
        '0a00 0100 020000000002 0000' +
        '1c00 1280 0c00 0100 6d6163766c616e00 0c00 0280 0800 0100 01000000',
    ],
    ['delete link 12', delLink(12), 17, 0, '00 00 0000 0c000000 00000000 00000000'],
    [
      'tbf root qdisc: 100 Mbit/s, 125000-byte bucket, 750000-byte queue',
      tbfRootQdisc('add', 3, { rateBitsPerSecond: 100_000_000, burstBytes: 125_000, limitBytes: 750_000 }),
      36,
      0x600,
      '00 00 0000 03000000 00000100 ffffffff 00000000' + // tcmsg: ifindex 3, handle 1:, parent root
        '0800 0100 74626600' + // TCA_KIND tbf
        '3400 0280' + // TCA_OPTIONS (nested)
        '2800 0100' + // TCA_TBF_PARMS (36 bytes)
        '00 01 0000 0000 0000 20bcbe00' + // rate: linklayer ethernet, 12 500 000 B/s
        '00 00 0000 0000 0000 00000000' + // no peak rate
        'b0710b00' + // limit 750000
        '5a620200' + // buffer 10 ms = 156250 ticks of 64 ns
        '00000000' + // mtu (peak rate only)
        '0800 0600 48e80100', // TCA_TBF_BURST 125000
    ],
    [
      'delete the root qdisc',
      tbfRootQdisc('del', 3),
      37,
      0,
      '00 00 0000 03000000 00000000 ffffffff 00000000',
    ],
  ])('%s', (_name, req, type, flags, hex) => {
    expect(req.type).toBe(type);
    expect(req.flags).toBe(flags);
    expect(req.body.toString('hex')).toBe(h(hex));
  });

  it('a rate above 4 GB/s carries TCA_TBF_RATE64', () => {
    const req = tbfRootQdisc('add', 1, {
      rateBitsPerSecond: 400e9,
      burstBytes: 500_000_000,
      limitBytes: 4e9,
    });
    const hex = req.body.toString('hex');
    expect(hex).toContain(h('0c00 0400 00743ba40b000000')); // 50e9 B/s
    expect(hex).toContain(h('00 01 0000 0000 0000 ffffffff')); // u32 rate saturated
  });

  it.each([
    ['zero rate', { rateBitsPerSecond: 0, burstBytes: 1, limitBytes: 1 }],
    ['zero burst', { rateBitsPerSecond: 1e6, burstBytes: 0, limitBytes: 1 }],
    ['NaN limit', { rateBitsPerSecond: 1e6, burstBytes: 1, limitBytes: Number.NaN }],
  ])('refuses a tbf with %s', (_n, spec) => {
    expect(() => tbfRootQdisc('add', 1, spec)).toThrow(/must be positive/);
  });

  it('creating a link in another namespace is not a netns move (runs inline)', () => {
    const create = newMacvlanChild({
      parentIndex: 1,
      netnsFd: 3,
      ifName: 'x',
      mac: '02:00:00:00:00:01',
      mode: 'vepa',
    });
    expect(isNetnsMove(create)).toBe(false);
    expect(sleepsInKernel(create)).toBe(false);
  });

  it('deleting a link waits for the kernel (RCU): it goes to the thread pool', () => {
    expect(sleepsInKernel(delLink(3))).toBe(true);
    expect(sleepsInKernel(tbfRootQdisc('del', 3))).toBe(false);
  });
});
