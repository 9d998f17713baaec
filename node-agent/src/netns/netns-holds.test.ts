import { describe, expect, it } from '@jest/globals';
import type { AttachRecord } from './contract.js';
import { NetnsHolds, type NetnsHoldsFs } from './netns-holds.js';

function fakeFs(missing: string[] = []): NetnsHoldsFs & { open_: string[]; closed: number[] } {
  let next = 40;
  const open_: string[] = [];
  const closed: number[] = [];
  return {
    open_,
    closed,
    open: (p) => {
      if (missing.includes(p)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      open_.push(p);
      return next++;
    },
    close: (fd) => {
      closed.push(fd);
    },
  };
}

const rec = (netnsPath: string, deviceName: string, podUid = 'pod-a'): AttachRecord => ({
  claimUid: 'claim-1',
  podUid,
  deviceName,
  netnsPath,
  podIfName: 'net1',
  host: { ifName: deviceName, mtu: 1500, mac: '02:00:00:00:00:01', up: true, addresses: [], routes: [] },
});

describe('NetnsHolds', () => {
  it('holds a namespace once per path, enters it through the descriptor, closes it with the last record', () => {
    const fs = fakeFs();
    const holds = new NetnsHolds(fs, 777);
    const a = rec('/var/run/netns/cni-1', 'eth1');
    const b = rec('/var/run/netns/cni-1', 'eth2');
    expect(holds.hold(a)).toBe(true);
    expect(holds.hold(b)).toBe(true);
    expect(holds.hold(a)).toBe(true); // idempotent (a repeated attach)
    expect(fs.open_).toEqual(['/var/run/netns/cni-1']);
    expect(holds.path(a)).toBe('/proc/777/fd/40');
    holds.release(a);
    expect(fs.closed).toEqual([]);
    expect(holds.size).toBe(1);
    holds.release(b);
    expect(fs.closed).toEqual([40]);
    expect(holds.size).toBe(0);
    expect(holds.path(a)).toBe('/var/run/netns/cni-1');
    holds.release(a); // unknown: no-op
  });

  it('adopts persisted records, skipping namespaces that are already gone', () => {
    const fs = fakeFs(['/var/run/netns/gone']);
    const holds = new NetnsHolds(fs, 1);
    expect(
      holds.adopt([rec('/var/run/netns/cni-1', 'eth1'), rec('/var/run/netns/gone', 'eth2', 'pod-b')]),
    ).toBe(1);
    expect(holds.path(rec('/var/run/netns/gone', 'eth2', 'pod-b'))).toBe('/var/run/netns/gone');
    expect(holds.path(rec('/var/run/netns/cni-1', 'eth1'))).toBe('/proc/1/fd/40');
  });
});
