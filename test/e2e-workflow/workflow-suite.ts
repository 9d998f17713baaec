/**
 * The KND paper's workflow, the way a user runs it, on a real node: kubelet + containerd (NRI) from
 * test/cluster/node-up.sh, the real knd operator and node agent (agent-targets.ts: as host processes,
 * or as the helm-installed release), veth pairs as NICs. A busybox pod using a NetworkProfile's
 * ResourceClaimTemplate gets its NIC with the planned name, addresses and routes (checked with `ip`
 * inside the pod through `kubectl exec`); the claim reports networkData and Ready; deleting the pod
 * returns the NIC intact; two pods competing for one NIC; an attach the kernel refuses; the agent
 * killed after prepare, during RunPodSandbox and after attach; the agent without NRI while a sandbox
 * starts (the attach guard); kubelet and containerd restarts. "Nothing lost" is checked after each:
 * every test NIC is in the pod that holds it or back on the host with its initial name, MTU, MAC and
 * addresses.
 *
 * One suite, several targets: each *.test.ts file here calls `workflowSuite` with its target and the
 * cases it runs. Needs root on Linux and the control plane from the jest global setup. Any missing
 * piece fails the suite with the reason; nothing is skipped.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { kubectl, ensureNode, restartContainerd, restartKubelet } from '../support/node.js';
import type { NodeInfo } from '../support/node.js';
import { repoRootOf } from '../support/agent-process.js';
import type { AgentTarget } from './agent-targets.js';
import { Cleanup } from '../support/cleanup.js';
import { uniqueName } from '../support/kube.js';
import {
  apply,
  busyboxPod,
  claimDevices,
  claimNameOf,
  createTestNics,
  installCrds,
  deletePod,
  deviceClass,
  eventsFor,
  exampleSecondaryNicConfig,
  getJson,
  hostNicState,
  networkProfile,
  podExec,
  runningContainers,
  waitDevicesPublished,
  waitExecWorks,
  waitHostNic,
  waitPodReady,
} from '../e2e/knd-e2e-env.js';
import type { PodJson, TestNics } from '../e2e/knd-e2e-env.js';

export type WorkflowCase =
  | 'workflow'
  | 'competition'
  | 'attach-refused'
  | 'kill-after-attach'
  | 'kill-after-prepare'
  | 'nri-down'
  | 'kill-during-run'
  | 'kubelet-restart'
  | 'containerd-restart';

export const ALL_CASES: readonly WorkflowCase[] = [
  'workflow',
  'competition',
  'attach-refused',
  'kill-after-attach',
  'kill-after-prepare',
  'nri-down',
  'kill-during-run',
  'kubelet-restart',
  'containerd-restart',
];

/**
 * Defines the workflow suite for `target`. `nicPrefix` names this suite's test NICs (unique per file);
 * `cases` picks which cases run.
 */
