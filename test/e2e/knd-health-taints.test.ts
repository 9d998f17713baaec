/**
 * NIC health as DRA device taints, on the real node (kubelet + containerd from test/cluster/node-up.sh,
 * the real scheduler and kube-controller-manager of the jest global setup), with the knd operator and
 * node agent as host processes and veth pairs as NICs (knd-e2e-env.ts):
 *
 * - NoSchedule class: a pod holds NIC 0; its veth peer goes down -> the agent, watching the link in
 *   the pod's network namespace, taints the device within 1 s; the pod keeps running and the
 *   kubelet's resource health in its status (KEP-4680) says Unhealthy; the pod goes and the NIC comes
 *   back intact; a new claim pod stays Pending with the scheduler's "cannot allocate all claims";
 *   `kubectl get ndc` shows 1 tainted device; the peer comes up -> the taint goes only after the hold
 *   time, the pending pod gets the NIC, and its resource health says Healthy.
 * - NoExecute class: a pod holds NIC 1; its peer goes down -> taint within 1 s -> the
 *   device-taint-eviction controller of kube-controller-manager deletes the pod -> knd returns the
 *   NIC intact -> peer up -> taint gone after the hold time.
 *
 * Needs root on Linux and the control plane from the jest global setup. Run it alone under the node
 * lock. Fails (never skips) with the reason when a piece cannot run. Test NICs are named kndht*.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { Cleanup } from '../support/cleanup.js';
import { uniqueName } from '../support/kube.js';
import { ensureNode, kubectl, type NodeInfo } from '../support/node.js';
import {
  repoRootOf,
  runDirOf,
  startAgent,
  startKndOperator,
  waitKubeletRegistered,
  type ManagedProcess,
} from '../support/agent-process.js';
import {
  apply,
  busyboxPod,
  createTestNics,
  deletePod,
  deviceClass,
  exampleSecondaryNicConfig,
  getJson,
  installCrds,
  ip,
  networkProfile,
  waitDevicesPublished,
  waitHostNic,
  waitPodReady,
  type PodJson,
  type TestNics,
} from './knd-e2e-env.js';

const NIC_PREFIX = 'kndht';
const HOLD_MS = 3000;
const TAINT_KEY = 'knd.dev/unhealthy';
const SUFFIX = uniqueName('x').slice(2);
const NAMESPACE = `knd-health-${SUFFIX}`;
const classFor = (i: number): string => `health-${SUFFIX}-nic${String(i)}`;
const profileFor = (i: number): string => `health-nic${String(i)}`;

interface SliceDevice {
  name: string;
  attributes?: Record<string, { string?: string }>;
  taints?: { key: string; value?: string; effect: string; timeAdded?: string }[];
}
interface Slice {
  spec: { driver: string; nodeName?: string; devices?: SliceDevice[] };
}

/** Watches this node's knd.dev ResourceSlices and keeps, per ifName, the device as last seen and when. */
class SliceWatch {
  readonly devices = new Map<string, SliceDevice>();
  private listeners: (() => void)[] = [];
  private abort: AbortController | undefined;

  async start(kc: KubeConfig, nodeName: string): Promise<void> {
    this.abort = await new Watch(kc).watch(
      '/apis/resource.k8s.io/v1/resourceslices',
      { fieldSelector: `spec.driver=knd.dev,spec.nodeName=${nodeName}` },
      (type: string, obj: Slice) => {
        if (type === 'DELETED') return;
        for (const d of obj.spec.devices ?? []) {
          const ifName = d.attributes?.['knd.dev/ifName']?.string;
          if (ifName !== undefined) this.devices.set(ifName, d);
        }
        for (const l of this.listeners) l();
      },
      () => undefined,
    );
  }

  stop(): void {
    this.abort?.abort();
  }

