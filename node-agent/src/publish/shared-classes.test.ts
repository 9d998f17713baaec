import { describe, expect, it } from '@jest/globals';
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import type { KubeEndpoint } from '../../../lib/kube/kube-endpoint.js';
import { captureLogger } from '../../../test/support/capture-logger.js';
import { ATTR } from '../inventory/attributes.js';
import { SharedClasses } from './shared-classes.js';
import type { SliceDevice } from './slice-builder.js';

const ndc = (name: string, spec: NetworkDeviceClass['spec']): NetworkDeviceClass => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkDeviceClass',
  metadata: { name },
  spec,
});
const stor: SliceDevice = {
  name: 'stor0',
  attributes: { [ATTR.ifName]: { string: 'stor0' }, [ATTR.linkSpeedMbps]: { int: 1000 } },
};

function setup(opts: { classes: NetworkDeviceClass[]; keep: boolean; fail?: boolean }) {
  const calls: string[] = [];
  let changes = 0;
  const { logger, entries } = captureLogger();
  const lines = (): string[] => entries.map((e) => JSON.stringify(e));
  const sc = new SharedClasses({
    kubeConfig: {} as KubeEndpoint,
    nodeName: 'node-a',
    driverName: 'knd.dev',
    logger,
    onChange: () => changes++,
    probeIntervalMs: 1000,
    client: {
      get: <T>(path: string): Promise<T> => {
        calls.push(`GET ${path}`);
        return opts.fail
          ? Promise.reject(new Error('connection refused'))
          : Promise.resolve({ items: opts.classes } as T);
      },
      create: <T>(path: string, body: unknown): Promise<T> => {
        calls.push(`POST ${path}`);
        const b = structuredClone(body) as { spec: { devices: Record<string, unknown>[] } };
        if (!opts.keep) for (const d of b.spec.devices) delete d['allowMultipleAllocations'];
        return Promise.resolve(b as T);
      },
    },
  });
  return { sc, calls, changes: () => changes, lines };
}

const shared = ndc('storage', {
  selector: { interfaceNames: ['stor*'] },
  shared: { maxChildren: 4, mode: 'vepa' },
});

describe('SharedClasses', () => {
  it('shares devices of a shared class once the apiserver is known to serve consumable capacity', async () => {
    const t = setup({ classes: [shared, ndc('whole', {})], keep: true });
    expect(t.sc.apply([stor])[0]?.allowMultipleAllocations).toBeUndefined(); // nothing known yet
    await t.sc.poll(0);
    expect(t.calls).toEqual([
      'GET /apis/knd.dev/v1alpha1/networkdeviceclasses',
      'POST /apis/resource.k8s.io/v1/resourceslices?dryRun=All',
    ]);
    expect(t.changes()).toBe(1);
    const [out] = t.sc.apply([stor]);
    expect(out?.allowMultipleAllocations).toBe(true);
    expect(t.sc.modeOf('stor0')).toBe('vepa');
    await t.sc.poll(500); // probe not due, nothing changed
    expect(t.calls).toHaveLength(3);
    expect(t.changes()).toBe(1);
  });

  it('publishes nothing as shared and says why when the apiserver drops the fields', async () => {
    const t = setup({ classes: [shared], keep: false });
    await t.sc.poll(0);
    expect(t.sc.apply([stor])[0]?.allowMultipleAllocations).toBeUndefined();
    expect(t.sc.modeOf('stor0')).toBeUndefined();
    expect(t.lines().join('\n')).toMatch(/does not serve DRA consumable capacity/);
  });

  it('does not probe without shared classes, and logs a failed list once', async () => {
    const t = setup({ classes: [ndc('whole', {})], keep: true });
    await t.sc.poll(0);
    expect(t.calls).toEqual(['GET /apis/knd.dev/v1alpha1/networkdeviceclasses']);
    const f = setup({ classes: [], keep: true, fail: true });
    await f.sc.poll(0);
    await f.sc.poll(1);
    expect(f.lines().filter((l) => l.includes('cannot list NetworkDeviceClasses'))).toHaveLength(1);
  });
});
