/**
 * Runtime tier for the NRI plugin: the real containerd 2.x (built from the Go module proxy by
 * test/cluster/build.sh, NRI on) calls knd's plugin over its NRI socket; `crictl` drives sandboxes.
 * Kernel work is done by the real NetnsOps (node-agent/src/netns/) on veth pairs created here;
 * plans and attach records live in the real durable plan store (node-agent/src/plan-store/).
 *
 * Covers: runp of a sandbox whose pod uid has a prepared plan -> the veth is inside the sandbox
 * netns as planned (name, MTU, MAC, 2 addresses, 2 routes); a container gets the planned char
 * device; stopp/rmp -> the veth is back on the host as it was; an attach failure fails the sandbox
 * (fail closed); the agent restarted between prepare and runp -> still attached; containerd
 * restarted -> the plugin reconnects and later pods still attach; the KEP-4817 status of a real
 * claim on the control plane (jest global setup, KND_KUBECONFIG) shows what the kernel reported.
 *
 * Needs root on Linux, iproute2, and the node tier scripts. Fails (never skips) with the reason
 * when a piece cannot run. Test interfaces are named kndnr*, addresses are TEST-NET ranges.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, ResourceV1Api } from '@kubernetes/client-node';
import { silentLogger } from '../../lib/util/logger.js';
import type { NetnsOps } from '../../node-agent/src/netns/contract.js';
import type { ClaimStatusSink } from '../../node-agent/src/nri/handler-deps.js';
import type { NriPlugin } from '../../node-agent/src/nri/nri-plugin.js';
import { startNriPlugin } from '../../node-agent/src/nri/nri-plugin.js';
import type { AttachPlan, DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { kubeStatusApi } from '../../node-agent/src/status/kube-status-api.js';
import { ClaimStatusWriter } from '../../node-agent/src/status/status-writer.js';
import { crictl, ensureContainerd, restartContainerd, stopKubelet } from '../support/node.js';
import { fullAttachDevice, samplePlan } from '../support/sample-plan.js';
import type { ContainerdInfo } from '../support/node.js';
import type { TestPlanStore } from './nri-runtime-deps.js';
import { openPlanStore, realNetnsOps } from './nri-runtime-deps.js';

const pexec = promisify(execFile);
const tag = randomBytes(2).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'knd-nri-e2e-'));

async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await pexec(cmd, args, { encoding: 'utf8' });
  return stdout;
}

interface LinkInfo {
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}

async function linkIn(netnsPath: string | undefined, name: string): Promise<LinkInfo | undefined> {
  const prefix = netnsPath === undefined ? [] : [`--net=${netnsPath}`];
  const cmd = netnsPath === undefined ? 'ip' : 'nsenter';
  const args = [...prefix, ...(netnsPath === undefined ? [] : ['ip']), '-j', 'addr', 'show'];
  const all = JSON.parse(await sh(cmd, args)) as LinkInfo[];
  return all.find((l) => l.ifname === name);
}

async function routesIn(netnsPath: string, dev: string): Promise<string[]> {
  const out = JSON.parse(
    await sh('nsenter', [`--net=${netnsPath}`, 'ip', '-j', 'route', 'show', 'dev', dev]),
  ) as {
    dst: string;
    gateway?: string;
  }[];
  return out.map((r) => (r.gateway ? `${r.dst} via ${r.gateway}` : r.dst)).sort();
}

/** A veth pair whose `h` end plays the host NIC; the peer stays down on the host. */
async function makeNic(n: number): Promise<{ ifName: string; mac: string; mtu: number }> {
  const ifName = `kndnr${tag}${n}`;
  const mac = `02:00:5e:${tag.slice(0, 2)}:${tag.slice(2, 4)}:${(0x10 + n).toString(16)}`;
  await sh('ip', [
    'link',
    'add',
    ifName,
    'mtu',
    '1400',
    'address',
    mac,
    'type',
    'veth',
    'peer',
    'name',
    `kndnp${tag}${n}`,
  ]);
  await sh('ip', ['link', 'set', ifName, 'up']);
  return { ifName, mac, mtu: 1400 };
}

