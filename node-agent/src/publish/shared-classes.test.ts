import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { NetworkDeviceClassSpec } from '../../../lib/api/network-device-class.js';
import { captureLogger } from '../../../test/support/capture-logger.js';
import type { ClassItem } from '../classes/class-list.js';
import { ATTR } from '../inventory/attributes.js';
import { SharedClasses } from './shared-classes.js';
import type { SliceDevice } from './slice-builder.js';

const ndc = (name: string, spec: NetworkDeviceClassSpec): ClassItem => ({ name, spec });
const stor: SliceDevice = {
  name: 'stor0',
  attributes: { [ATTR.ifName]: { string: 'stor0' }, [ATTR.linkSpeedMbps]: { int: 1000 } },
};
const PROBE = 'POST /apis/resource.k8s.io/v1/resourceslices?dryRun=All';

const started: SharedClasses[] = [];
afterEach(() => {
  for (const sc of started.splice(0)) sc.stop(); // the probe timers
  jest.useRealTimers();
});

/** keep: whether the fake apiserver keeps the shared fields; fail: whether the probe fails. */
function setup(opts: { keep: boolean; fail?: boolean }) {
  const calls: string[] = [];
  let changes = 0;
  let fail = opts.fail ?? false;
  const { logger, entries } = captureLogger();
  const lines = (): string[] => entries.map((e) => JSON.stringify(e));
  const sc = new SharedClasses({
    nodeName: 'node-a',
    driverName: 'knd.dev',
    logger,
    onChange: () => changes++,
    probeIntervalMs: 1000,
    probeRetryMs: 100,
    client: {
      create: <T>(path: string, body: unknown): Promise<T> => {
        calls.push(`POST ${path}`);
        if (fail) return Promise.reject(new Error('connection refused'));
        const b = structuredClone(body) as { spec: { devices: Record<string, unknown>[] } };
        if (!opts.keep) for (const d of b.spec.devices) delete d['allowMultipleAllocations'];
        return Promise.resolve(b as T);
      },
    },
  });
  started.push(sc);
  return {
    sc,
    calls,
    changes: () => changes,
    lines,
    heal: () => {
      fail = false;
    },
  };
}

const shared = ndc('storage', {
  selector: { interfaceNames: ['stor*'] },
  shared: { maxChildren: 4, mode: 'vepa' },
});

describe('SharedClasses', () => {
  it('shares devices of a shared class once the apiserver is known to serve consumable capacity', async () => {
    const t = setup({ keep: true });
    expect(t.sc.apply([stor])[0]?.allowMultipleAllocations).toBeUndefined(); // nothing known yet
    await t.sc.setClasses([shared, ndc('whole', {})], 0);
    expect(t.calls).toEqual([PROBE]);
    expect(t.changes()).toBe(1);
    const [out] = t.sc.apply([stor]);
    expect(out?.allowMultipleAllocations).toBe(true);
    expect(t.sc.modeOf('stor0')).toBe('vepa');
    await t.sc.setClasses([shared, ndc('whole', { selector: { rdma: true } })], 500); // probe not due
    await t.sc.probeTick(999);
    expect(t.calls).toHaveLength(1);
    expect(t.changes()).toBe(1); // the shared classes did not change
    await t.sc.probeTick(1000); // due: asked again
    expect(t.calls).toEqual([PROBE, PROBE]);
    expect(t.changes()).toBe(1);
    await t.sc.setClasses([ndc('whole', {})], 1100); // no shared class left
    expect(t.changes()).toBe(2);
    expect(t.sc.apply([stor])[0]?.allowMultipleAllocations).toBeUndefined();
    expect(t.sc.modeOf('stor0')).toBeUndefined();
  });

  it('publishes nothing as shared and says why when the apiserver drops the fields', async () => {
    const t = setup({ keep: false });
    await t.sc.setClasses([shared], 0);
    expect(t.sc.apply([stor])[0]?.allowMultipleAllocations).toBeUndefined();
    expect(t.sc.modeOf('stor0')).toBeUndefined();
    expect(t.lines().join('\n')).toMatch(/does not serve DRA consumable capacity/);
  });

  it('does not probe without shared classes', async () => {
    const t = setup({ keep: true });
    await t.sc.setClasses([ndc('whole', {})], 0);
    await t.sc.probeTick(5000);
    expect(t.calls).toEqual([]);
    expect(t.changes()).toBe(0);
  });

  it('retries a failed probe after probeRetryMs and logs the failure once', async () => {
    const t = setup({ keep: true, fail: true });
    await t.sc.setClasses([shared], 0);
    await t.sc.probeTick(50); // not due yet
    await t.sc.probeTick(100);
    expect(t.calls).toEqual([PROBE, PROBE]);
    expect(t.sc.apply([stor])[0]?.allowMultipleAllocations).toBeUndefined();
    expect(t.lines().filter((l) => l.includes('consumable-capacity probe failed'))).toHaveLength(1);
    // one change: the classes were taken; the failed probes changed nothing
    expect(t.changes()).toBe(1);
    t.heal();
    await t.sc.probeTick(200);
    expect(t.calls).toHaveLength(3);
    expect(t.changes()).toBe(2);
    expect(t.sc.apply([stor])[0]?.allowMultipleAllocations).toBe(true);
  });

  it('probes again on its own timer while a class is shared, and not after stop()', async () => {
    jest.useFakeTimers();
    const t = setup({ keep: true, fail: true });
    await t.sc.setClasses([shared]);
    expect(t.calls).toEqual([PROBE]);
    await jest.advanceTimersByTimeAsync(100); // probeRetryMs after the failure
    expect(t.calls).toHaveLength(2);
    t.heal();
    await jest.advanceTimersByTimeAsync(100);
    expect(t.calls).toHaveLength(3);
    expect(t.changes()).toBe(2); // the classes, then the served flag
    await jest.advanceTimersByTimeAsync(999); // probeIntervalMs after the answer
    expect(t.calls).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.calls).toHaveLength(4);
    await t.sc.setClasses([]); // no shared class: no timer
    await jest.advanceTimersByTimeAsync(5000);
    expect(t.calls).toHaveLength(4);
    await t.sc.setClasses([shared]); // shared again, the last answer is older than probeIntervalMs
    expect(t.calls).toHaveLength(5);
    t.sc.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(t.calls).toHaveLength(5);
  });

  it('logs a class that does not compile once and shares by the others', async () => {
    const t = setup({ keep: true });
    const bad = ndc('bad', { cel: ['device.attributes['], shared: { maxChildren: 1 } });
    await t.sc.setClasses([bad, shared], 0);
    await t.sc.setClasses([bad, shared, ndc('whole', {})], 10);
    expect(t.lines().filter((l) => /NetworkDeviceClass bad: selector \d+/.test(l))).toHaveLength(1);
    expect(t.sc.modeOf('stor0')).toBeUndefined(); // apply not called yet
    expect(t.sc.apply([stor])[0]?.allowMultipleAllocations).toBe(true);
  });
});
