// Which link is knd's own device: by marker, or by original name AND MAC; never by name alone.
import { describe, expect, it } from '@jest/globals';
import type { HostLinkState } from './contract.js';
import { carriesMarker, isHomeLink } from './find-link.js';
import { encodeMarker } from './host-state.js';
import type { LinkInfo } from './rtnl-decode.js';

const host: HostLinkState = {
  ifName: 'eth1',
  mtu: 1500,
  mac: '02:00:00:00:00:01',
  up: true,
  addresses: [],
  routes: [],
};
const marker = encodeMarker(host);
const otherMarker = encodeMarker({ ...host, ifName: 'eth2' });
const link = (l: Partial<LinkInfo>): LinkInfo => ({
  index: 7,
  ifName: 'eth1',
  mtu: 1500,
  mac: '02:00:00:00:00:01',
  up: true,
  ...l,
});

describe('carriesMarker', () => {
  it.each([
    ['knd marker for the host link', link({ ifName: 'net1', alias: marker }), true],
    ['knd marker for another host link', link({ alias: otherMarker }), false],
    ['an ordinary alias', link({ alias: 'uplink' }), false],
    ['no alias', link({}), false],
  ])('%s', (_n, l, expected) => {
    expect(carriesMarker(l, 'eth1')).toBe(expected);
  });
});

describe('isHomeLink', () => {
  it.each([
    ['original name, original MAC, no marker (a complete move back)', link({}), host, true],
    [
      'original name, marker for it (the alias step not reached)',
      link({ mac: '02:aa:00:00:00:09', alias: marker }),
      host,
      true,
    ],
    [
      'original name, another MAC: a foreign link that took the name',
      link({ mac: '02:aa:00:00:00:09' }),
      host,
      false,
    ],
    ['original name, marker of another device', link({ alias: otherMarker }), host, false],
    ['another name', link({ ifName: 'net1' }), host, false],
    [
      'MAC not recorded (intent record): the name decides',
      link({ mac: '02:aa:00:00:00:09' }),
      { ...host, mac: '' },
      true,
    ],
  ])('%s', (_n, l, h, expected) => {
    expect(isHomeLink(l, h)).toBe(expected);
  });
});
