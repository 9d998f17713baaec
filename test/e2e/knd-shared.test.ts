/**
 * Shared NICs on the real node (kubelet + containerd with NRI, the knd operator and agent as host
 * processes): one veth host end is the parent of a NetworkDeviceClass with spec.shared
 * (maxChildren 8, 1000 Mbit/s); a NetworkProfile asks for 100 Mbit/s. Eight pods each get their
 * own macvlan child `net1` of that parent with its own MAC and reach each other through it; the
 * 9th pod stays Pending; a whole-NIC class on a second veth keeps working beside it; the parent is
 * never changed; an agent SIGKILL and a containerd restart leave no child behind. Run under the
 * node lock (`flock /work/node.lock`-style: the node is shared); nothing is skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { processTarget } from '../e2e-workflow/agent-targets.js';
import { repoRootOf } from '../support/agent-process.js';
import { Cleanup } from '../support/cleanup.js';
import { uniqueName } from '../support/kube.js';
import { ensureNode, kubectl, restartContainerd, type NodeInfo } from '../support/node.js';
import {
  apply,
  busyboxPod,
  claimNameOf,
  createTestNics,
  deletePod,
  deviceClass,
  getJson,
  hostNicState,
  installCrds,
  ip,
  networkProfile,
  podExec,
  waitDevicesPublished,
  waitPodReady,
  type PodJson,
  type TestNics,
} from './knd-e2e-env.js';

const PREFIX = 'kshr';
const SUFFIX = uniqueName('x').slice(2);
const NS = `knd-shared-${SUFFIX}`;
const SHARED_CLASS = `shared-${SUFFIX}`;
const WHOLE_CLASS = `whole-${SUFFIX}`;
const PODS = 8;
const target = processTarget();

let node: NodeInfo;
let nics: TestNics;
const parent = `${PREFIX}0`;
const wholeNic = `${PREFIX}1`;

/** A busybox pod of the share profile that may set its own address on net1. */
function sharePod(name: string): object {
  const pod = busyboxPod(name, node.nodeName, 'share') as {
    spec: { containers: Record<string, unknown>[] };
  };
  for (const c of pod.spec.containers) c['securityContext'] = { capabilities: { add: ['NET_ADMIN'] } };
  return pod;
}

/**
 * apply() after (re)installing this checkout's CRDs: the control plane is shared with other
 * checkouts whose suites install their own CRDs (without spec.shared) at any time.
 */
