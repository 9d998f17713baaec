import { describe, expect, it } from '@jest/globals';
import { linkVerdict, nextMemory, type LinkMemory, type LinkObservation } from './link-health.js';

const up: LinkObservation = {
  place: 'host',
  present: true,
  adminUp: true,
  carrier: true,
  operstate: 'up',
  rdmaPortStates: [],
};

describe('linkVerdict', () => {
  it.each<[string, LinkObservation | undefined, LinkMemory | undefined, string]>([
    ['up with carrier', up, undefined, 'healthy'],
    ['nothing observed', undefined, { place: 'host', adminUp: true }, 'unknown'],
    ['netdev gone', { ...up, present: false }, undefined, 'Gone'],
    ['veth peer down: up, no carrier', { ...up, carrier: false, operstate: 'down' }, undefined, 'NoCarrier'],
    ['lowerlayerdown', { ...up, carrier: false, operstate: 'lowerlayerdown' }, undefined, 'NoCarrier'],
    [
      'set down after being up here',
      { ...up, adminUp: false, carrier: false },
      { place: 'host', adminUp: true },
      'AdminDown',
    ],
    ['down and never up here: idle NIC', { ...up, adminUp: false, carrier: false }, undefined, 'unknown'],
    [
      'down in the pod after being up on the host: knd moved it',
      { ...up, place: '/proc/1/ns/net', adminUp: false, carrier: false },
      { place: 'host', adminUp: true },
      'unknown',
    ],
    ['down and last seen down here', { ...up, adminUp: false }, { place: 'host', adminUp: false }, 'unknown'],
    [
      'RDMA port not active',
      { ...up, rdmaPortStates: ['4: ACTIVE', '1: DOWN'] },
      undefined,
      'RdmaPortNotActive',
    ],
    ['RDMA ports active', { ...up, rdmaPortStates: ['4: ACTIVE'] }, undefined, 'healthy'],
  ])('%s', (_name, o, prev, want) => {
    const v = linkVerdict(o, prev);
    expect(v.kind === 'unhealthy' ? v.reason : v.kind).toBe(want);
  });

  it('remembers the place and admin state of present links only', () => {
    expect(nextMemory(up, undefined)).toEqual({ place: 'host', adminUp: true });
    const prev = { place: 'host', adminUp: true };
    expect(nextMemory(undefined, prev)).toBe(prev);
    expect(nextMemory({ ...up, present: false }, prev)).toBe(prev);
  });
});
