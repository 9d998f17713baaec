import { describe, expect, it } from '@jest/globals';
import { PLAN_FORMAT_VERSION, type AttachPlan } from '../plan-store/plan.js';
import { PlanReservations } from './plan-reservations.js';

const plan = (uid: string): AttachPlan => ({
  formatVersion: PLAN_FORMAT_VERSION,
  claim: { uid, namespace: 'default', name: uid },
  bootId: 'boot-1',
  podUids: [],
  devices: [],
  preparedAt: '2026-01-01T00:00:00.000Z',
});

describe('PlanReservations', () => {
  it('holds a plan from reserve to settle, and wakes who waits for it', async () => {
    const r = new PlanReservations();
    const settle = r.reserve(plan('a'));
    expect([r.has('a'), r.plans().map((p) => p.claim.uid)]).toEqual([true, ['a']]);
    let woke = false;
    const waiting = r.settled('a').then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    settle();
    await waiting;
    expect([woke, r.has('a'), r.plans()]).toEqual([true, false, []]);
  });

  it('refuses a second reservation of one claim; settled() of an unreserved claim resolves at once', async () => {
    const r = new PlanReservations();
    r.reserve(plan('a'));
    expect(() => r.reserve(plan('a'))).toThrow('claim a is already being prepared');
    await expect(r.settled('b')).resolves.toBeUndefined();
  });

  it('a late settle of an old reservation does not end a newer one of the same claim', () => {
    const r = new PlanReservations();
    const first = r.reserve(plan('a'));
    first();
    r.reserve(plan('a'));
    first();
    expect(r.has('a')).toBe(true);
  });
});
