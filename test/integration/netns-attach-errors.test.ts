// Kernel tier for the attach error paths (node-agent/src/netns): a failed attach must never strand
// the claimed NIC in the pod, never take an interface that belongs to the pod, and never say "rolled
// back" when it did not. Real network namespaces, veth pairs and bridges; iproute2 is the test's
// independent view of the kernel. Root needed.
import { afterEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../lib/util/logger.js';
import { AttachError } from '../../node-agent/src/netns/attach.js';
import { KernelNetnsOps, type KernelNetnsOptions } from '../../node-agent/src/netns/kernel-netns-ops.js';
import type { HandlerDeps } from '../../node-agent/src/nri/handler-deps.js';
import { KeyedLock } from '../../node-agent/src/nri/keyed-lock.js';
import { runPodSandbox } from '../../node-agent/src/nri/run-pod-sandbox.js';
import { stopPodSandbox } from '../../node-agent/src/nri/stop-pod-sandbox.js';
import { MemoryPlanStore } from '../support/nri/memory-plan-store.js';
import { RecordingStatus } from '../support/nri/recording-status.js';
import { samplePlan, samplePod } from '../support/sample-plan.js';
import { ip, ipJson, makeVethFixture, snapshot, type VethFixture, vethPlan } from './netns-fixture.js';

let fixtures: VethFixture[] = [];
const extraLinks: string[] = [];
afterEach(async () => {
  for (const l of extraLinks.splice(0)) await ip('link', 'del', l).catch(() => undefined);
  for (const f of fixtures) await f.cleanup();
  fixtures = [];
});

async function fixture(): Promise<VethFixture> {
  const f = await makeVethFixture('knde');
  fixtures.push(f);
  return f;
}

/** A link name derived from the fixture's tag (IFNAMSIZ allows 15 characters). */
const named = (f: VethFixture, suffix: string): string => `${f.hostIf.slice(0, -1)}${suffix}`;

const planFor = vethPlan;

const ids = { claimUid: 'claim-1', podUid: 'pod-1' };

async function linkIndex(ifName: string, ns?: string): Promise<number> {
  const pre = ns === undefined ? [] : ['-n', ns];
  const [link] = await ipJson<{ ifindex: number }[]>(...pre, 'link', 'show', 'dev', ifName);
  if (link === undefined) throw new Error(`${ifName} not found`);
  return link.ifindex;
}

/** Names of the links in netns `ns`. */
async function linkNames(ns: string): Promise<string[]> {
  return (await ipJson<{ ifname: string }[]>('-n', ns, 'link', 'show')).map((l) => l.ifname).sort();
}

/** Host links carrying knd's marker alias for `hostIfName`, by their current name. */
async function markedOnHost(hostIfName: string): Promise<string[]> {
  const links = await ipJson<{ ifname: string; ifalias?: string }[]>('link', 'show');
  return links.filter((l) => l.ifalias?.startsWith(`knd:["${hostIfName}"`) === true).map((l) => l.ifname);
}

describe('a refused combined move never adopts an interface that belongs to the pod', () => {
  // A bridge cannot leave its namespace (the kernel answers EINVAL, "The interface netns is
  // immutable"), so the combined move fails with nothing moved and attach takes its fallback path.
  it.each(['name', 'ifindex'] as const)(
    'the pod has its own interface with the same %s as the claimed host link: left untouched, attach refused',
    async (shared) => {
      const f = await fixture();
      const br = named(f, 'b');
      extraLinks.push(br);
      await ip('link', 'add', br, 'mtu', '1500', 'type', 'bridge');
      const podOwn = shared === 'name' ? br : named(f, 'o');
      const sameIndex = shared === 'ifindex' ? ['index', String(await linkIndex(br))] : [];
      await ip(
        '-n',
        f.pod,
        'link',
        'add',
        podOwn,
        ...sameIndex,
        'type',
        'veth',
        'peer',
        'name',
        named(f, 'q'),
      );
      if (shared === 'ifindex') expect(await linkIndex(podOwn, f.pod)).toBe(await linkIndex(br));
      const hostBefore = await snapshot(br);
      const podBefore = await snapshot(podOwn, f.pod);
      const namesBefore = await linkNames(f.pod);

      const err = await new KernelNetnsOps()
        .attach(planFor(f, { host: { ifName: br } }), f.podPath, ids)
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(AttachError);
      expect((err as AttachError).step).toBe('move');
      expect((err as AttachError).message).toMatch(/EINVAL.*; rolled back$/);
      expect(await snapshot(podOwn, f.pod)).toEqual(podBefore);
      expect(await linkNames(f.pod)).toEqual(namesBefore);
      expect(await snapshot(br)).toEqual(hostBefore);
    },
  );
});

describe('a pod interface name that is already taken never strands the NIC in the pod', () => {
  it.each([
    ['eth0', 'the pod network interface made by CNI'],
    ['lo', 'loopback'],
  ])('podIfName %s (%s): refused, the NIC stays on the host as it was', async (podIfName) => {
    const f = await fixture();
    if (podIfName !== 'lo')
      await ip('-n', f.pod, 'link', 'add', podIfName, 'type', 'veth', 'peer', 'name', named(f, 'c'));
    const before = await snapshot(f.hostIf);
    const podBefore = await snapshot(podIfName, f.pod);

    const err = await new KernelNetnsOps()
      .attach(planFor(f, { podIfName }), f.podPath, ids)
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AttachError);
    expect((err as AttachError).message).toContain(`interface name ${podIfName} is already taken`);
    expect((err as AttachError).message).toMatch(/; rolled back$/);
    expect(await snapshot(f.hostIf)).toEqual(before);
    expect(await snapshot(f.hostIf, f.pod)).toBeUndefined();
    expect(await snapshot(podIfName, f.pod)).toEqual(podBefore);
  });

  it('the name is taken between the check and the move (the kernel rename fails after the move): the NIC is moved back and restored, and the error says so truthfully', async () => {
    const f = await fixture();
    const before = await snapshot(f.hostIf);
    const racer = named(f, 'r');
    const ops = new KernelNetnsOps({
      beforeStep: async (s) => {
        if (s === 'move') await ip('-n', f.pod, 'link', 'add', 'net1', 'type', 'veth', 'peer', 'name', racer);
      },
    });
    const err = await ops.attach(planFor(f), f.podPath, ids).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AttachError);
    expect((err as AttachError).step).toBe('move');
    expect((err as AttachError).message).toMatch(/EEXIST.*; rolled back$/);
    expect(await snapshot(f.hostIf, f.pod)).toBeUndefined();
    expect(await snapshot(f.hostIf)).toEqual(before);
    // the pod's own net1 is not touched
    expect(await snapshot('net1', f.pod)).toMatchObject({ ifName: 'net1', mtu: 1500, alias: null });
  });
});

