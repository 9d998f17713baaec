// The DRA kubelet plugin against the real control plane: the agent runs as a child process (from
// dist) with a sysfs fixture as hardware, publishes its ResourceSlice for a fake Node, the real
// kube-scheduler allocates claims for pods, and a client speaking exactly the kubelet's protos over
// the unix sockets calls NodePrepareResources / NodeUnprepareResources. For the shared-claim case the
// agent also runs its NRI plugin against a runtime peer speaking the NRI protocol over a unix socket.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, ResourceV1Api } from '@kubernetes/client-node';
import { readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FakeRuntime } from '../support/nri/fake-runtime.js';
import { testKubeConfig, uniqueName, waitFor } from '../support/kube.js';
import { makeSysfsFixture, manyNics, mlx5Rdma, type SysfsSpec } from '../support/sysfs-fixture.js';
import {
  registerLikeKubelet,
  watchHealthOnce,
  type KubeletDraClient,
  type WireClaim,
} from '../support/kubelet-client.js';
import {
  agentDirs,
  buildAgent,
  createAllocatedClaim,
  createFakeNode,
  createPodUsingClaims,
  startAgent,
  stopAgent,
  waitForSliceDevices,
  type AgentDirs,
  type RunningAgent,
} from './dra-agent-harness.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);
const node = uniqueName('dra-plug-node');
const ns = uniqueName('dra-plug');
const className = uniqueName('dra-plug-class');

let fixture: { root: string; cleanup: () => Promise<void> };
let dirs: AgentDirs;
let agent: RunningAgent;
let kubelet: KubeletDraClient;
let runtime: FakeRuntime | undefined;

function hardware(): SysfsSpec {
  const a = mlx5Rdma();
  const b = manyNics(4);
  return {
    pci: [...(a.pci ?? []), ...(b.pci ?? [])],
    netdevs: [...(a.netdevs ?? []), ...(b.netdevs ?? [])],
    ...(a.rdma ? { rdma: a.rdma } : {}),
    ...(a.rdmaCm ? { rdmaCm: a.rdmaCm } : {}),
  };
}

async function launch(nriSocket?: string): Promise<void> {
  agent = await startAgent({
    nodeName: node,
    sysfsRoot: fixture.root,
    dirs,
    kubeconfig: process.env['KND_KUBECONFIG'] ?? '',
    ...(nriSocket ? { nriSocket } : {}),
  });
  kubelet = (await registerLikeKubelet(agent.registrationSocket)).client;
}

const wire = (c: { metadata?: { namespace?: string; name?: string; uid?: string } }): WireClaim => ({
  namespace: c.metadata?.namespace ?? '',
  name: c.metadata?.name ?? '',
  uid: c.metadata?.uid ?? '',
});

/** CEL for one device by host interface name (devices without a netdev have no ifName). */
const byIfName = (n: string): string =>
  `"ifName" in device.attributes["knd.dev"] && device.attributes["knd.dev"].ifName == "${n}"`;

/** Force-delete a test pod (no kubelet here) and its claim, freeing the device. */
async function release(name: string): Promise<void> {
  await core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });
  await resource.deleteNamespacedResourceClaim({ namespace: ns, name });
}

const goodConfig = {
  interface: { name: 'net1', addresses: ['198.51.100.10/24'], mtu: 4000 },
  routes: [{ destination: '203.0.113.0/24', gateway: '198.51.100.1' }],
};

