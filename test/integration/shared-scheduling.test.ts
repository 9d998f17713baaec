// Shared devices on the real control plane, with knd's own rendering and no node. Where the
// apiserver serves consumable capacity (1.36+, on by default): a fake Node, the ResourceSlice the agent builds for one
// shared NIC (allowMultipleAllocations, bandwidth 1000M and 8 children with request policies),
// the DeviceClass and ResourceClaimTemplate the operator renders from a shared class and a 100
// Mbit/s profile. The real scheduler places 8 pods on the one NIC, each with its own shareID and
// 100M + 1 child consumed; the 9th stays Pending with the scheduler's reason. The agent plans
// each allocation as a child with a 100 Mbit/s egress limit. Where it does not (1.35, the compat
// run): the stored slice lost allowMultipleAllocations, the operator's probe says so, the shared
// class is Ready=False (ConsumableCapacityUnavailable) and the agent publishes the device whole.
// Which case holds is read from what the apiserver stored, never from a version string.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { NetworkDeviceClass } from '../../lib/api/network-device-class.js';
import type { NetworkProfile } from '../../lib/api/network-profile.js';
import { loadConfigValidator } from '../../node-agent/src/dra/opaque-config.js';
import type { ResourceClaim } from '../../node-agent/src/dra/claim-types.js';
import { planClaim } from '../../node-agent/src/dra/plan-claim.js';
import { ATTR } from '../../node-agent/src/inventory/attributes.js';
import { sharedFieldsKept } from '../../node-agent/src/publish/shared-capacity.js';
import {
  applySharedClasses,
  compileSharedClass,
  type SharedClassView,
} from '../../node-agent/src/publish/shared-devices.js';
import { buildSlices } from '../../node-agent/src/publish/slice-builder.js';
import {
  ConsumableCapacityProbe,
  withSharedReadiness,
} from '../../operator/src/reconcile/consumable-capacity.js';
import { NONE } from '../../operator/src/reconcile/decision.js';
import { Reason } from '../../operator/src/status/conditions.js';
import { renderClaimTemplate } from '../../operator/src/render/claim-template.js';
import { renderDeviceClass } from '../../operator/src/render/device-class.js';
import {
  createFakeNode,
  createNamespaceReady,
  testKubeConfig,
  uniqueName,
  waitFor,
} from '../support/kube.js';
import { restClient } from './publish-helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const rest = restClient(kc);

const node = uniqueName('shr-node');
const className = uniqueName('shr-class');
const ns = uniqueName('shr-ns');
const sliceName = `${node}-knd.dev-0`;
const PODS = 8;
/** Whether this apiserver serves consumable capacity (kept allowMultipleAllocations on write). */
let served = false;
let sharedClass: SharedClassView;

const ndc: NetworkDeviceClass = {
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkDeviceClass',
  metadata: { name: className },
  spec: {
    selector: { interfaceNames: ['stor*'] },
    shared: { maxChildren: PODS, bandwidthMbps: 1000, minShareMbps: 10 },
  },
};
const profile: NetworkProfile = {
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkProfile',
  metadata: { name: 'storage-100m', namespace: ns },
  spec: { deviceClassName: className, share: { bandwidthMbps: 100 } },
};

function pod(name: string): V1Pod {
  return {
    metadata: { name },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      resourceClaims: [{ name: 'net', resourceClaimTemplateName: profile.metadata.name }],
      containers: [{ name: 'c', image: 'localhost/busybox:local', resources: { claims: [{ name: 'net' }] } }],
    },
  };
}

interface LiveClaim extends ResourceClaim {
  metadata: { name: string; namespace: string; uid: string };
}

