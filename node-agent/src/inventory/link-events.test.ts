import { describe, expect, it } from '@jest/globals';
import type { NlMessage } from '../netns/netlink-codec.js';
import { linkEventTriggers } from './link-events.js';

const m = (type: number, payload: number[]): NlMessage => ({
  type,
  flags: 0,
  seq: 0,
  pid: 0,
  payload: Buffer.from([...payload, ...new Array<number>(16).fill(0)]),
});

describe('linkEventTriggers: which notifications can change the device list', () => {
  it.each<[string, NlMessage, boolean]>([
    ['RTM_NEWLINK', m(16, [0]), true],
    ['RTM_DELLINK', m(17, [0]), true],
    ['RTM_NEWADDR global IPv4', m(20, [2, 24, 0x80, 0, 5, 0, 0, 0]), true],
    ['RTM_DELADDR global IPv6', m(21, [10, 64, 0, 0, 5, 0, 0, 0]), true],
    ['RTM_NEWADDR link-local fe80:: (scope link)', m(20, [10, 64, 0x80, 253, 5, 0, 0, 0]), false],
    ['RTM_NEWADDR 127.0.0.1 (scope host)', m(20, [2, 8, 0x80, 254, 1, 0, 0, 0]), false],
    ['RTM_NEWROUTE default, main table', m(24, [2, 0, 0, 0, 254, 3, 0, 1]), true],
    ['RTM_DELROUTE ::/0, main table', m(25, [10, 0, 0, 0, 254, 3, 0, 1]), true],
    ['RTM_NEWROUTE 10.0.0.0/24, main table', m(24, [2, 24, 0, 0, 254, 2, 253, 1]), false],
    ['RTM_NEWROUTE default, table 100', m(24, [2, 0, 0, 0, 100, 3, 0, 1]), false],
    ['RTM_NEWROUTE local table', m(24, [2, 32, 0, 0, 255, 2, 254, 2]), false],
    ['RTM_NEWNEIGH', m(28, [2, 0, 0, 0]), false],
    ['RTM_NEWADDR too short', { type: 20, flags: 0, seq: 0, pid: 0, payload: Buffer.alloc(4) }, false],
  ])('%s -> %s', (_name, msg, want) => {
    expect(linkEventTriggers(msg)).toBe(want);
  });
});