describe('DRA kubelet plugin (agent process, real scheduler allocations)', () => {
  beforeAll(async () => {
    buildAgent();
    fixture = await makeSysfsFixture(hardware());
    dirs = await agentDirs();
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await createFakeNode(core, node);
    await resource.createDeviceClass({
      body: {
        metadata: { name: className },
        spec: { selectors: [{ cel: { expression: 'device.driver == "knd.dev"' } }] },
      },
    });
    await launch();
    await waitForSliceDevices(resource, node, 5);
  });

  afterAll(async () => {
    kubelet?.close();
    if (agent) await stopAgent(agent);
    await runtime?.dispose();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await resource.deleteDeviceClass({ name: className }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
    await fixture?.cleanup();
    if (dirs) await rm(dirs.base, { recursive: true, force: true });
  });

  it('registers like a DRA plugin: GetInfo, socket modes, endpoint', async () => {
    const { info, client } = await registerLikeKubelet(agent.registrationSocket);
    client.close();
    expect(info).toEqual({
      type: 'DRAPlugin',
      name: 'knd.dev',
      endpoint: join(dirs.kubeletRoot, 'plugins', 'knd.dev', 'dra.sock'),
      supported_versions: [
        'v1.DRAPlugin',
        'v1beta1.DRAPlugin',
        'v1.DRAResourceHealth',
        'v1alpha1.DRAResourceHealth',
      ],
    });
    for (const sock of [agent.registrationSocket, info.endpoint]) {
      expect((await stat(sock)).mode & 0o777).toBe(0o600);
      expect((await stat(dirname(sock))).mode & 0o777).toBe(0o700);
    }
  });

  it('streams NIC link state as DRA resource health for every published device', async () => {
    const published = await waitForSliceDevices(resource, node, 5);
    const msg = await watchHealthOnce(join(dirs.kubeletRoot, 'plugins', 'knd.dev', 'dra.sock'));
    expect(msg.devices.map((d) => d.device.device_name).sort()).toEqual([...published].sort());
    for (const d of msg.devices) {
      expect(d.device.pool_name).toBe(node);
      // fixture netdevs are operstate up; the RDMA-only function has no netdev
      expect([d.health, d.message]).toEqual(
        d.message === 'no network interface on the host'
          ? ['UNKNOWN', d.message]
          : ['HEALTHY', 'link state up'],
      );
    }
    expect(msg.devices.filter((d) => d.health === 'HEALTHY')).toHaveLength(5);
  });

  it('prepares an RDMA claim: plan persisted, CDI spec written, idempotent, unprepare removes only it', async () => {
    const { claim, podUid } = await createAllocatedClaim(core, resource, ns, 'rdma', node, {
      className,
      cel: byIfName('ens2f0np0'),
      config: goodConfig,
    });
    const other = await createAllocatedClaim(core, resource, ns, 'plain', node, {
      className,
      cel: byIfName('ens0'),
    });
    const uid = claim.metadata?.uid ?? '';
    const result = claim.status?.allocation?.devices?.results?.[0];
    const res = await kubelet.prepare([wire(claim), wire(other.claim)]);
    expect(Object.keys(res.claims).sort()).toEqual([uid, other.claim.metadata?.uid].sort());
    expect(res.claims[uid]).toEqual({
      error: '',
      devices: [
        {
          request_names: ['nic'],
          pool_name: node,
          device_name: result?.device,
          cdi_device_ids: [`knd.dev/claim=${uid}-${result?.device}`],
        },
      ],
    });
    expect(res.claims[other.claim.metadata?.uid ?? '']?.error).toBe('');
    // every device gets a CDI id: its edits carry the attach guard (node-agent/src/cdi/attach-guard.ts)
    const otherUid = other.claim.metadata?.uid ?? '';
    const otherDevice = other.claim.status?.allocation?.devices?.results?.[0]?.device;
    expect(res.claims[otherUid]?.devices[0]?.cdi_device_ids).toEqual([
      `knd.dev/claim=${otherUid}-${otherDevice}`,
    ]);

    const plan = JSON.parse(await readFile(join(dirs.stateDir, 'plans', `${uid}.json`), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(plan).toMatchObject({
      claim: { namespace: ns, name: 'rdma', uid },
      podUids: [podUid],
      devices: [
        {
          deviceName: result?.device,
          host: { ifName: 'ens2f0np0', pciAddress: '0000:3b:00.0' },
          podIfName: 'net1',
          mtu: 4000,
          addresses: ['198.51.100.10/24'],
          routes: goodConfig.routes,
          rdma: { device: 'mlx5_0' },
        },
      ],
    });
    const cdi = JSON.parse(await readFile(join(dirs.cdiDir, `knd.dev-claim_${uid}.json`), 'utf8')) as {
      cdiVersion: string;
      kind: string;
      devices: {
        name: string;
        containerEdits: {
          deviceNodes: { path: string; major: number; minor: number }[];
          hooks: { hookName: string; path: string; args: string[] }[];
        };
      }[];
    };
    expect(cdi.kind).toBe('knd.dev/claim');
    // device names starting with a digit need 0.5.0; otherwise the baseline 0.3.0
    expect(cdi.cdiVersion).toBe(/^[a-z]/i.test(uid) ? '0.3.0' : '0.5.0');
    expect(cdi.devices[0]?.containerEdits.deviceNodes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/dev/infiniband/uverbs0', major: 231, minor: 192 }),
        expect.objectContaining({ path: '/dev/infiniband/rdma_cm', major: 10, minor: 58 }),
      ]),
    );
    expect(cdi.devices[0]?.containerEdits.hooks).toEqual([
      expect.objectContaining({ hookName: 'createRuntime', path: '/bin/sh' }),
    ]);
    expect(cdi.devices[0]?.containerEdits.hooks[0]?.args.slice(-4)).toEqual([
      'net1',
      `${ns}/rdma`,
      result?.device,
      join(dirs.stateDir, 'attached', `${uid}_${result?.device ?? ''}`), // the completion mark
    ]);

    // the kubelet retries: same answer
    expect(await kubelet.prepare([wire(claim)])).toEqual({ claims: { [uid]: res.claims[uid] } });

    const un = await kubelet.unprepare([wire(claim)]);
    expect(un).toEqual({ claims: { [uid]: { error: '' } } });
    expect(existsSync(join(dirs.stateDir, 'plans', `${uid}.json`))).toBe(false);
    expect(existsSync(join(dirs.cdiDir, `knd.dev-claim_${uid}.json`))).toBe(false);
    // the other claim is untouched
    expect(existsSync(join(dirs.stateDir, 'plans', `${other.claim.metadata?.uid}.json`))).toBe(true);
    // unprepare is idempotent too
    expect(await kubelet.unprepare([wire(claim)])).toEqual({ claims: { [uid]: { error: '' } } });
    await kubelet.unprepare([wire(other.claim)]);
    // free the RDMA device for the restart test (no kubelet here: force-delete the pod)
    await release('rdma');
  });

  it('fails only the claim whose opaque config is invalid, naming the field path', async () => {
    const bad = await createAllocatedClaim(core, resource, ns, 'bad', node, {
      className,
      cel: byIfName('ens1'),
      config: { routes: [{ destination: 'not-a-cidr', gateway: '198.51.100.1' }] },
    });
    const good = await createAllocatedClaim(core, resource, ns, 'good', node, {
      className,
      cel: byIfName('ens2'),
      config: goodConfig,
    });
    const badUid = bad.claim.metadata?.uid ?? '';
    const goodUid = good.claim.metadata?.uid ?? '';
    const res = await kubelet.prepare([wire(bad.claim), wire(good.claim)]);
    expect(res.claims[badUid]?.devices).toEqual([]);
    expect(res.claims[badUid]?.error).toMatch(
      new RegExp(
        `^claim ${ns}/bad: opaque config from the claim .*for request "nic": routes\\[0\\]\\.destination: `,
      ),
    );
    expect(res.claims[goodUid]?.error).toBe('');
    expect(res.claims[goodUid]?.devices).toHaveLength(1);
    expect(existsSync(join(dirs.stateDir, 'plans', `${badUid}.json`))).toBe(false);
    await kubelet.unprepare([wire(good.claim)]);
    await release('bad');
    await release('good');
  });

  it('rejects a claim whose uid does not match the API object', async () => {
    const c = await createAllocatedClaim(core, resource, ns, 'stale', node, {
      className,
      cel: byIfName('ens3'),
    });
    const res = await kubelet.prepare([{ ...wire(c.claim), uid: '00000000-0000-0000-0000-000000000000' }]);
    expect(res.claims['00000000-0000-0000-0000-000000000000']?.error).toMatch(/uid mismatch/);
    await resource.deleteNamespacedResourceClaim({ namespace: ns, name: 'stale' });
    await core.deleteNamespacedPod({ namespace: ns, name: 'stale', gracePeriodSeconds: 0 });
  });

  it('serves the same plan after the agent is killed (SIGKILL) and restarted', async () => {
    const { claim } = await createAllocatedClaim(core, resource, ns, 'survivor', node, {
      className,
      cel: byIfName('ens2f0np0'),
      config: goodConfig,
    });
    const uid = claim.metadata?.uid ?? '';
    const before = await kubelet.prepare([wire(claim)]);
    expect(before.claims[uid]?.error).toBe('');
    const planBefore = await readFile(join(dirs.stateDir, 'plans', `${uid}.json`), 'utf8');

    kubelet.close();
    expect(await stopAgent(agent, 'SIGKILL')).toBe('SIGKILL');
    await launch(); // stale sockets from the killed process are replaced

    const after = await kubelet.prepare([wire(claim)]);
    expect(after).toEqual(before);
    expect(await readFile(join(dirs.stateDir, 'plans', `${uid}.json`), 'utf8')).toBe(planBefore);
    expect(existsSync(join(dirs.cdiDir, `knd.dev-claim_${uid}.json`))).toBe(true);
    await kubelet.unprepare([wire(claim)]);
    // free its NIC for the next test: pod and claim go, the scheduler's allocation with them
    await core.deleteNamespacedPod({ namespace: ns, name: 'survivor', gracePeriodSeconds: 0 });
    await resource.deleteNamespacedResourceClaim({ namespace: ns, name: 'survivor' });
    await waitClaimGone('survivor');
  });

  const waitClaimGone = (name: string): Promise<true> =>
    waitFor(
      `claim ${name} to be gone`,
      () =>
        resource.readNamespacedResourceClaim({ namespace: ns, name }).then(
          () => undefined,
          (e: unknown) => ((e as { code?: number }).code === 404 ? (true as const) : undefined),
        ),
      { timeoutMs: 30_000, intervalMs: 200 },
    );

  it('unprepares by itself, once restarted, a plan whose claim was deleted while the agent was down', async () => {
    const { claim } = await createAllocatedClaim(core, resource, ns, 'orphan', node, {
      className,
      cel: byIfName('ens2f0np0'),
      config: goodConfig,
    });
    const uid = claim.metadata?.uid ?? '';
    expect((await kubelet.prepare([wire(claim)])).claims[uid]?.error).toBe('');
    const planFile = join(dirs.stateDir, 'plans', `${uid}.json`);
    expect(existsSync(planFile)).toBe(true);

    kubelet.close();
    expect(await stopAgent(agent, 'SIGKILL')).toBe('SIGKILL');
    // the pod and its claim go while the agent is down; the kubelet never unprepares it
    await core.deleteNamespacedPod({ namespace: ns, name: 'orphan', gracePeriodSeconds: 0 });
    await resource.deleteNamespacedResourceClaim({ namespace: ns, name: 'orphan' });
    await waitClaimGone('orphan');
    await launch();
    await waitFor('the plan of the gone claim to be unprepared', () =>
      Promise.resolve(existsSync(planFile) ? undefined : true),
    );
    expect(existsSync(join(dirs.cdiDir, `knd.dev-claim_${uid}.json`))).toBe(false);
  });

  const planPods = async (claimUid: string): Promise<string[]> =>
    (
      JSON.parse(await readFile(join(dirs.stateDir, 'plans', `${claimUid}.json`), 'utf8')) as {
        podUids: string[];
      }
    ).podUids;

  it('puts a pod that also shares a prepared claim into that plan when its own claim is prepared', async () => {
    const { claim, podUid } = await createAllocatedClaim(core, resource, ns, 'shared', node, {
      className,
      cel: byIfName('ens1'),
    });
    const uid = claim.metadata?.uid ?? '';
    expect((await kubelet.prepare([wire(claim)])).claims[uid]?.error).toBe('');
    await resource.createNamespacedResourceClaim({
      namespace: ns,
      body: {
        metadata: { name: 'own-2' },
        spec: {
          devices: {
            requests: [
              {
                name: 'nic',
                exactly: {
                  deviceClassName: className,
                  selectors: [{ cel: { expression: byIfName('ens2') } }],
                },
              },
            ],
          },
        },
      },
    });
    const second = await createPodUsingClaims(core, resource, ns, 'shared-2', node, ['shared', 'own-2']);
    const own = await resource.readNamespacedResourceClaim({ namespace: ns, name: 'own-2' });
    // the kubelet prepares only the pod's new claim; the agent reads the shared one and adds the pod
    expect((await kubelet.prepare([wire(own)])).claims[own.metadata?.uid ?? '']?.error).toBe('');
    expect(await planPods(uid)).toEqual([podUid, second].sort());
    expect(await planPods(own.metadata?.uid ?? '')).toEqual([second]);
    await kubelet.unprepare([wire(own)]);
    await core.deleteNamespacedPod({ namespace: ns, name: 'shared-2', gracePeriodSeconds: 0 });
    await resource.deleteNamespacedResourceClaim({ namespace: ns, name: 'own-2' });
  });

  it('NRI RunPodSandbox of a pod that only shares a prepared claim finds that claim (agent with NRI)', async () => {
    kubelet.close();
    await stopAgent(agent);
    runtime = new FakeRuntime();
    await runtime.listen();
    await launch(runtime.socketPath);
    const conn = await runtime.nextConnection();
    const claim = await resource.readNamespacedResourceClaim({ namespace: ns, name: 'shared' });
    const uid = claim.metadata?.uid ?? '';
    // a kubelet retry after the restart is answered from the plan
    expect((await kubelet.prepare([wire(claim)])).claims[uid]?.error).toBe('');
    // the kubelet never calls prepare for this pod: all its claims are prepared already
    const third = await createPodUsingClaims(core, resource, ns, 'shared-3', node, ['shared']);
    expect(await planPods(uid)).not.toContain(third);
    const run = (podUid: string, name: string, namespace = ns) =>
      conn
        .call(
          'RunPodSandbox',
          'RunPodSandboxRequest',
          // no network namespace: the hook refuses after finding the plan, before any kernel work
          { pod: { id: `sb-${name}`, uid: podUid, name, namespace, linux: { namespaces: [] } } },
          'RunPodSandboxResponse',
        )
        .then(
          () => 'attached nothing',
          (e: unknown) => (e as Error).message,
        );
    expect(await run(third, 'shared-3')).toMatch(
      new RegExp(`pod ${ns}/shared-3 \\(${third}\\) has claimed network devices but no network namespace`),
    );
    expect(await planPods(uid)).toContain(third);
    // a pod that uses no claim of this node: nothing to attach, the sandbox starts
    expect(await run('00000000-1111-2222-3333-444444444444', 'plain-pod')).toBe('attached nothing');
    expect(await run('00000000-1111-2222-3333-555555555555', 'other-ns', 'kube-system')).toBe(
      'attached nothing',
    );
    // the refusal is reported on the claim (KEP-4817 status written by the agent)
    const reported = await waitFor('the claim status from the hook', async () => {
      const c = await resource.readNamespacedResourceClaim({ namespace: ns, name: 'shared' });
      return c.status?.devices?.find((d) => d.driver === 'knd.dev');
    });
    expect(reported.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'NoNetworkNamespace',
    });
    await kubelet.unprepare([wire(claim)]);
    await core.deleteNamespacedPod({ namespace: ns, name: 'shared-3', gracePeriodSeconds: 0 });
    await release('shared');
  });

  it('exposes prepare/unprepare metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    expect(text).toMatch(/knd_agent_dra_calls_total\{method="prepare",result="ok"\} [1-9]/);
    expect(text).toMatch(/knd_agent_dra_call_duration_seconds_count\{method="unprepare"\} [1-9]/);
    const ready = await fetch(`http://127.0.0.1:${agent.metricsPort}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('shuts down on SIGTERM: exit 0, both sockets removed, plans kept', async () => {
    const { claim } = await createAllocatedClaim(core, resource, ns, 'kept', node, {
      className,
      cel: byIfName('ens3'),
    });
    const uid = claim.metadata?.uid ?? '';
    expect((await kubelet.prepare([wire(claim)])).claims[uid]?.error).toBe('');
    kubelet.close();
    expect(await stopAgent(agent, 'SIGTERM')).toBe(0);
    expect(existsSync(agent.registrationSocket)).toBe(false);
    expect(existsSync(join(dirs.kubeletRoot, 'plugins', 'knd.dev', 'dra.sock'))).toBe(false);
    expect(existsSync(join(dirs.stateDir, 'plans', `${uid}.json`))).toBe(true);
    await launch(); // afterAll stops this one
  });
});
