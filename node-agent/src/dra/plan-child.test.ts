import { describe, expect, it } from '@jest/globals';
import type { ChildPlan } from '../plan-store/plan.js';
import type { DeviceRequestAllocationResult, ResourceClaim } from './claim-types.js';
import { loadConfigValidator } from './opaque-config.js';
import { childPlanFor } from './plan-child.js';
import { findConflicts, planClaim, preparedDevices, type PlanInput } from './plan-claim.js';

const validator = await loadConfigValidator();
const base: DeviceRequestAllocationResult = {
  request: 'nic',
  driver: 'knd.dev',
  pool: 'node-a',
  device: 'stor0',
};
const SHARE = '3f0c6c1e-share-0001';

describe('childPlanFor', () => {
  it.each<
    [string, DeviceRequestAllocationResult, 'bridge' | 'private' | 'vepa' | undefined, ChildPlan | undefined]
  >([
    ['a whole-device allocation has no child', base, undefined, undefined],
    ['an empty shareID is no share', { ...base, shareID: '' }, undefined, undefined],
    [
      'a share: the consumed bandwidth becomes the egress limit, bridge by default',
      { ...base, shareID: SHARE, consumedCapacity: { bandwidth: '100M', children: '1' } },
      undefined,
      {
        kind: 'macvlan',
        mode: 'bridge',
        shareId: SHARE,
        egressBitsPerSecond: 100_000_000,
        consumedCapacity: { bandwidth: '100M', children: '1' },
      },
    ],
    [
      'the published mode; 2.5G in canonical form',
      { ...base, shareID: SHARE, consumedCapacity: { bandwidth: '2500M' } },
      'vepa',
      {
        kind: 'macvlan',
        mode: 'vepa',
        shareId: SHARE,
        egressBitsPerSecond: 2_500_000_000,
        consumedCapacity: { bandwidth: '2500M' },
      },
    ],
    [
      'a share without bandwidth is unlimited',
      { ...base, shareID: SHARE },
      'private',
      { kind: 'macvlan', mode: 'private', shareId: SHARE },
    ],
  ])('%s', (_n, r, mode, want) => {
    expect(childPlanFor(r, mode)).toEqual({ ok: true, value: want });
  });

  it.each<[string, string, RegExp]>([
    ['not a quantity', 'lots', /consumedCapacity.bandwidth: lots is not a quantity/],
    ['below 8000 bit/s', '1k', /consumedCapacity.bandwidth: 1k is below 8000 bit\/s/],
  ])('refuses a consumed bandwidth %s', (_n, bw, why) => {
    const r = childPlanFor({ ...base, shareID: SHARE, consumedCapacity: { bandwidth: bw } }, undefined);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(why);
  });
});

function sharedClaim(uid: string, results: DeviceRequestAllocationResult[]): ResourceClaim {
  return {
    metadata: { name: `c-${uid}`, namespace: 'default', uid },
    status: {
      allocation: { devices: { results, config: [] } },
      reservedFor: [{ resource: 'pods', name: 'p', uid: `pod-${uid}` }],
    },
  };
}

function input(uid: string, results: DeviceRequestAllocationResult[]): PlanInput {
  return {
    request: { namespace: 'default', name: `c-${uid}`, uid },
    claim: sharedClaim(uid, results),
    driverName: 'knd.dev',
    poolName: 'node-a',
    bootId: 'boot-1',
    nowIso: '2026-01-01T00:00:00.000Z',
    lookup: (n) => (n === 'stor0' ? { name: n, ifName: 'stor0', charDevices: [], present: true } : undefined),
    validator,
    sharedMode: () => 'bridge',
  };
}

describe('planClaim with shares of one device', () => {
  const share = (n: number): DeviceRequestAllocationResult => ({
    ...base,
    shareID: `share-${n}`,
    consumedCapacity: { bandwidth: '100M', children: '1' },
  });

  it('plans a child (the parent is the host link) and tells the kubelet the shareID', () => {
    const out = planClaim(input('u1', [share(1)]));
    if (!out.ok) throw new Error(out.error);
    expect(out.plan.devices[0]).toMatchObject({
      deviceName: 'stor0',
      host: { ifName: 'stor0' },
      podIfName: 'stor0',
      child: { kind: 'macvlan', mode: 'bridge', shareId: 'share-1', egressBitsPerSecond: 100_000_000 },
    });
    expect(preparedDevices(out.plan)).toEqual([
      {
        request_names: ['nic'],
        pool_name: 'node-a',
        device_name: 'stor0',
        cdi_device_ids: [expect.any(String)],
        share_id: 'share-1',
      },
    ]);
  });

  it('two claims sharing one device do not conflict; a whole-device plan still does', () => {
    const a = planClaim(input('u1', [share(1)]));
    const b = planClaim(input('u2', [share(2)]));
    const whole = planClaim(input('u3', [base]));
    const whole2 = planClaim(input('u4', [base]));
    if (!a.ok || !b.ok || !whole.ok || !whole2.ok) throw new Error('plans failed');
    expect(findConflicts(b.plan, [a.plan])).toEqual([]);
    expect(findConflicts(whole.plan, [a.plan])).toEqual([]);
    expect(findConflicts(whole2.plan, [whole.plan])).toHaveLength(1);
  });

  it('names the device and request of a bad consumed capacity', () => {
    const out = planClaim(input('u1', [{ ...share(1), consumedCapacity: { bandwidth: 'x' } }]));
    expect(out).toEqual({
      ok: false,
      error: expect.stringMatching(
        /claim default\/c-u1: device node-a\/stor0 \(request "nic"\): consumedCapacity.bandwidth: x is not a quantity/,
      ),
    });
  });
});