describe('an incomplete rollback', () => {
  it('keeps the intent record; StopPodSandbox finds the NIC under the name it came back with and restores it', async () => {
    const f = await fixture();
    const before = await snapshot(f.hostIf);
    const squatter = named(f, 's');
    const opts: KernelNetnsOptions = {
      beforeStep: async (s) => {
        if (s !== 'readback') return;
        // something takes the NIC's host name while it is in the pod: the move back cannot rename it
        await ip('link', 'add', f.hostIf, 'type', 'veth', 'peer', 'name', squatter);
        throw new Error('injected at readback');
      },
    };
    const store = new MemoryPlanStore();
    store.plans.push(samplePlan('claim-1', ['pod-1'], [planFor(f)]));
    const deps: HandlerDeps = {
      store,
      netns: new KernelNetnsOps(opts),
      status: new RecordingStatus(),
      logger: silentLogger(),
      podLock: new KeyedLock(),
      nowMs: () => performance.now(),
    };
    const pod = samplePod('pod-1', f.podPath);

    const err = await runPodSandbox(deps, pod).catch((e: unknown) => e);

    expect(String(err)).toMatch(/injected at readback; rollback incomplete: /);
    expect([...store.records.values()].map((r) => r.deviceName)).toEqual([planFor(f).deviceName]);
    // the NIC is not lost: it is on the host under another name, carrying knd's marker
    const marked = await markedOnHost(f.hostIf);
    expect(marked).toHaveLength(1);
    expect(marked[0]).not.toBe(f.hostIf);

    await ip('link', 'del', f.hostIf); // the squatter goes away (and takes its peer)
    await stopPodSandbox(deps, 'pod-1');
    expect(store.records.size).toBe(0);
    expect(await markedOnHost(f.hostIf)).toEqual([]);
    expect(await snapshot(f.hostIf)).toEqual(before);
  });
});
