import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../lib/util/logger.js';
import type { DevicePlan } from '../plan-store/plan.js';
import type { ClaimStatusPatch } from './device-status.js';
import type { ClaimStatusApi, PodEvent } from './status-api.js';
import { ClaimStatusWriter } from './status-writer.js';
import { sampleDevice } from '../../../test/support/sample-plan.js';

class FakeApi implements ClaimStatusApi {
  readonly applied: ClaimStatusPatch[] = [];
  readonly events: PodEvent[] = [];
  failures: Error[] = [];
  gate: Promise<void> = Promise.resolve();
  async writeClaimStatus(body: ClaimStatusPatch): Promise<void> {
    await this.gate;
    const f = this.failures.shift();
    if (f !== undefined) throw f;
    this.applied.push(body);
  }
  createPodEvent(event: PodEvent): Promise<void> {
    this.events.push(event);
    return Promise.resolve();
  }
}

const claim = { namespace: 'ns', name: 'c1', uid: 'u1' };
const pod = { namespace: 'ns', name: 'p', uid: 'pu' };
const device: DevicePlan = sampleDevice({ poolName: 'pool', deviceName: 'd0', addresses: [] });
const rec = {
  claimUid: 'u1',
  podUid: 'pu',
  deviceName: 'd0',
  netnsPath: '/ns',
  podIfName: 'net1',
  host: { ifName: 'eth1', mtu: 1500, mac: '', up: true, addresses: [], routes: [] },
  result: { ifName: 'net1', mac: '02:00:00:00:00:01', addresses: ['198.51.100.2/24'] },
};

function writer(api: FakeApi, sleeps: number[] = []) {
  return new ClaimStatusWriter({
    api,
    logger: silentLogger(),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    initialDelayMs: 100,
    maxDelayMs: 400,
    maxAttempts: 4,
    random: () => 1,
  });
}