/** The shared full attach (test/support/sample-plan.ts) of a test NIC. */
function devicePlan(
  nic: { ifName: string; mac: string },
  extra: Partial<DevicePlan> = {},
): Partial<DevicePlan> {
  return fullAttachDevice({ ifName: nic.ifName, mac: nic.mac }, { poolName: 'knd-e2e', ...extra });
}

function attachPlan(podUid: string, devices: Partial<DevicePlan>[]): AttachPlan {
  return samplePlan(randomUUID(), [podUid], devices, {
    claimName: `claim-${podUid.slice(0, 8)}`,
    preparedAt: new Date().toISOString(),
  });
}

function podConfig(name: string, uid: string): string {
  const file = join(work, `${name}.pod.json`);
  writeFileSync(
    file,
    JSON.stringify({
      metadata: { name, namespace: 'default', uid, attempt: 0 },
      log_directory: join(work, 'logs', name),
      linux: {},
    }),
  );
  return file;
}

async function netnsOfSandbox(id: string): Promise<string> {
  const info = JSON.parse(await crictl(['inspectp', id])) as {
    info: { runtimeSpec: { linux: { namespaces: { type: string; path?: string }[] } } };
  };
  const ns = info.info.runtimeSpec.linux.namespaces.find((n) => n.type === 'network');
  if (!ns?.path) throw new Error(`sandbox ${id} has no network namespace path`);
  return ns.path;
}

const sandboxes: string[] = [];
async function runp(name: string, uid: string): Promise<string> {
  const id = (await crictl(['runp', podConfig(name, uid)])).trim();
  sandboxes.push(id);
  return id;
}