export function workflowSuite(target: AgentTarget, nicPrefix: string, cases: readonly WorkflowCase[]): void {
  const NIC_PREFIX = nicPrefix;
  const NIC_COUNT = 5; // 0 workflow + restart after attach, 1 competition, 2 attach failure, 3 restart after prepare, 4 NRI down
  const SUFFIX = uniqueName('x').slice(2);
  const NAMESPACE = `knd-e2e-${SUFFIX}`;
  const classFor = (i: number): string => `e2e-${SUFFIX}-nic${i}`;
  const test = (name: WorkflowCase, title: string, fn: () => Promise<void>): void => {
    if (cases.includes(name)) it(title, fn);
  };

  let node: NodeInfo;
  let nics: TestNics;
  let exampleConfig: Record<string, unknown>;

  /** Every test NIC is either in the host namespace, intact, or inside a Running pod: nothing lost. */
  async function expectNoNicLost(podsHoldingNics: Map<string, string>): Promise<void> {
    for (const name of nics.names) {
      const holder = podsHoldingNics.get(name);
      if (holder === undefined) {
        const state = await waitHostNic(name);
        expect(state).toEqual(nics.initial.get(name));
      } else {
        expect(await hostNicState(name)).toBeUndefined();
        const links = await podExec(NAMESPACE, holder, ['ip', '-o', 'link', 'show', 'net1']);
        expect(links).toMatch(/net1/);
      }
    }
  }

  async function profileWithClaim(
    profile: string,
    nic: number,
    config: Record<string, unknown>,
  ): Promise<void> {
    await apply([deviceClass(classFor(nic), [`${NIC_PREFIX}${nic}`])]);
    await apply([networkProfile(profile, classFor(nic), config)], NAMESPACE);
    // the operator renders the ResourceClaimTemplate of the same name
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await kubectl(['get', 'resourceclaimtemplate', '-n', NAMESPACE, profile]);
        await kubectl(['get', 'deviceclass', classFor(nic)]);
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`operator did not render ${profile}: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The attach guard keeps every container of the pod from running and says so in its events. */
  async function expectGuardRefuses(pod: string): Promise<void> {
    const isGuard = (e: string): boolean =>
      /is not attached yet: interface net1 is not in the pod network namespace/.test(e);
    const deadline = Date.now() + 90_000;
    let events: string[] = [];
    while (Date.now() < deadline) {
      expect(runningContainers(await getJson<PodJson>(['pod', '-n', NAMESPACE, pod]))).toEqual([]);
      events = await eventsFor(NAMESPACE, pod);
      if (events.some(isGuard)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(events.find(isGuard) ?? `no attach-guard event; events:\n${events.join('\n')}`).toMatch(
      /^Failed: .*knd: device \S+ of claim knd-e2e-\S+ is not attached yet/,
    );
    expect(runningContainers(await getJson<PodJson>(['pod', '-n', NAMESPACE, pod]))).toEqual([]);
  }

  /** SIGKILL the agent as soon as a new file shows up below `dir` (state the agent writes). */
  async function killAgentOnNewFile(dir: string, before: ReadonlySet<string>, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
      if (now.some((f) => !before.has(f) && f.endsWith('.json'))) break;
      if (Date.now() > deadline) throw new Error(`no ${what} appeared in ${dir} within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await target.kill();
  }

  /** While the agent is down, no container of the pod may run without net1. */
  async function expectNoContainerRunsWithoutNic(pod: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const during = await getJson<PodJson>(['pod', '-n', NAMESPACE, pod]);
    if (runningContainers(during).length > 0) {
      expect(await podExec(NAMESPACE, pod, ['ip', '-o', 'link', 'show'])).toMatch(/net1/);
    }
  }

  /** The pod becomes Ready with net1 configured; deleting it returns every NIC intact. */
  async function expectRunsWithNicThenReturnsIt(pod: string, nic: number): Promise<void> {
    await waitPodReady(NAMESPACE, pod, 120_000);
    expect(await podExec(NAMESPACE, pod, ['ip', '-o', 'addr', 'show', 'dev', 'net1'])).toContain(
      '198.51.100.10/24',
    );
    expect(await podExec(NAMESPACE, pod, ['ip', 'route', 'show', 'table', '100'])).toMatch(
      /default via 198\.51\.100\.1 dev net1/,
    );
    await expectNoNicLost(new Map([[`${NIC_PREFIX}${String(nic)}`, pod]]));
    await deletePod(NAMESPACE, pod);
    await expectNoNicLost(new Map());
  }

  async function createPod(name: string, template: string | undefined): Promise<void> {
    await apply([busyboxPod(name, node.nodeName, template)], NAMESPACE);
  }

  beforeAll(async () => {
    node = await ensureNode();
    nics = await createTestNics(NIC_PREFIX, NIC_COUNT);
    exampleConfig = await exampleSecondaryNicConfig(repoRootOf());
    await installCrds(repoRootOf());
    await kubectl(['create', 'namespace', NAMESPACE]);
    await target.setUp(node, SUFFIX);
    await waitDevicesPublished(node.nodeName, nics.names);
  }, 900_000);

  afterAll(async () => {
    const cleanup = new Cleanup();
    const attempt = cleanup.attempt.bind(cleanup);
    // pods first, while the agent still runs, so every NIC goes back through the agent
    await attempt('delete namespace', () =>
      kubectl(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=120s']),
    );
    for (let i = 0; i < NIC_COUNT; i++) {
      await attempt(`delete class ${i}`, () =>
        kubectl(['delete', 'networkdeviceclass', classFor(i), '--ignore-not-found']),
      );
    }
    await attempt(`tear down the ${target.name} target`, () => target.tearDown());
    if (nics !== undefined) await attempt('remove test NICs', () => nics.remove());
    cleanup.done();
  }, 300_000);

  describe(`knd on a real node (kubelet + containerd + agent + operator, ${target.name})`, () => {
    test(
      'workflow',
      'a pod using the secondary-nic profile gets net1 with the planned addresses and routes; the claim is Ready with networkData; deleting the pod returns the NIC intact',
      async () => {
        await profileWithClaim('storage-net', 0, exampleConfig);
        const pod = uniqueName('wf');
        await createPod(pod, 'storage-net');
        await waitPodReady(NAMESPACE, pod);

        const link = await podExec(NAMESPACE, pod, ['ip', '-o', 'link', 'show', 'net1']);
        expect(link).toMatch(/mtu 9000/);
        const addrs = await podExec(NAMESPACE, pod, ['ip', '-o', 'addr', 'show', 'dev', 'net1']);
        expect(addrs).toContain('198.51.100.10/24');
        expect(addrs).toContain('2001:db8:100::10/64');
        const routes = await podExec(NAMESPACE, pod, ['ip', 'route', 'show']);
        expect(routes).toMatch(/203\.0\.113\.0\/24 via 198\.51\.100\.1 dev net1/);
        expect(routes).toMatch(/198\.51\.100\.128\/25 dev net1/);
        const table100 = await podExec(NAMESPACE, pod, ['ip', 'route', 'show', 'table', '100']);
        expect(table100).toMatch(/default via 198\.51\.100\.1 dev net1/);
        const rules = await podExec(NAMESPACE, pod, ['ip', 'rule', 'show']);
        expect(rules).toMatch(/^100:\s+from 198\.51\.100\.10 lookup 100/m);
        const neigh = await podExec(NAMESPACE, pod, ['ip', 'neigh', 'show', 'dev', 'net1']);
        expect(neigh).toMatch(/198\.51\.100\.1 lladdr 02:00:00:00:01:01 .*PERMANENT/);
        // the pod's own eth0 from CNI is untouched
        expect(await podExec(NAMESPACE, pod, ['ip', '-o', 'addr', 'show', 'dev', 'eth0'])).toMatch(
          /10\.88\.0\./,
        );
        expect(await hostNicState(`${NIC_PREFIX}0`)).toBeUndefined();

        const claim = await claimNameOf(NAMESPACE, pod);
        const devices = await claimDevices(NAMESPACE, claim);
        expect(devices).toHaveLength(1);
        const device = devices[0];
        expect(device?.driver).toBe('knd.dev');
        expect(device?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
        expect(device?.networkData?.interfaceName).toBe('net1');
        expect([...(device?.networkData?.ips ?? [])].sort()).toEqual([
          '198.51.100.10/24',
          '2001:db8:100::10/64',
        ]);
        expect(device?.networkData?.hardwareAddress).toBe(nics.initial.get(`${NIC_PREFIX}0`)?.mac);
        const described = await kubectl(['describe', 'resourceclaim', '-n', NAMESPACE, claim]);
        expect(described).toMatch(/Network Data/);
        expect(described).toMatch(/net1/);
        expect(described).toMatch(/Ready/);

        await deletePod(NAMESPACE, pod);
        expect(await waitHostNic(`${NIC_PREFIX}0`)).toEqual(nics.initial.get(`${NIC_PREFIX}0`));
      },
    );

    test(
      'competition',
      'two pods competing for one NIC: one runs, the other stays Pending with the scheduler saying why',
      async () => {
        await profileWithClaim('only-nic1', 1, exampleConfig);
        const [a, b] = [uniqueName('race-a'), uniqueName('race-b')];
        await createPod(a, 'only-nic1');
        await createPod(b, 'only-nic1');
        const deadline = Date.now() + 60_000;
        let ready: PodJson[] = [];
        let pods: PodJson[] = [];
        while (Date.now() < deadline) {
          pods = await Promise.all([a, b].map((n) => getJson<PodJson>(['pod', '-n', NAMESPACE, n])));
          ready = pods.filter((p) =>
            (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
          );
          if (ready.length === 1) break;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(ready).toHaveLength(1);
        await new Promise((resolve) => setTimeout(resolve, 5_000)); // give the loser time to (wrongly) start
        pods = await Promise.all([a, b].map((n) => getJson<PodJson>(['pod', '-n', NAMESPACE, n])));
        const loser = pods.find((p) => p.metadata.name !== ready[0]?.metadata.name);
        expect(loser?.status?.phase).toBe('Pending');
        const scheduled = loser?.status?.conditions?.find((c) => c.type === 'PodScheduled');
        expect(scheduled?.status).toBe('False');
        expect(scheduled?.message ?? '').toMatch(/claim/i);
        const winner = ready[0]?.metadata.name ?? '';
        expect(await podExec(NAMESPACE, winner, ['ip', '-o', 'addr', 'show', 'dev', 'net1'])).toContain(
          '198.51.100.10/24',
        );

        // the loser gets the NIC once the winner is gone, and the NIC comes back intact at the end
        await deletePod(NAMESPACE, winner);
        await waitPodReady(NAMESPACE, loser?.metadata.name ?? '', 120_000);
        await deletePod(NAMESPACE, loser?.metadata.name ?? '');
        expect(await waitHostNic(`${NIC_PREFIX}1`)).toEqual(nics.initial.get(`${NIC_PREFIX}1`));
      },
    );

    test(
      'attach-refused',
      'an attach the kernel refuses (gateway not reachable) never lets the pod run, says why in its events, and leaves the NIC on the host intact',
      async () => {
        await profileWithClaim('bad-gateway', 2, {
          interface: { name: 'net1', addresses: ['198.51.100.20/24'] },
          routes: [{ destination: '203.0.113.0/24', gateway: '192.0.2.254' }],
        });
        const pod = uniqueName('fail');
        await createPod(pod, 'bad-gateway');
        // the kernel refuses the route at attach (RunPodSandbox: FailedCreatePodSandBox); should the agent
        // ever catch it earlier, at prepare, the kubelet reports FailedPrepareDynamicResources instead
        const isFailure = (e: string): boolean => /^Failed(CreatePodSandBox|PrepareDynamicResources)/.test(e);
        const deadline = Date.now() + 45_000;
        let events: string[] = [];
        while (Date.now() < deadline) {
          const json = await getJson<PodJson>(['pod', '-n', NAMESPACE, pod]);
          expect(json.status?.phase).not.toBe('Running');
          events = await eventsFor(NAMESPACE, pod);
          if (events.some(isFailure)) break;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        const failure = events.find(isFailure) ?? `no failure event; events:\n${events.join('\n')}`;
        expect(failure).toMatch(/^Failed(CreatePodSandBox|PrepareDynamicResources)/);
        expect(failure).toMatch(/unreachable|192\.0\.2\.254/i);
        const json = await getJson<PodJson>(['pod', '-n', NAMESPACE, pod]);
        expect(json.status?.phase).toBe('Pending');
        await deletePod(NAMESPACE, pod);
        expect(await waitHostNic(`${NIC_PREFIX}2`)).toEqual(nics.initial.get(`${NIC_PREFIX}2`));
      },
    );

    test(
      'kill-after-attach',
      'the agent killed (SIGKILL) after attach and restarted: the pod keeps its NIC, the claim stays Ready, deleting the pod returns the NIC',
      async () => {
        await profileWithClaim('storage-net', 0, exampleConfig);
        const pod = uniqueName('kill-att');
        await createPod(pod, 'storage-net');
        await waitPodReady(NAMESPACE, pod);
        await target.kill();
        expect(await podExec(NAMESPACE, pod, ['ip', '-o', 'addr', 'show', 'dev', 'net1'])).toContain(
          '198.51.100.10/24',
        );
        await target.restart();
        await expectNoNicLost(new Map([[`${NIC_PREFIX}0`, pod]]));
        const claim = await claimNameOf(NAMESPACE, pod);
        expect(
          (await claimDevices(NAMESPACE, claim))[0]?.conditions?.find((c) => c.type === 'Ready')?.status,
        ).toBe('True');
        await deletePod(NAMESPACE, pod);
        await expectNoNicLost(new Map());
      },
    );

    test(
      'kill-after-prepare',
      'the agent killed (SIGKILL) right after prepare persisted the plan, restarted: the pod runs only with its NIC, nothing lost',
      async () => {
        await profileWithClaim('nic3', 3, exampleConfig);
        const before = new Set(await readdir(target.stateDir, { recursive: true }));
        const pod = uniqueName('kill-prep');
        await createPod(pod, 'nic3');
        // prepare writes the plan before it answers the kubelet: kill as soon as it is on disk
        await killAgentOnNewFile(target.stateDir, before, 'plan');
        // the attach guard refuses containers when the sandbox started without knd
        await expectNoContainerRunsWithoutNic(pod);
        await target.restart();
        await expectRunsWithNicThenReturnsIt(pod, 3);
      },
    );

    test(
      'nri-down',
      'the agent not connected to NRI when the sandbox starts (prepare done): the attach guard keeps the container from being created and says why; once the agent is back the NIC is attached late and the pod runs with it',
      async () => {
        await profileWithClaim('nic4', 4, exampleConfig);
        // DRA prepare works, NRI is off: containerd runs the sandbox without knd (as after a crash)
        await target.stop();
        await target.restart(['--nri=false']);
        const pod = uniqueName('nri-down');
        try {
          await createPod(pod, 'nic4');
          await expectGuardRefuses(pod);
          expect(await hostNicState(`${NIC_PREFIX}4`)).toEqual(nics.initial.get(`${NIC_PREFIX}4`));
        } finally {
          await target.stop();
          await target.restart();
        }
        await expectRunsWithNicThenReturnsIt(pod, 4);
      },
    );

    test(
      'kill-during-run',
      'the agent killed (SIGKILL) during RunPodSandbox, as soon as its attach intent is on disk: no container runs without the NIC; after the restart the pod runs with net1 fully configured; nothing lost',
      async () => {
        await profileWithClaim('nic4', 4, exampleConfig);
        const dir = path.join(target.stateDir, 'attachments');
        const before = new Set(await readdir(dir).catch(() => [] as string[]));
        const pod = uniqueName('kill-run');
        await createPod(pod, 'nic4');
        // RunPodSandbox writes the intent record before its first kernel change
        await killAgentOnNewFile(dir, before, 'attach record');
        await expectNoContainerRunsWithoutNic(pod);
        await target.restart();
        await expectRunsWithNicThenReturnsIt(pod, 4);
      },
    );

    test(
      'kubelet-restart',
      'a kubelet restart: the running pod keeps its NIC and stays Ready; a new pod still gets one; nothing lost',
      async () => {
        await profileWithClaim('storage-net', 0, exampleConfig);
        await profileWithClaim('nic3', 3, exampleConfig);
        const pod = uniqueName('kubelet-rs');
        await createPod(pod, 'storage-net');
        await waitPodReady(NAMESPACE, pod);
        await restartKubelet();
        await waitPodReady(NAMESPACE, pod);
        await waitExecWorks(NAMESPACE, pod);
        await expectNoNicLost(new Map([[`${NIC_PREFIX}0`, pod]]));
        // the agent re-registers with the new kubelet: prepare works again
        const second = uniqueName('kubelet-rs2');
        await createPod(second, 'nic3');
        await waitPodReady(NAMESPACE, second, 120_000);
        await expectNoNicLost(
          new Map([
            [`${NIC_PREFIX}0`, pod],
            [`${NIC_PREFIX}3`, second],
          ]),
        );
        await deletePod(NAMESPACE, pod);
        await deletePod(NAMESPACE, second);
        await expectNoNicLost(new Map());
      },
    );

    test(
      'containerd-restart',
      'a containerd restart: the running pod keeps its NIC; the agent reconnects to NRI and a new pod gets its NIC; nothing lost',
      async () => {
        await profileWithClaim('storage-net', 0, exampleConfig);
        await profileWithClaim('nic3', 3, exampleConfig);
        const pod = uniqueName('ctrd-rs');
        await createPod(pod, 'storage-net');
        await waitPodReady(NAMESPACE, pod);
        await restartContainerd();
        await waitPodReady(NAMESPACE, pod);
        await waitExecWorks(NAMESPACE, pod);
        await expectNoNicLost(new Map([[`${NIC_PREFIX}0`, pod]]));
        const second = uniqueName('ctrd-rs2');
        await createPod(second, 'nic3');
        await waitPodReady(NAMESPACE, second, 120_000);
        expect(await podExec(NAMESPACE, second, ['ip', '-o', 'addr', 'show', 'dev', 'net1'])).toContain(
          '198.51.100.10/24',
        );
        await deletePod(NAMESPACE, pod);
        await deletePod(NAMESPACE, second);
        await expectNoNicLost(new Map());
      },
    );
  });
}