async function applyWithOurCrds(docs: readonly object[], namespace?: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await installCrds(repoRootOf());
    try {
      await apply(docs, namespace);
      return;
    } catch (e) {
      if (attempt >= 5 || !/unknown field "spec\.(shared|share)"/.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

interface SliceList {
  items: { spec: { devices?: { name: string; allowMultipleAllocations?: boolean }[] } }[];
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** knd's child links in every named network namespace (CNI pod namespaces are named). */
async function kndChildrenEverywhere(): Promise<string[]> {
  const out = await ip(['-all', 'netns', 'exec', 'ip', '-o', 'link', 'show']).catch((e: unknown) =>
    String(e),
  );
  return out.split('\n').filter((l) => l.includes('knd-child:'));
}

async function shareClaimStatus(
  pod: string,
): Promise<{ shareID?: string; networkData?: { hardwareAddress?: string } }> {
  const claim = await claimNameOf(NS, pod);
  const json = await getJson<{
    status?: { devices?: { shareID?: string; networkData?: { hardwareAddress?: string } }[] };
  }>(['resourceclaim', '-n', NS, claim]);
  return json.status?.devices?.[0] ?? {};
}

describe('shared NIC on the real node', () => {
  beforeAll(async () => {
    node = await ensureNode();
    nics = await createTestNics(PREFIX, 2);
    await installCrds(repoRootOf());
    await kubectl(['create', 'namespace', NS]);
    await target.setUp(node, SUFFIX);
    await waitDevicesPublished(node.nodeName, nics.names);
    await applyWithOurCrds([
      {
        apiVersion: 'knd.dev/v1alpha1',
        kind: 'NetworkDeviceClass',
        metadata: { name: SHARED_CLASS },
        spec: {
          selector: { virtual: true, interfaceNames: [parent] },
          shared: { maxChildren: PODS, bandwidthMbps: 1000, minShareMbps: 10 },
        },
      },
      deviceClass(WHOLE_CLASS, [wholeNic]),
    ]);
    await applyWithOurCrds(
      [
        {
          apiVersion: 'knd.dev/v1alpha1',
          kind: 'NetworkProfile',
          metadata: { name: 'share' },
          spec: {
            deviceClassName: SHARED_CLASS,
            share: { bandwidthMbps: 100 },
            config: { interface: { name: 'net1' } },
          },
        },
        networkProfile('whole', WHOLE_CLASS, { interface: { name: 'net1', addresses: ['10.97.0.1/24'] } }),
      ],
      NS,
    );
    // the agent polls the classes every 30 s: wait until the parent is published as shared
    await waitFor(
      `${parent} published as shared`,
      async () => {
        const slices = await getJson<SliceList>([
          'resourceslices',
          '--field-selector',
          `spec.nodeName=${node.nodeName}`,
        ]);
        const dev = slices.items
          .flatMap((s) => s.spec.devices ?? [])
          .find((d) => d.allowMultipleAllocations === true);
        return dev;
      },
      90_000,
    );
    await waitFor(
      'the templates',
      () => kubectl(['get', 'resourceclaimtemplate', '-n', NS, 'share', 'whole']),
      30_000,
    );
  }, 900_000);

  afterAll(async () => {
    const cleanup = new Cleanup();
    const attempt = cleanup.attempt.bind(cleanup);
    await attempt('delete namespace', () =>
      kubectl(['delete', 'namespace', NS, '--wait=true', '--timeout=120s']),
    );
    await attempt('delete classes', () =>
      kubectl(['delete', 'ndc', SHARED_CLASS, WHOLE_CLASS, '--ignore-not-found', '--wait=true']),
    );
    await attempt('stop agent and operator', () => target.tearDown());
    await attempt('remove test NICs', () => nics.remove());
    cleanup.done();
  }, 300_000);

  it(`${PODS} pods get their own child of one parent and reach each other; the ${PODS + 1}th stays Pending; a whole NIC works beside them`, async () => {
    const before = await hostNicState(parent);
    const names = Array.from({ length: PODS }, (_, i) => `s${i}`);
    await apply(names.map(sharePod), NS);
    for (const [i, name] of names.entries()) {
      await waitPodReady(NS, name, 180_000);
      const link = await podExec(NS, name, ['ip', '-o', 'link', 'show', 'net1']);
      expect(link).toMatch(/macvlan|net1@/);
      await podExec(NS, name, ['ip', 'addr', 'add', `10.96.0.${i + 1}/24`, 'dev', 'net1']);
    }
    for (let i = 1; i < PODS; i++) {
      expect(await podExec(NS, 's0', ['ping', '-c', '1', '-W', '3', `10.96.0.${i + 1}`])).toMatch(
        /1 packets received/,
      );
    }
    const statuses = await Promise.all(names.map(shareClaimStatus));
    expect(new Set(statuses.map((s) => s.shareID)).size).toBe(PODS);
    expect(new Set(statuses.map((s) => s.networkData?.hardwareAddress)).size).toBe(PODS);
    await apply([sharePod('over')], NS);
    const reason = await waitFor(
      'the 9th pod to be unschedulable',
      async () => {
        const p = await getJson<
          PodJson & {
            status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
          }
        >(['pod', '-n', NS, 'over']);
        const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
        return c?.reason === 'Unschedulable' ? (c.message ?? '') : undefined;
      },
      60_000,
    );
    expect(reason).toMatch(/cannot allocate all claims/);

    await apply([busyboxPod('w', node.nodeName, 'whole')], NS);
    await waitPodReady(NS, 'w', 120_000);
    expect(await podExec(NS, 'w', ['ip', '-o', 'addr', 'show', 'dev', 'net1'])).toContain('10.97.0.1/24');
    expect(await hostNicState(wholeNic)).toBeUndefined();

    expect(await hostNicState(parent)).toEqual(before);
    expect(before).toEqual(nics.initial.get(parent));
  }, 900_000);

  it('agent SIGKILL and a containerd restart leave no child behind and the parent unchanged', async () => {
    await target.kill();
    // pods go while the agent is dead: their sandboxes stop (the kubelet's unprepare waits for the
    // agent), so their children die with their namespaces
    await kubectl(['delete', 'pod', '-n', NS, 's0', 's1', '--wait=false']);
    await restartContainerd();
    await target.restart();
    for (const p of ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 'over', 'w']) await deletePod(NS, p);
    await waitFor(
      'no knd child in any pod namespace',
      async () => ((await kndChildrenEverywhere()).length === 0 ? true : undefined),
      60_000,
    );
    expect(await hostNicState(parent)).toEqual(nics.initial.get(parent));
    expect(await waitFor('the whole NIC back', () => hostNicState(wholeNic), 60_000)).toEqual(
      nics.initial.get(wholeNic),
    );
  }, 900_000);
});
