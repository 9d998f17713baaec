// Proves DRA works end to end in the harness, with no knd code involved: a fake Node, a DeviceClass,
// a ResourceSlice with two knd.dev devices for that node, and a Pod with a ResourceClaimTemplate ->
// the real resourceclaim controller (KCM) creates the claim, the real kube-scheduler allocates one of
// the two devices and binds the pod to the node.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, ResourceV1Api, type V1Pod, type ResourceV1ResourceClaim } from '@kubernetes/client-node';
import { createNamespaceReady, testKubeConfig, uniqueName, waitFor } from '../support/kube.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);

const node = uniqueName('dra-node');
const className = uniqueName('dra-class');
const ns = uniqueName('dra-ns');
const sliceName = `${node}-knd.dev`;

describe('DRA scheduling on the real control plane', () => {
  beforeAll(async () => {
    await createNamespaceReady(kc, ns);
    await core.createNode({
      body: {
        metadata: { name: node, labels: { 'kubernetes.io/hostname': node } },
        status: {
          capacity: { cpu: '4', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
          conditions: [
            { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake node for DRA tests' },
          ],
        },
      },
    });
    // the TaintNodesByCondition admission plugin taints every new Node not-ready; the node lifecycle
    // controller that would lift it is off in this harness, so clear it as a kubelet would
    const created = await core.readNode({ name: node });
    await core.replaceNode({ name: node, body: { ...created, spec: { ...created.spec, taints: [] } } });
    // status is a subresource: conditions/allocatable must be written there for the scheduler to see them
    await core.replaceNodeStatus({
      name: node,
      body: {
        ...(await core.readNode({ name: node })),
        status: {
          capacity: { cpu: '4', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'fake node for DRA tests',
              lastHeartbeatTime: new Date(),
              lastTransitionTime: new Date(),
            },
          ],
        },
      },
    });
    await resource.createDeviceClass({
      body: {
        metadata: { name: className },
        spec: { selectors: [{ cel: { expression: 'device.driver == "knd.dev"' } }] },
      },
    });
    await resource.createResourceSlice({
      body: {
        metadata: { name: sliceName },
        spec: {
          driver: 'knd.dev',
          nodeName: node,
          pool: { name: node, generation: 1, resourceSliceCount: 1 },
          devices: [
            { name: 'nic0', attributes: { ifName: { string: 'eth1' } } },
            { name: 'nic1', attributes: { ifName: { string: 'eth2' } } },
          ],
        },
      },
    });
    await resource.createNamespacedResourceClaimTemplate({
      namespace: ns,
      body: {
        metadata: { name: 'one-nic' },
        spec: { spec: { devices: { requests: [{ name: 'nic', exactly: { deviceClassName: className } }] } } },
      },
    });
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await resource.deleteResourceSlice({ name: sliceName }).catch(() => undefined);
    await resource.deleteDeviceClass({ name: className }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
  });

  it('creates the claim from the template, allocates a device and binds the pod', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'consumer' },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': node },
          resourceClaims: [{ name: 'net', resourceClaimTemplateName: 'one-nic' }],
          containers: [
            { name: 'c', image: 'localhost/busybox:local', resources: { claims: [{ name: 'net' }] } },
          ],
        },
      },
    });

    const pod = await waitFor<V1Pod>('the pod to be bound to the fake node', async () => {
      const p = await core.readNamespacedPod({ name: 'consumer', namespace: ns });
      return p.spec?.nodeName ? p : undefined;
    });
    expect(pod.spec?.nodeName).toBe(node);

    const claimName = pod.status?.resourceClaimStatuses?.[0]?.resourceClaimName;
    expect(claimName).toBeTruthy();
    const claim = await waitFor<ResourceV1ResourceClaim>('the claim to be allocated', async () => {
      const c = await resource.readNamespacedResourceClaim({ name: String(claimName), namespace: ns });
      return c.status?.allocation ? c : undefined;
    });
    const results = claim.status?.allocation?.devices?.results ?? [];
    expect(results).toHaveLength(1);
    expect(results[0]?.driver).toBe('knd.dev');
    expect(results[0]?.pool).toBe(node);
    expect(['nic0', 'nic1']).toContain(results[0]?.device);
    expect(claim.status?.reservedFor).toHaveLength(1);
    expect(claim.status?.reservedFor?.[0]?.name).toBe('consumer');
    // the claim was generated by the resourceclaim controller and is owned by the pod
    expect(claim.metadata?.ownerReferences?.[0]?.kind).toBe('Pod');
  });
});
