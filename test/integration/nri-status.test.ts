/**
 * KEP-4817 claim status against the real control plane: the status writer's read + merge patch of
 * resourceclaims/status (Ready=True with networkData; Ready=False with reason and message) and the
 * Warning Event on the pod, read back through the API and through `kubectl describe
 * resourceclaim`; and the same write, plus the agent's claim GET, as a ServiceAccount holding only
 * the chart's agent ClusterRole (resourceclaims get, no list/watch). Needs the control plane from
 * the jest global setup (KND_KUBECONFIG); helm from test/cluster/build.sh for the chart render.
 */

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, ResourceV1Api } from '@kubernetes/client-node';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { KubeRestClient } from '../../lib/kube/rest-client.js';
import { kubeClaimReader } from '../../node-agent/src/dra/claim-reader.js';
import { silentLogger } from '../../lib/util/logger.js';
import type { AttachRecord } from '../../node-agent/src/netns/contract.js';
import type { DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { kubeStatusApi } from '../../node-agent/src/status/kube-status-api.js';
import { cachedBinary } from '../support/versions.js';
import { waitFor } from '../support/kube.js';
import { ClaimStatusWriter } from '../../node-agent/src/status/status-writer.js';
import { sampleDevice } from '../support/sample-plan.js';

const pexec = promisify(execFile);

function kubeconfigPath(): string {
  const file = process.env.KND_KUBECONFIG;
  if (file === undefined || file === '') {
    throw new Error(
      'KND_KUBECONFIG is not set: the jest global setup (test/support/global-setup.ts) did not run',
    );
  }
  return file;
}

/** The agent ClusterRole's rules exactly as the chart renders them. */
async function chartAgentRules(): Promise<V1PolicyRule[]> {
  const helm = cachedBinary('helm', 'helm');
  if (!existsSync(helm)) throw new Error(`helm not found at ${helm}: run test/cluster/build.sh helm`);
  const chart = join(import.meta.dirname, '..', '..', 'charts', 'knd');
  const { stdout } = await pexec(helm, [
    'template',
    'knd',
    chart,
    '--kube-version',
    '1.35.4',
    '--show-only',
    'templates/agent-clusterrole.yaml',
  ]);
  const role = load(stdout) as { kind?: string; rules?: V1PolicyRule[] };
  if (role.kind !== 'ClusterRole' || !role.rules) throw new Error(`unexpected render:\n${stdout}`);
  return role.rules;
}

function kubectlPath(): string {
  const p = cachedBinary('kube', 'kubectl');
  if (!existsSync(p)) throw new Error(`kubectl not found at ${p}: run test/cluster/build.sh`);
  return p;
}

const suffix = randomBytes(3).toString('hex');
const NS = `knd-nri-status-${suffix}`;
const NODE = `knd-nri-status-node-${suffix}`;

function device(name: string): DevicePlan {
  return sampleDevice({ poolName: NODE, deviceName: name, host: { ifName: name }, addresses: [] });
}

function record(claimUid: string, podUid: string, deviceName: string, addresses: string[]): AttachRecord {
  return {
    claimUid,
    podUid,
    deviceName,
    netnsPath: '/var/run/netns/test',
    podIfName: 'net1',
    host: { ifName: deviceName, mtu: 1500, mac: '02:00:00:00:00:09', up: true, addresses: [], routes: [] },
    result: { ifName: 'net1', mac: '02:42:AC:11:00:02', addresses },
  };
}

describe('KEP-4817 claim status on the real API server', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let resource: ResourceV1Api;
  let writer: ClaimStatusWriter;

  beforeAll(async () => {
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    core = kc.makeApiClient(CoreV1Api);
    resource = kc.makeApiClient(ResourceV1Api);
    writer = new ClaimStatusWriter({
      api: kubeStatusApi({ kubeConfig: kc, nodeName: NODE }),
      logger: silentLogger(),
    });
    await core.createNamespace({ body: { metadata: { name: NS } } });
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: NS }).catch(() => undefined);
    await core.deleteNode({ name: NODE }).catch(() => undefined);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.deleteClusterRoleBinding({ name: NS }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: NS }).catch(() => undefined);
  });

  /** A claim allocated to two devices of this driver (allocation written as the scheduler would). */
  async function allocatedClaim(
    name: string,
    devices: string[],
    extra: { parameters?: object; otherDriverDevice?: string } = {},
  ) {
    const config =
      extra.parameters === undefined
        ? undefined
        : [{ requests: ['nic'], opaque: { driver: 'knd.dev', parameters: extra.parameters } }];
    const other = extra.otherDriverDevice;
    const claim = await resource.createNamespacedResourceClaim({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          devices: {
            requests: [
              {
                name: 'nic',
                exactly: { deviceClassName: 'knd-test', allocationMode: 'ExactCount', count: devices.length },
              },
              ...(other === undefined
                ? []
                : [
                    {
                      name: 'gpu',
                      exactly: { deviceClassName: 'other-test', allocationMode: 'ExactCount', count: 1 },
                    },
                  ]),
            ],
            ...(config === undefined ? {} : { config }),
          },
        },
      },
    });
    claim.status = {
      allocation: {
        devices: {
          results: [
            ...devices.map((d) => ({ request: 'nic', driver: 'knd.dev', pool: NODE, device: d })),
            ...(other === undefined
              ? []
              : [{ request: 'gpu', driver: 'gpu.example.com', pool: NODE, device: other }]),
          ],
          ...(config === undefined ? {} : { config: config.map((c) => ({ ...c, source: 'FromClaim' })) }),
        },
        nodeSelector: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [NODE] }] }],
        },
      },
      ...(other === undefined
        ? {}
        : {
            devices: [
              {
                driver: 'gpu.example.com',
                pool: NODE,
                device: other,
                conditions: [
                  {
                    type: 'Ready',
                    status: 'True',
                    reason: 'GpuReady',
                    message: 'written by another driver',
                    lastTransitionTime: new Date('2026-01-01T00:00:00Z'),
                  },
                ],
              },
            ],
          }),
    };
    return resource.replaceNamespacedResourceClaimStatus({ name, namespace: NS, body: claim });
  }

  async function pod(name: string, serviceAccountName?: string) {
    return core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          nodeName: NODE,
          containers: [{ name: 'c', image: 'localhost/busybox:local' }],
          ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
        },
      },
    });
  }

  it('writes Ready=True with canonical networkData, shown by kubectl describe', async () => {
    const claim = await allocatedClaim('ok', ['eth1', 'eth2']);
    const p = await pod('ok-pod');
    const claimRef = { namespace: NS, name: 'ok', uid: claim.metadata?.uid ?? '' };
    const podRef = { namespace: NS, name: 'ok-pod', uid: p.metadata?.uid ?? '' };
    writer.attached(claimRef, podRef, [
      {
        device: device('eth1'),
        record: record(claimRef.uid, podRef.uid, 'eth1', ['198.51.100.10/24', '2001:DB8:0:0::A/64']),
      },
      { device: device('eth2'), record: record(claimRef.uid, podRef.uid, 'eth2', ['203.0.113.5/24']) },
    ]);
    await writer.drain();
    expect(writer.stats.dropped).toBe(0);
    const got = await resource.readNamespacedResourceClaimStatus({ name: 'ok', namespace: NS });
    const devices = got.status?.devices ?? [];
    expect(
      devices.map((d) => [d.driver, d.pool, d.device, d.conditions?.[0]?.type, d.conditions?.[0]?.status]),
    ).toEqual([
      ['knd.dev', NODE, 'eth1', 'Ready', 'True'],
      ['knd.dev', NODE, 'eth2', 'Ready', 'True'],
    ]);
    expect(devices[0]?.networkData).toEqual({
      interfaceName: 'net1',
      ips: ['198.51.100.10/24', '2001:db8::a/64'],
      hardwareAddress: '02:42:ac:11:00:02',
    });
    const managers = (got.metadata?.managedFields ?? []).map((m) => [m.manager, m.operation, m.subresource]);
    expect(managers).toContainEqual(['knd-agent', 'Update', 'status']);
    const { stdout } = await pexec(kubectlPath(), [
      '--kubeconfig',
      kubeconfigPath(),
      '-n',
      NS,
      'describe',
      'resourceclaim',
      'ok',
    ]);
    expect(stdout).toMatch(/Network Data:/);
    expect(stdout).toMatch(/Interface Name:\s+net1/);
    expect(stdout).toMatch(/198\.51\.100\.10\/24/);
    expect(stdout).toMatch(/Hardware Address:\s+02:42:ac:11:00:02/);
    expect(stdout).toMatch(/NetworkDeviceAttached/);
  });

  it('writes Ready=False with reason and message and a Warning event on the pod; a later success replaces it', async () => {
    const claim = await allocatedClaim('bad', ['eth3']);
    const p = await pod('bad-pod');
    const claimRef = { namespace: NS, name: 'bad', uid: claim.metadata?.uid ?? '' };
    const podRef = { namespace: NS, name: 'bad-pod', uid: p.metadata?.uid ?? '' };
    writer.failed(claimRef, podRef, [device('eth3')], 'AttachFailed', 'attach eth3: link not found');
    await writer.drain();
    const got = await resource.readNamespacedResourceClaimStatus({ name: 'bad', namespace: NS });
    expect(got.status?.devices?.[0]?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'AttachFailed',
      message: 'attach eth3: link not found',
    });
    const events = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.uid=${podRef.uid}`,
    });
    expect(events.items.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'AttachFailed', 'claim ' + NS + '/bad: attach eth3: link not found'],
    ]);
    const { stdout } = await pexec(kubectlPath(), [
      '--kubeconfig',
      kubeconfigPath(),
      '-n',
      NS,
      'describe',
      'resourceclaim',
      'bad',
    ]);
    expect(stdout).toMatch(/AttachFailed/);

    writer.attached(claimRef, podRef, [
      { device: device('eth3'), record: record(claimRef.uid, podRef.uid, 'eth3', ['198.51.100.11/24']) },
    ]);
    await writer.drain();
    const after = await resource.readNamespacedResourceClaimStatus({ name: 'bad', namespace: NS });
    expect(after.status?.devices?.map((d) => d.conditions?.map((c) => c.status))).toEqual([['True']]);
  });

  it("writes status when the opaque config is not in sorted key order, keeping another driver's entry (server-side apply fails there)", async () => {
    // Keys deliberately unsorted: SSA re-serialises status.allocation's RawExtension sorted and the
    // apiserver rejects that as an immutable-field change; the merge patch leaves it alone.
    const parameters = {
      kind: 'NetworkConfig',
      apiVersion: 'knd.dev/v1alpha1',
      interface: { name: 'net1', mtu: 9000 },
    };
    const claim = await allocatedClaim('unsorted', ['eth5'], { parameters, otherDriverDevice: 'gpu0' });
    const p = await pod('unsorted-pod');
    const claimRef = { namespace: NS, name: 'unsorted', uid: claim.metadata?.uid ?? '' };
    const podRef = { namespace: NS, name: 'unsorted-pod', uid: p.metadata?.uid ?? '' };
    const dropped = writer.stats.dropped;
    writer.attached(claimRef, podRef, [
      { device: device('eth5'), record: record(claimRef.uid, podRef.uid, 'eth5', ['198.51.100.13/24']) },
    ]);
    await writer.drain();
    expect(writer.stats.dropped).toBe(dropped);
    const got = await resource.readNamespacedResourceClaimStatus({ name: 'unsorted', namespace: NS });
    expect((got.status?.devices ?? []).map((d) => [d.driver, d.device, d.conditions?.[0]?.reason])).toEqual([
      ['gpu.example.com', 'gpu0', 'GpuReady'],
      ['knd.dev', 'eth5', 'NetworkDeviceAttached'],
    ]);
    // the allocation (and its opaque config) is byte-for-byte what the scheduler wrote
    const { stdout } = await pexec(kubectlPath(), [
      '--kubeconfig',
      kubeconfigPath(),
      'get',
      '--raw',
      `/apis/resource.k8s.io/v1/namespaces/${NS}/resourceclaims/unsorted`,
    ]);
    expect(stdout).toContain('"parameters":{"kind":"NetworkConfig","apiVersion":"knd.dev/v1alpha1"');
  });

  it("works with only the chart's agent RBAC: claim GET and status write allowed, claim list and watch refused", async () => {
    const rules = await chartAgentRules();
    expect(rules.find((r) => r.resources?.includes('resourceclaims'))?.verbs).toEqual(['get']);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({ body: { metadata: { name: NS }, rules } });
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'agent' } } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NS },
        subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: NS }],
      },
    });
    // the agent's token as the kubelet projects it into the agent pod: bound to a pod on the claim's
    // node, so it carries that node's name. From 1.36 the apiserver also authorizes each driver's
    // status.devices entries (resourceclaims/driver, associated-node: verbs) with it; before 1.36
    // resourceclaims/status alone decides. The same rules and token work on both.
    await core.createNode({ body: { metadata: { name: NODE } } });
    const agentPod = await pod('agent-pod', 'agent');
    const { stdout: token } = await pexec(kubectlPath(), [
      '--kubeconfig',
      kubeconfigPath(),
      'create',
      'token',
      'agent',
      '-n',
      NS,
      '--duration',
      '10m',
      '--bound-object-kind',
      'Pod',
      '--bound-object-name',
      'agent-pod',
      '--bound-object-uid',
      agentPod.metadata?.uid ?? '',
    ]);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('admin kubeconfig has no current cluster');
    const agentKc = new KubeConfig();
    agentKc.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'agent', token: token.trim() }],
      contexts: [{ name: 'agent', cluster: cluster.name, user: 'agent' }],
      currentContext: 'agent',
    });

    const claim = await allocatedClaim('rbac', ['eth6']);
    const p = await pod('rbac-pod');
    const claimRef = { namespace: NS, name: 'rbac', uid: claim.metadata?.uid ?? '' };
    const podRef = { namespace: NS, name: 'rbac-pod', uid: p.metadata?.uid ?? '' };
    // what DRA prepare and the shared-claim lookup do: one GET by name (RBAC may lag a moment)
    const reader = kubeClaimReader({ kubeConfig: agentKc });
    const read = await waitFor('the agent role to allow a claim GET', () =>
      reader.get(NS, 'rbac').catch(() => undefined),
    );
    expect(read.metadata?.uid).toBe(claimRef.uid);
    const asAgent = new KubeRestClient(agentKc, { fieldManager: 'knd-agent' });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e: unknown) => (e as { statusCode?: number }).statusCode,
      );
    expect(await code(asAgent.list('/apis/resource.k8s.io/v1/resourceclaims'))).toBe(403);
    expect(await code(asAgent.list(`/apis/resource.k8s.io/v1/namespaces/${NS}/resourceclaims`))).toBe(403);
    expect(await code(asAgent.list('/apis/resource.k8s.io/v1/resourceclaims?watch=1&timeoutSeconds=1'))).toBe(
      403,
    );

    const agentWriter = new ClaimStatusWriter({
      api: kubeStatusApi({ kubeConfig: agentKc, nodeName: NODE }),
      logger: silentLogger(),
    });
    agentWriter.attached(claimRef, podRef, [
      { device: device('eth6'), record: record(claimRef.uid, podRef.uid, 'eth6', ['198.51.100.16/24']) },
    ]);
    await agentWriter.drain();
    expect(agentWriter.stats.dropped).toBe(0);
    const got = await resource.readNamespacedResourceClaimStatus({ name: 'rbac', namespace: NS });
    expect(
      got.status?.devices?.map((d) => [d.device, d.conditions?.[0]?.reason, d.networkData?.ips]),
    ).toEqual([['eth6', 'NetworkDeviceAttached', ['198.51.100.16/24']]]);
  });

  it('is refused by the API server for a device that is not allocated in the claim (and the writer gives up cleanly)', async () => {
    const claim = await allocatedClaim('other', ['eth4']);
    const claimRef = { namespace: NS, name: 'other', uid: claim.metadata?.uid ?? '' };
    const before = writer.stats.dropped;
    writer.attached(claimRef, { namespace: NS, name: 'x', uid: 'x' }, [
      {
        device: device('not-allocated'),
        record: record(claimRef.uid, 'x', 'not-allocated', ['198.51.100.12/24']),
      },
    ]);
    await writer.drain();
    expect(writer.stats.dropped).toBe(before + 1);
    const got = await resource.readNamespacedResourceClaimStatus({ name: 'other', namespace: NS });
    expect(got.status?.devices ?? []).toEqual([]);
  });
});
