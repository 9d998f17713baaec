import { describe, it, expect } from '@jest/globals';
import { LeaderElector } from './leader-election.js';
import { KubeApiError, type KubeRestClient } from './rest-client.js';

/** In-memory Lease store with the apiserver's optimistic concurrency (resourceVersion). */
function fakeApi() {
  let lease: { metadata: { resourceVersion: string }; spec: Record<string, unknown> } | undefined;
  let rv = 0;
  const api = {
    get: (): Promise<unknown> =>
      lease
        ? Promise.resolve(structuredClone(lease))
        : Promise.reject(new KubeApiError(404, 'NotFound', 'not found')),
    create: (_p: string, body: { spec: Record<string, unknown> }): Promise<unknown> => {
      if (lease) return Promise.reject(new KubeApiError(409, 'AlreadyExists', 'exists'));
      lease = { metadata: { resourceVersion: String(++rv) }, spec: structuredClone(body.spec) };
      return Promise.resolve(structuredClone(lease));
    },
    update: (
      _p: string,
      body: { metadata: { resourceVersion: string }; spec: Record<string, unknown> },
    ): Promise<unknown> => {
      if (!lease || body.metadata.resourceVersion !== lease.metadata.resourceVersion) {
        return Promise.reject(new KubeApiError(409, 'Conflict', 'conflict'));
      }
      lease = { metadata: { resourceVersion: String(++rv) }, spec: structuredClone(body.spec) };
      return Promise.resolve(structuredClone(lease));
    },
    holder: () => lease?.spec['holderIdentity'],
  };
  return api;
}

function elector(api: ReturnType<typeof fakeApi>, identity: string, clock: { t: number }) {
  return new LeaderElector(api as unknown as KubeRestClient, {
    namespace: 'kube-system',
    name: 'knd-operator',
    identity,
    leaseDurationMs: 15_000,
    onStartedLeading: () => undefined,
    onStoppedLeading: () => undefined,
    now: () => clock.t,
  });
}

describe('LeaderElector.tryAcquireOrRenew', () => {
  it('first candidate creates the Lease; a second waits until it has not changed for the lease duration', async () => {
    const api = fakeApi();
    const clock = { t: 1_000_000 };
    const a = elector(api, 'a', clock);
    const b = elector(api, 'b', clock);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.t += 10_000;
    expect(await a.tryAcquireOrRenew()).toBe(true); // renew changes renewTime
    clock.t += 10_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // b saw a change 0 s ago
    clock.t += 14_999;
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.t += 1;
    expect(await b.tryAcquireOrRenew()).toBe(true); // a stopped renewing 15 s ago (b's clock)
    expect(api.holder()).toBe('b');
    expect(await a.tryAcquireOrRenew()).toBe(false);
  });

  it('a released Lease (no holder) is taken at once', async () => {
    const api = fakeApi();
    const clock = { t: 5_000 };
    const a = elector(api, 'a', clock);
    const b = elector(api, 'b', clock);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    (a as unknown as { leading: boolean }).leading = true;
    await a.stop();
    expect(api.holder()).toBeNull();
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('two candidates racing for an expired Lease: exactly one wins', async () => {
    const api = fakeApi();
    const clock = { t: 0 };
    expect(await elector(api, 'old', clock).tryAcquireOrRenew()).toBe(true);
    const a = elector(api, 'a', clock);
    const b = elector(api, 'b', clock);
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    clock.t += 20_000;
    const results = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