describe('ClaimStatusWriter', () => {
  it('prepareFailed writes Ready=False on each device and no Event (the kubelet reports prepare errors)', async () => {
    const api = new FakeApi();
    const w = writer(api);
    w.prepareFailed(claim, [{ poolName: 'node-a', deviceName: 'd0' }], 'AddressPoolExhausted', 'pool full');
    await w.drain();
    expect(api.events).toEqual([]);
    expect(api.applied).toHaveLength(1);
    const entry = JSON.stringify(api.applied[0]);
    expect(entry).toContain('"device":"d0"');
    expect(entry).toContain('"status":"False"');
    expect(entry).toContain('"reason":"AddressPoolExhausted"');
    expect(entry).toContain('"message":"pool full"');
  });

  it('returns at once and applies in the background', async () => {
    const api = new FakeApi();
    let open: () => void = () => undefined;
    api.gate = new Promise((r) => (open = r));
    const w = writer(api);
    w.attached(claim, pod, [{ device, record: rec }]);
    expect(api.applied).toHaveLength(0);
    open();
    await w.drain();
    expect(api.applied[0]?.status.devices[0]?.conditions[0]?.status).toBe('True');
  });

  it('writes Ready=False and a Warning event on the pod for a failure', async () => {
    const api = new FakeApi();
    const w = writer(api);
    w.failed(claim, pod, [device], 'AttachFailed', 'link eth1 not found');
    await w.drain();
    expect(api.applied[0]?.status.devices[0]?.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'AttachFailed',
    });
    expect(api.events).toEqual([
      { pod, type: 'Warning', reason: 'AttachFailed', message: 'claim ns/c1: link eth1 not found' },
    ]);
  });

  it('retries retriable failures with backoff', async () => {
    const api = new FakeApi();
    api.failures = [new Error('ECONNREFUSED'), Object.assign(new Error('503'), { code: 503 })];
    const sleeps: number[] = [];
    const w = writer(api, sleeps);
    w.attached(claim, pod, [{ device, record: rec }]);
    await w.drain();
    expect(sleeps).toEqual([100, 200]);
    expect(api.applied).toHaveLength(1);
    expect(w.stats).toMatchObject({ applied: 1, retries: 2 });
  });

  it('gives up at once on a non-retriable 4xx and after maxAttempts otherwise', async () => {
    const api = new FakeApi();
    api.failures = [Object.assign(new Error('422'), { code: 422 })];
    const w = writer(api);
    w.attached(claim, pod, [{ device, record: rec }]);
    await w.drain();
    expect(w.stats).toMatchObject({ applied: 0, dropped: 1, retries: 0 });
    api.failures = [1, 2, 3, 4].map(() => new Error('down'));
    w.attached(claim, pod, [{ device, record: rec }]);
    await w.drain();
    expect(w.stats).toMatchObject({ applied: 0, dropped: 2, retries: 3 });
  });

  it('never writes an older status of a claim after a newer one', async () => {
    const api = new FakeApi();
    let open: () => void = () => undefined;
    api.gate = new Promise((r) => (open = r));
    const w = writer(api);
    w.failed(claim, pod, [device], 'AttachFailed', 'first try failed'); // in flight (gated)
    w.failed(claim, pod, [device], 'AttachFailed', 'second try failed'); // superseded while queued
    w.attached(claim, pod, [{ device, record: rec }]);
    open();
    await w.drain();
    const forClaim = api.applied.filter((b) => b.metadata.name === 'c1');
    expect(forClaim.map((b) => b.status.devices[0]?.conditions[0]?.message)).toEqual([
      'first try failed',
      'attached as net1 in pod ns/p',
    ]);
    expect(w.stats.superseded).toBe(1);
  });

  it('a newer status replaces one that is backing off, and takes its remaining tries', async () => {
    const api = new FakeApi();
    api.failures = [new Error('ECONNRESET')];
    const waits: (() => void)[] = [];
    const w = new ClaimStatusWriter({
      api,
      logger: silentLogger(),
      sleep: () => new Promise<void>((r) => waits.push(r)),
      random: () => 1,
    });
    w.failed(claim, pod, [device], 'AttachFailed', 'old');
    await until(() => waits.length === 1);
    w.attached(claim, pod, [{ device, record: rec }]);
    waits[0]?.();
    await w.drain();
    expect(api.applied.map((b) => b.status.devices[0]?.conditions[0]?.status)).toEqual(['True']);
    expect(w.stats).toMatchObject({ applied: 1, superseded: 1, retries: 1 });
  });

  it('one claim failing again and again does not delay the others', async () => {
    const api = new FakeApi();
    const broken = 'c-broken';
    const calls: string[] = [];
    api.writeClaimStatus = (body) => {
      calls.push(body.metadata.name);
      if (body.metadata.name === broken) {
        return Promise.reject(Object.assign(new Error('etcdserver: request timed out'), { code: 500 }));
      }
      api.applied.push(body);
      return Promise.resolve();
    };
    // backoff waits only end when the test says so: the broken claim stays in backoff meanwhile
    const waits: { ms: number; done: () => void }[] = [];
    const w = new ClaimStatusWriter({
      api,
      logger: silentLogger(),
      sleep: (ms) => new Promise<void>((done) => waits.push({ ms, done })),
      random: () => 1,
      initialDelayMs: 100,
      maxDelayMs: 1000,
      maxAttempts: 5,
    });
    w.attached({ ...claim, name: broken, uid: 'ub' }, pod, [{ device, record: rec }]);
    w.attached({ ...claim, name: 'c2', uid: 'u2' }, pod, [{ device, record: rec }]);
    w.failed({ ...claim, name: 'c3', uid: 'u3' }, pod, [device], 'AttachFailed', 'x');
    await until(() => api.applied.length === 2 && api.events.length === 1 && waits.length === 1);
    expect(api.applied.map((b) => b.metadata.name).sort()).toEqual(['c2', 'c3']);
    expect(waits.map((x) => x.ms)).toEqual([100]); // the broken claim waits alone

    // while the broken claim is backing off, a new claim's status is written at once
    waits.shift()?.done();
    await until(() => waits.length === 1);
    w.attached({ ...claim, name: 'c4', uid: 'u4' }, pod, [{ device, record: rec }]);
    await until(() => api.applied.length === 3);
    expect(api.applied[2]?.metadata.name).toBe('c4');

    // the broken claim keeps its own backoff and is dropped after maxAttempts
    while (waits.length > 0 || w.pending > 0) {
      waits.shift()?.done();
      await tick();
    }
    await w.drain();
    expect(calls.filter((n) => n === broken)).toHaveLength(5);
    expect(w.stats).toMatchObject({ applied: 3, events: 1, dropped: 1, retries: 4 });
  });
});

async function tick(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

/** Waits (event-loop turns, no timers) until cond holds; fails after 200 turns. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error('condition not reached');
}