describe('shared NIC: consumable capacity with the real scheduler', () => {
  beforeAll(async () => {
    await createNamespaceReady(kc, ns);
    await createFakeNode(core, node);
    const cls = compileSharedClass(ndc);
    if (!cls.ok || cls.value === undefined) throw new Error('the shared class did not compile');
    const { devices, notes } = applySharedClasses(
      [
        {
          name: 'stor0',
          attributes: { [ATTR.ifName]: { string: 'stor0' }, [ATTR.linkSpeedMbps]: { int: 10_000 } },
        },
      ],
      [cls.value],
      true,
    );
    expect(notes).toEqual([]);
    const [slice] = buildSlices({ driverName: 'knd.dev', nodeName: node, generation: 1, devices });
    const stored = await rest.create<{ spec: { devices: Record<string, unknown>[] } }>(
      '/apis/resource.k8s.io/v1/resourceslices',
      slice,
    );
    const sent = devices[0];
    if (sent?.allowMultipleAllocations === undefined || sent.capacity === undefined)
      throw new Error('not shared');
    served = sharedFieldsKept(
      { allowMultipleAllocations: true, capacity: sent.capacity },
      stored.spec.devices[0] ?? {},
    );
    sharedClass = cls.value;
    await rest.create('/apis/resource.k8s.io/v1/deviceclasses', renderDeviceClass(ndc));
    await rest.create(
      `/apis/resource.k8s.io/v1/namespaces/${ns}/resourceclaimtemplates`,
      renderClaimTemplate(profile),
    );
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await rest.delete(`/apis/resource.k8s.io/v1/resourceslices/${sliceName}`).catch(() => undefined);
    await rest.delete(`/apis/resource.k8s.io/v1/deviceclasses/${className}`).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
  });

  it('the operator and the agent agree with what the apiserver stored', async () => {
    expect(await new ConsumableCapacityProbe({ client: rest, namespace: ns }).served()).toBe(served);
    const ready = withSharedReadiness(
      {
        action: NONE,
        ready: { ready: true, reason: Reason.Reconciled, message: '' },
        generatedName: className,
        counts: { devices: 1, nodes: 1 },
      },
      ndc,
      served,
    ).ready;
    expect(ready).toMatchObject(
      served ? { ready: true } : { ready: false, reason: Reason.ConsumableCapacityUnavailable },
    );
    const published = applySharedClasses(
      [
        {
          name: 'stor0',
          attributes: { [ATTR.ifName]: { string: 'stor0' }, [ATTR.linkSpeedMbps]: { int: 10_000 } },
        },
      ],
      [sharedClass],
      served,
    ).devices[0];
    expect(published?.allowMultipleAllocations).toBe(served ? true : undefined);
  });

  it(`where served: places ${PODS} pods on one NIC, each with its own share, and leaves the next one Pending`, async () => {
    if (!served) {
      // the fallback was asserted above; nothing here can be placed as a share
      expect(served).toBe(false);
      return;
    }
    for (let i = 0; i < PODS; i++) await core.createNamespacedPod({ namespace: ns, body: pod(`p${i}`) });
    const claims = await waitFor<LiveClaim[]>(
      `${PODS} claims allocated`,
      async () => {
        const list = await rest.get<{ items: LiveClaim[] }>(
          `/apis/resource.k8s.io/v1/namespaces/${ns}/resourceclaims`,
        );
        const done = list.items.filter((c) => c.status?.allocation !== undefined);
        return done.length === PODS ? done : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const results = claims.map((c) => c.status?.allocation?.devices?.results?.[0]);
    expect(new Set(results.map((r) => r?.device))).toEqual(new Set(['stor0']));
    expect(new Set(results.map((r) => r?.shareID)).size).toBe(PODS);
    for (const r of results) expect(r?.consumedCapacity).toEqual({ bandwidth: '100M', children: '1' });

    await core.createNamespacedPod({ namespace: ns, body: pod('over') });
    const why = await waitFor<string>(
      'the 9th pod to be reported unschedulable',
      async () => {
        const p = await core.readNamespacedPod({ name: 'over', namespace: ns });
        const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
        return c?.reason === 'Unschedulable' ? (c.message ?? '') : undefined;
      },
      { timeoutMs: 60_000 },
    );
    process.stdout.write(`9th pod: ${why}\n`);
    expect(why).toMatch(/cannot allocate all claims|resourceclaim/i);
    const over = await core.readNamespacedPod({ name: 'over', namespace: ns });
    expect(over.spec?.nodeName).toBeUndefined();

    // what prepare would plan on the node: a child per share with the 100 Mbit/s egress limit
    const validator = await loadConfigValidator();
    for (const c of claims) {
      const plan = planClaim({
        request: { namespace: ns, name: c.metadata.name, uid: c.metadata.uid },
        claim: c,
        driverName: 'knd.dev',
        poolName: node,
        bootId: 'b',
        nowIso: new Date().toISOString(),
        lookup: (n) => ({ name: n, ifName: 'stor0', charDevices: [], present: true }),
        validator,
      });
      if (!plan.ok) throw new Error(plan.error);
      expect(plan.plan.devices[0]?.child).toMatchObject({
        kind: 'macvlan',
        mode: 'bridge',
        egressBitsPerSecond: 100_000_000,
      });
    }
  });
});
