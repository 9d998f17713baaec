import { describe, expect, it } from '@jest/globals';
import type { KubeRestClient } from '../../../lib/kube/rest-client.js';
import type { DeviceClass } from '../render/dra-objects.js';
import type { Decision } from './decision.js';
import { Executor, type SourceRef } from './executor.js';

/** A client whose status writes are pruned like an apiserver with an older CRD (no taintedDevices). */
function pruningClient() {
  const writes: string[] = [];
  const client = {
    apply: (path: string, body: { status?: Record<string, unknown> }) => {
      writes.push(path);
      const status = { ...(body.status ?? {}) };
      delete status['taintedDevices'];
      return Promise.resolve({ metadata: { name: 'nics', resourceVersion: String(writes.length) }, status });
    },
    create: () => Promise.resolve({}),
    delete: () => Promise.resolve({}),
  };
  return { client: client as unknown as KubeRestClient, writes };
}

const decision: Decision<DeviceClass> = {
  action: { kind: 'none' },
  ready: { ready: true, reason: 'Reconciled', message: 'ok' },
  generatedName: 'nics',
  counts: { devices: 2, nodes: 1 },
  taints: { taintedDevices: 1, unsupportedNodes: [] },
};

describe('Executor status writes', () => {
  it('does not write the same status again when the apiserver prunes a field (older CRD), but repairs other changes', async () => {
    const { client, writes } = pruningClient();
    const ex = new Executor(client, () => new Date('2026-12-07T10:00:00Z'));
    const src: SourceRef = {
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'NetworkDeviceClass',
      plural: 'networkdeviceclasses',
      name: 'nics',
      generation: 1,
    };
    const first = await ex.execute(src, decision, 'deviceClassName');
    expect(first.statusWritten).toBe(true);
    const live = (first.written[0] as { status?: SourceRef['status'] }).status;
    expect(live).not.toHaveProperty('taintedDevices');
    // the watch brings the pruned status back: no second write, however often it reconciles
    for (let i = 0; i < 3; i++)
      expect(
        (await ex.execute({ ...src, ...(live ? { status: live } : {}) }, decision, 'deviceClassName'))
          .statusWritten,
      ).toBe(false);
    expect(writes).toHaveLength(1);
    // someone edits the status: repaired
    const edited = { ...live, matchedDevices: 99 };
    expect((await ex.execute({ ...src, status: edited }, decision, 'deviceClassName')).statusWritten).toBe(
      true,
    );
    expect(writes).toHaveLength(2);
  });
});