describe('NRI plugin against the real containerd', () => {
  let info: ContainerdInfo;
  let netns: NetnsOps;
  let store: TestPlanStore;
  const putPlan = (plan: AttachPlan): Promise<void> => store.putPlanThisBoot(plan);
  let plugin: NriPlugin | undefined;
  const connections: boolean[] = [];
  const status = { ready: [] as string[], failures: [] as string[] };
  let writer: ClaimStatusWriter;
  let kc: KubeConfig;
  const statusNs = `knd-nri-e2e-${tag}`;
  // Records outcomes for the assertions and forwards them to the real KEP-4817 writer.
  const sink: ClaimStatusSink = {
    attached: (claim, pod, devices) => {
      status.ready.push(pod.uid);
      writer.attached(claim, pod, devices);
    },
    failed: (claim, pod, devices, reason, message) => {
      status.failures.push(`${pod.uid}:${reason}`);
      writer.failed(claim, pod, devices, reason, message);
    },
  };

  function start(): NriPlugin {
    const p = startNriPlugin({
      store,
      netns,
      status: sink,
      logger: silentLogger(),
      socketPath: info.nriSocketPath,
      pluginIdx: '10',
      initialDelayMs: 100,
      maxDelayMs: 1000,
      onConnection: (c) => connections.push(c),
    });
    plugin = p;
    return p;
  }

  beforeAll(async () => {
    const kubeconfig = process.env.KND_KUBECONFIG;
    if (kubeconfig === undefined || kubeconfig === '') {
      throw new Error(
        'KND_KUBECONFIG is not set: the jest global setup (test/support/global-setup.ts) did not run',
      );
    }
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    writer = new ClaimStatusWriter({
      api: kubeStatusApi({ kubeConfig: kc, nodeName: 'knd-nri-e2e' }),
      logger: silentLogger(),
      maxAttempts: 2,
    });
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: statusNs } } });
    info = await ensureContainerd();
    await stopKubelet();
    netns = await realNetnsOps();
    store = await openPlanStore(join(work, 'plans'));
    await start().firstRegistration;
  });

  afterAll(async () => {
    for (const id of sandboxes) await crictl(['rmp', '-f', id]).catch(() => undefined);
    await plugin?.stop();
    await writer.drain();
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: statusNs })
      .catch(() => undefined);
    const links = JSON.parse(await sh('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
    for (const l of links)
      if (l.ifname.startsWith(`kndnr${tag}`))
        await sh('ip', ['link', 'del', l.ifname]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('runp attaches the planned veth inside the sandbox netns; stopp/rmp give it back as it was', async () => {
    const nic = await makeNic(1);
    const uid = randomUUID();
    await putPlan(attachPlan(uid, [devicePlan(nic)]));
    const id = await runp(`attach-${tag}`, uid);
    const nsPath = await netnsOfSandbox(id);
    const inside = await linkIn(nsPath, 'net1');
    expect(inside).toBeDefined();
    expect(inside?.mtu).toBe(9000);
    expect(inside?.address).toBe('02:00:5e:10:00:01');
    expect(inside?.flags).toContain('UP');
    expect(
      inside?.addr_info
        .filter((a) => a.scope === 'global')
        .map((a) => `${a.local}/${a.prefixlen}`)
        .sort(),
    ).toEqual(['2001:db8:0:1::10/64', '203.0.113.10/24']);
    expect(await routesIn(nsPath, 'net1')).toEqual(
      expect.arrayContaining(['198.18.0.0/15', '198.51.100.0/24 via 203.0.113.1']),
    );
    expect(await linkIn(undefined, nic.ifName)).toBeUndefined();
    expect(status.ready).toContain(uid);

    await crictl(['stopp', id]);
    const back = await linkIn(undefined, nic.ifName);
    expect(back).toMatchObject({ ifname: nic.ifName, mtu: nic.mtu, address: nic.mac });
    expect(back?.flags).toContain('UP');
    await crictl(['rmp', id]);
    expect(await linkIn(undefined, nic.ifName)).toMatchObject({
      ifname: nic.ifName,
      mtu: nic.mtu,
      address: nic.mac,
    });
  });

  it('writes Ready=True with the kernel-read networkData to the claim on the API server', async () => {
    const nic = await makeNic(6);
    const uid = randomUUID();
    const resource = kc.makeApiClient(ResourceV1Api);
    const name = `claim-${tag}`;
    const created = await resource.createNamespacedResourceClaim({
      namespace: statusNs,
      body: {
        metadata: { name },
        spec: { devices: { requests: [{ name: 'nic', exactly: { deviceClassName: 'knd-e2e' } }] } },
      },
    });
    created.status = {
      allocation: {
        devices: { results: [{ request: 'nic', driver: 'knd.dev', pool: 'knd-e2e', device: nic.ifName }] },
      },
    };
    await resource.replaceNamespacedResourceClaimStatus({ name, namespace: statusNs, body: created });
    const plan = attachPlan(uid, [devicePlan(nic)]);
    plan.claim = { namespace: statusNs, name, uid: created.metadata?.uid ?? '' };
    await putPlan(plan);
    const id = await runp(`status-${tag}`, uid);
    await writer.drain();
    const got = await resource.readNamespacedResourceClaimStatus({ name, namespace: statusNs });
    const dev = got.status?.devices?.[0];
    expect(dev?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'NetworkDeviceAttached',
    });
    expect(dev?.networkData?.interfaceName).toBe('net1');
    expect(dev?.networkData?.hardwareAddress).toBe('02:00:5e:10:00:01');
    expect([...(dev?.networkData?.ips ?? [])].sort()).toEqual(['2001:db8:0:1::10/64', '203.0.113.10/24']);
    await crictl(['rmp', '-f', id]);
  });

  it('gives a container the planned char device (fake RDMA uverbs node with /dev/null 1:3)', async () => {
    const nic = await makeNic(2);
    const uid = randomUUID();
    const hostDev = join(work, 'uverbs-fake');
    await sh('mknod', ['-m', '0666', hostDev, 'c', '1', '3']);
    const charDevices = [
      {
        path: '/dev/infiniband/uverbs0',
        hostPath: hostDev,
        major: 1,
        minor: 3,
        fileMode: 0o666,
        permissions: 'rw',
      },
    ];
    await putPlan(attachPlan(uid, [devicePlan(nic, { rdma: { device: 'fake_rdma0', charDevices } })]));
    const id = await runp(`rdma-${tag}`, uid);
    const ctrFile = join(work, 'rdma.ctr.json');
    writeFileSync(
      ctrFile,
      JSON.stringify({
        metadata: { name: 'app' },
        image: { image: info.busyboxImage },
        command: ['sleep', '3600'],
        log_path: 'app.log',
        linux: {},
      }),
    );
    const ctr = (await crictl(['create', id, ctrFile, podConfig(`rdma-${tag}`, uid)])).trim();
    await crictl(['start', ctr]);
    const ls = await crictl(['exec', ctr, 'stat', '-c', '%F %t:%T %a', '/dev/infiniband/uverbs0']);
    expect(ls.trim()).toBe('character special file 1:3 666');
    // the device cgroup allows rw: writing to it (it is /dev/null underneath) succeeds
    await crictl(['exec', ctr, 'sh', '-c', 'echo probe > /dev/infiniband/uverbs0']);
    await crictl(['rmp', '-f', id]);
    expect(await linkIn(undefined, nic.ifName)).toMatchObject({ ifname: nic.ifName, address: nic.mac });
  });

  it('fails the sandbox when an attach fails, and leaves the other NIC on the host as it was', async () => {
    const good = await makeNic(3);
    const uid = randomUUID();
    const missing = { ifName: `kndnr${tag}x`, mac: '02:00:5e:00:00:99' };
    await putPlan(attachPlan(uid, [devicePlan(good), devicePlan(missing, { podIfName: 'net2' })]));
    const failure = await runp(`fail-${tag}`, uid).then(
      () => 'sandbox started',
      (e: unknown) => String(e),
    );
    expect(failure).toMatch(new RegExp(`attach ${missing.ifName}`));
    expect(await linkIn(undefined, good.ifName)).toMatchObject({
      ifname: good.ifName,
      mtu: good.mtu,
      address: good.mac,
    });
    const pods = await crictl(['pods', '--name', `fail-${tag}`, '--state', 'ready', '-q']);
    expect(pods.trim()).toBe('');
    expect(status.failures).toContain(`${uid}:AttachFailed`);
  });

  it('attaches after the agent restarted between prepare and RunPodSandbox', async () => {
    const nic = await makeNic(4);
    const uid = randomUUID();
    await plugin?.stop();
    await putPlan(attachPlan(uid, [devicePlan(nic)])); // prepared while no agent runs
    store = await openPlanStore(join(work, 'plans')); // a new process opens the same store
    await start().firstRegistration;
    const id = await runp(`restart-${tag}`, uid);
    expect(await linkIn(await netnsOfSandbox(id), 'net1')).toMatchObject({ mtu: 9000 });
    await crictl(['stopp', id]);
    expect(await linkIn(undefined, nic.ifName)).toMatchObject({
      ifname: nic.ifName,
      mtu: nic.mtu,
      address: nic.mac,
    });
  });

  it('reconnects after containerd restarts, and later pods still attach', async () => {
    const before = connections.filter((c) => c).length;
    await restartContainerd();
    const deadline = Date.now() + 30_000;
    while (connections.filter((c) => c).length <= before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(connections.filter((c) => c).length).toBe(before + 1);
    const nic = await makeNic(5);
    const uid = randomUUID();
    await putPlan(attachPlan(uid, [devicePlan(nic)]));
    const id = await runp(`reconnect-${tag}`, uid);
    expect(await linkIn(await netnsOfSandbox(id), 'net1')).toMatchObject({
      mtu: 9000,
      address: '02:00:5e:10:00:01',
    });
    await crictl(['stopp', id]);
    await crictl(['rmp', id]);
    expect(await linkIn(undefined, nic.ifName)).toMatchObject({
      ifname: nic.ifName,
      mtu: nic.mtu,
      address: nic.mac,
    });
  });
});
