import { describe, expect, it } from '@jest/globals';
import { Reason } from '../status/conditions.js';
import {
  ConsumableCapacityProbe,
  capacityRequestKept,
  probeTemplate,
  withSharedReadiness,
} from './consumable-capacity.js';
import { NONE, type Decision } from './decision.js';

const withoutCapacity = (t: unknown): unknown => {
  const c = structuredClone(t) as {
    spec: { spec: { devices: { requests: { exactly: Record<string, unknown> }[] } } };
  };
  for (const r of c.spec.spec.devices.requests) delete r.exactly['capacity'];
  return c;
};

describe('capacityRequestKept', () => {
  it.each<[string, unknown, boolean]>([
    ['returned as sent (1.36+, feature on)', probeTemplate('default'), true],
    ['capacity dropped (1.35, feature off)', withoutCapacity(probeTemplate('default')), false],
    ['no requests', { spec: { spec: { devices: {} } } }, false],
    ['not an object', 'x', false],
  ])('%s', (_n, returned, want) => {
    expect(capacityRequestKept(returned)).toBe(want);
  });
});

describe('withSharedReadiness', () => {
  const ok: Decision<string> = {
    action: NONE,
    ready: { ready: true, reason: Reason.Reconciled, message: 'fine' },
    generatedName: 'storage',
    counts: { devices: 2, nodes: 1 },
  };
  const shared = { spec: { shared: { maxChildren: 8 } } };
  it.each<[string, { spec: object }, boolean | undefined, string, boolean]>([
    ['a shared class where it is served', shared, true, Reason.Reconciled, true],
    ['a shared class where it is not served', shared, false, Reason.ConsumableCapacityUnavailable, false],
    ['a shared class before the probe answered', shared, undefined, Reason.ConsumableCapacityUnknown, false],
    ['a whole-NIC class where it is not served', { spec: {} }, false, Reason.Reconciled, true],
  ])('%s', (_n, ndc, served, reason, ready) => {
    const d = withSharedReadiness(ok, ndc, served);
    expect(d.ready).toMatchObject({ ready, reason });
    expect(d.action).toBe(ok.action);
  });

  it('says why in the message', () => {
    expect(withSharedReadiness(ok, shared, false).ready.message).toMatch(
      /needs DRA consumable capacity .*no device is published as shared/,
    );
  });

  it('keeps an earlier refusal', () => {
    const refused = { ...ok, ready: { ready: false, reason: Reason.InvalidSpec, message: 'bad' } };
    expect(withSharedReadiness(refused, shared, false)).toBe(refused);
  });
});

describe('ConsumableCapacityProbe', () => {
  it('dry-runs once per recheck period and answers unknown on a failed probe', async () => {
    const calls: string[] = [];
    let now = 0;
    let answer: 'kept' | 'dropped' | 'fail' = 'fail';
    const probe = new ConsumableCapacityProbe({
      namespace: 'default',
      recheckMs: 1000,
      nowMs: () => now,
      client: {
        create: <T>(path: string, body: unknown): Promise<T> => {
          calls.push(path);
          if (answer === 'fail') return Promise.reject(new Error('connection refused'));
          return Promise.resolve((answer === 'kept' ? body : withoutCapacity(body)) as T);
        },
      },
    });
    expect(await probe.served()).toBeUndefined();
    answer = 'dropped';
    expect(await probe.served()).toBe(false);
    answer = 'kept';
    expect(await probe.served()).toBe(false); // cached
    now = 1000;
    expect(await probe.served()).toBe(true);
    expect(calls).toEqual(
      Array(3).fill('/apis/resource.k8s.io/v1/namespaces/default/resourceclaimtemplates?dryRun=All'),
    );
  });
});