  /** Calls cb after every slice event; returns the unsubscribe. */
  onEvent(cb: () => void): () => void {
    this.listeners.push(cb);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== cb);
    };
  }

  /**
   * Resolves with the time (Date.now()) of the first slice event after which pred holds for the
   * device of `ifName` (at once when it holds already).
   */
  until(
    ifName: string,
    what: string,
    pred: (d: SliceDevice | undefined) => boolean,
    timeoutMs: number,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        if (!pred(this.devices.get(ifName))) return;
        done();
        resolve(Date.now());
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${what}: not within ${String(timeoutMs)} ms (device: ${JSON.stringify(this.devices.get(ifName))})`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
      };
      this.listeners.push(listener);
      listener();
    });
  }
}

const healthTaint = (d: SliceDevice | undefined) => d?.taints?.find((t) => t.key === TAINT_KEY);

/** Health of the claim's devices as the kubelet reports it in the pod status (KEP-4680). */
async function resourceHealth(pod: string): Promise<string[]> {
  const json = await getJson<{
    status?: {
      containerStatuses?: {
        allocatedResourcesStatus?: { name: string; resources?: { resourceID: string; health?: string }[] }[];
      }[];
    };
  }>(['pod', '-n', NAMESPACE, pod]);
  return (json.status?.containerStatuses ?? []).flatMap((c) =>
    (c.allocatedResourcesStatus ?? []).flatMap((s) =>
      (s.resources ?? []).map((r) => `${s.name} ${r.resourceID} ${r.health ?? ''}`),
    ),
  );
}

async function waitResourceHealth(
  pod: string,
  health: 'Healthy' | 'Unhealthy',
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await resourceHealth(pod);
    if (last.length > 0 && last.every((l) => l.endsWith(` ${health}`))) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `pod ${pod}: resource health not ${health} within ${String(timeoutMs)} ms: ${JSON.stringify(last)}`,
  );
}

async function waitPodGone(pod: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = await kubectl(['get', 'pod', '-n', NAMESPACE, pod, '--ignore-not-found', '-o', 'name']);
    if (out.trim() === '') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`pod ${pod} still exists after ${String(timeoutMs)} ms`);
}

describe('NIC health -> DRA device taints on the real node', () => {
  let node: NodeInfo;
  let nics: TestNics;
  let agent: ManagedProcess | undefined;
  let operator: ManagedProcess | undefined;
  const slices = new SliceWatch();
  const kubeconfig = process.env['KND_KUBECONFIG'] ?? path.join(runDirOf(), 'admin.kubeconfig');
  const peer = (i: number): string => `${NIC_PREFIX}${String(i)}p`;
  const nic = (i: number): string => `${NIC_PREFIX}${String(i)}`;
  const setPeer = (i: number, state: 'up' | 'down') =>
    ip(['-n', nics.peerNetns, 'link', 'set', peer(i), state]);
  const timings: Record<string, number> = {};
  const startTheAgent = async (): Promise<void> => {
    agent = await startAgent({
      nodeName: node.nodeName,
      kubeconfig,
      kubeletRootDir: node.kubeletRootDir,
      nriSocketPath: node.nriSocketPath,
      stateDir: path.join(runDirOf(), 'knd-health-e2e', 'state'),
      cdiDir: '/var/run/cdi',
      metricsPort: 18493,
      optInVirtual: ['veth'],
      extraArgs: [`--health-taint-hold-ms=${String(HOLD_MS)}`],
    });
    await waitKubeletRegistered(18493);
  };
  /**
   * Applies the class with its effect and reads the effect back. Other suites on the shared control
   * plane apply their own copy of knd's CRDs at any time; a copy without spec.taintEffect rejects or
   * prunes it, so the CRDs are installed again until the field sticks.
   */
  const applyClass = async (i: number, effect: 'NoSchedule' | 'NoExecute'): Promise<void> => {
    const cls = deviceClass(classFor(i), [nic(i)]) as { spec: Record<string, unknown> };
    cls.spec['taintEffect'] = effect;
    let last = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      await installCrds(repoRootOf());
      try {
        await apply([cls]);
        last = (await kubectl(['get', 'ndc', classFor(i), '-o', 'jsonpath={.spec.taintEffect}'])).trim();
        if (last === effect) return;
      } catch (error) {
        last = (error as Error).message;
      }
    }
    throw new Error(`NetworkDeviceClass ${classFor(i)} does not keep spec.taintEffect=${effect}: ${last}`);
  };

  /**
   * The TAINTED column of `kubectl get ndc` for class i, once it shows `want`. A CRD copy without
   * status.taintedDevices, applied by another suite on the shared control plane, prunes the field:
   * then the CRDs are installed again and the class annotated, so the operator reconciles it anew.
   */
  const waitTaintedColumn = async (i: number, want: string): Promise<string> => {
    const deadline = Date.now() + 30_000;
    let got = '';
    for (let poke = 0; ; poke++) {
      const [header = '', row = ''] = (await kubectl(['get', 'ndc', classFor(i)])).trim().split('\n');
      got = row.split(/\s+/)[header.split(/\s+/).indexOf('TAINTED')] ?? '';
      if (got === want || Date.now() > deadline) return got;
      if (poke % 4 === 3) {
        await installCrds(repoRootOf());
        await kubectl(['annotate', '--overwrite', 'ndc', classFor(i), `knd-e2e/poke=${String(poke)}`]);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    node = await ensureNode();
    nics = await createTestNics(NIC_PREFIX, 2);
    const config = await exampleSecondaryNicConfig(repoRootOf());
    await installCrds(repoRootOf());
    await kubectl(['create', 'namespace', NAMESPACE]);
    operator = await startKndOperator({ kubeconfig, healthPort: 18491, leaseName: `knd-health-${SUFFIX}` });
    await startTheAgent();
    await waitDevicesPublished(node.nodeName, nics.names);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    await slices.start(kc, node.nodeName);
    for (const [i, effect] of [
      [0, 'NoSchedule'],
      [1, 'NoExecute'],
    ] as const) {
      await applyClass(i, effect);
      await apply([networkProfile(profileFor(i), classFor(i), config)], NAMESPACE);
    }
    for (const i of [0, 1]) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await kubectl(['get', 'resourceclaimtemplate', '-n', NAMESPACE, profileFor(i)]);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
  }, 900_000);

  afterAll(async () => {
    const cleanup = new Cleanup();
    const attempt = cleanup.attempt.bind(cleanup);
    process.stdout.write(`health taint timings (ms): ${JSON.stringify(timings)}\n`);
    slices.stop();
    await attempt('delete namespace', () =>
      kubectl(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=120s']),
    );
    for (const i of [0, 1])
      await attempt(`delete class ${String(i)}`, () =>
        kubectl(['delete', 'networkdeviceclass', classFor(i), '--ignore-not-found', '--wait=true']),
      );
    await attempt('stop agent', async () => agent?.stop());
    await attempt('stop operator', async () => operator?.stop());
    await attempt('remove test NICs', () => nics.remove());
    cleanup.done();
  }, 300_000);

  it('NoSchedule: taint within 1 s from the pod namespace, resource health, Pending new pod, removal after the hold time', async () => {
    // a pod holds NIC 0
    await apply([busyboxPod('holder0', node.nodeName, profileFor(0))], NAMESPACE);
    await waitPodReady(NAMESPACE, 'holder0', 120_000);
    expect(healthTaint(slices.devices.get(nic(0)))).toBeUndefined();
    await waitResourceHealth('holder0', 'Healthy');

    // its veth peer goes down: the link is in the pod's namespace now (net1, NO-CARRIER there)
    const down = Date.now();
    await setPeer(0, 'down');
    const tainted = await slices.until(
      nic(0),
      'NoSchedule taint on NIC 0',
      (d) => healthTaint(d) !== undefined,
      10_000,
    );
    timings['taintFromPodNetnsMs'] = tainted - down;
    expect(healthTaint(slices.devices.get(nic(0)))).toMatchObject({
      value: 'NoCarrier',
      effect: 'NoSchedule',
    });
    expect(tainted - down).toBeLessThan(1000);

    // NoSchedule keeps the running pod; the kubelet reports the device unhealthy in its status
    const unhealthy = await waitResourceHealth('holder0', 'Unhealthy');
    expect(unhealthy[0]).toMatch(/^claim:net\S* knd\.dev\/\S+ Unhealthy$/);
    expect(podIsRunning(await getJson<PodJson>(['pod', '-n', NAMESPACE, 'holder0']))).toBe(true);

    // the pod goes; knd gives the NIC back intact, still tainted (no carrier on the host either)
    await deletePod(NAMESPACE, 'holder0');
    expect(await waitHostNic(nic(0))).toEqual(nics.initial.get(nic(0)));
    await new Promise((r) => setTimeout(r, 1000));
    const taintBefore = healthTaint(slices.devices.get(nic(0)));
    expect(taintBefore?.value).toBe('NoCarrier');

    // an agent restart keeps the taint and its timeAdded; no slice in between shows the NIC untainted
    const untaintedSeen: string[] = [];
    const off = slices.onEvent(() => {
      const d = slices.devices.get(nic(0));
      if (d !== undefined && healthTaint(d) === undefined) untaintedSeen.push(JSON.stringify(d));
    });
    await agent?.stop();
    await startTheAgent();
    await new Promise((r) => setTimeout(r, 2000));
    off();
    expect(untaintedSeen).toEqual([]);
    expect(healthTaint(slices.devices.get(nic(0)))).toEqual(taintBefore);

    // `kubectl get ndc` counts it
    expect(await waitTaintedColumn(0, '1')).toBe('1');

    // a new claim pod is not given the tainted NIC: Pending with the scheduler's reason
    await apply([busyboxPod('waiter0', node.nodeName, profileFor(0))], NAMESPACE);
    const pending = await waitScheduledFalse('waiter0');
    expect(pending).toMatch(/cannot allocate all claims/);

    // peer up: the taint goes only after the hold time, then the waiting pod gets the NIC
    const up = Date.now();
    await setPeer(0, 'up');
    const cleared = await slices.until(
      nic(0),
      'taint removed from NIC 0',
      (d) => d !== undefined && healthTaint(d) === undefined,
      HOLD_MS + 10_000,
    );
    timings['taintRemovedAfterUpMs'] = cleared - up;
    expect(cleared - up).toBeGreaterThanOrEqual(HOLD_MS);
    expect(cleared - up).toBeLessThan(HOLD_MS + 2000);
    await waitPodReady(NAMESPACE, 'waiter0', 120_000);
    await waitResourceHealth('waiter0', 'Healthy');
    await deletePod(NAMESPACE, 'waiter0');
    expect(await waitHostNic(nic(0))).toEqual(nics.initial.get(nic(0)));
  }, 600_000);

  it('NoExecute: the eviction controller deletes the holder, knd returns the NIC intact, taint gone after the hold time', async () => {
    // the class may have lost its effect to another suite's CRD copy meanwhile
    await applyClass(1, 'NoExecute');
    await apply([busyboxPod('holder1', node.nodeName, profileFor(1))], NAMESPACE);
    await waitPodReady(NAMESPACE, 'holder1', 120_000);

    const down = Date.now();
    await setPeer(1, 'down');
    const tainted = await slices.until(
      nic(1),
      'NoExecute taint on NIC 1',
      (d) => healthTaint(d) !== undefined,
      10_000,
    );
    timings['noExecuteTaintMs'] = tainted - down;
    expect(healthTaint(slices.devices.get(nic(1)))?.value).toBe('NoCarrier');
    expect(tainted - down).toBeLessThan(1000);
    // the agent re-reads the classes every 10 s: the effect is NoExecute by then at the latest
    const noExecute = await slices.until(
      nic(1),
      'NoExecute effect on NIC 1',
      (d) => healthTaint(d)?.effect === 'NoExecute',
      15_000,
    );
    timings['noExecuteEffectMs'] = noExecute - down;

    await waitPodGone('holder1', 60_000);
    timings['evictedAfterTaintMs'] = Date.now() - tainted;
    expect(await waitHostNic(nic(1))).toEqual(nics.initial.get(nic(1)));

    const up = Date.now();
    await setPeer(1, 'up');
    const cleared = await slices.until(
      nic(1),
      'taint removed from NIC 1',
      (d) => d !== undefined && healthTaint(d) === undefined,
      HOLD_MS + 10_000,
    );
    expect(cleared - up).toBeGreaterThanOrEqual(HOLD_MS);
    await apply([busyboxPod('after1', node.nodeName, profileFor(1))], NAMESPACE);
    await waitPodReady(NAMESPACE, 'after1', 120_000);
    await deletePod(NAMESPACE, 'after1');
    expect(await waitHostNic(nic(1))).toEqual(nics.initial.get(nic(1)));
  }, 600_000);
});

function podIsRunning(pod: PodJson): boolean {
  return (pod.status?.containerStatuses ?? []).some((c) => c.state?.running !== undefined);
}

/** The PodScheduled=False message once the scheduler has tried. */
async function waitScheduledFalse(pod: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const json = await getJson<PodJson>(['pod', '-n', NAMESPACE, pod]);
    const c = (json.status?.conditions ?? []).find((x) => x.type === 'PodScheduled');
    if (c?.status === 'False') return `${c.reason ?? ''}: ${c.message ?? ''}`;
    if (c?.status === 'True') throw new Error(`pod ${pod} was scheduled although its only NIC is tainted`);
    if (Date.now() > deadline)
      throw new Error(`pod ${pod}: no PodScheduled=False within ${String(timeoutMs)} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
