// Kernel tier for shared devices (node-agent/src/netns/child-attach.ts): macvlan children of one
// veth parent created directly in throwaway pod namespaces, shaped, deleted, swept. Root needed;
// no cluster or node. iproute2 and tc are the independent observers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { AttachError, type AttachStep } from '../../node-agent/src/netns/attach.js';
import { CHILD_MARKER_PREFIX, childMac } from '../../node-agent/src/netns/child-identity.js';
import { KernelNetnsOps } from '../../node-agent/src/netns/kernel-netns-ops.js';
import { ip, ipJson, makeVethFixture, snapshot, type VethFixture } from './netns-fixture.js';

const run = promisify(execFile);

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A veth parent on the host (UP, with carrier: its peer is up in the helper namespace). */
async function parent(): Promise<VethFixture> {
  const f = await makeVethFixture('kndc');
  cleanups.push(() => f.cleanup());
  await ip('-n', f.helper, 'link', 'set', f.peerIf, 'up');
  return f;
}

/** Another pod namespace next to the fixture's. */
async function extraPod(f: VethFixture, n: number): Promise<{ name: string; path: string }> {
  const name = `${f.pod}${n}`;
  await ip('netns', 'del', name).catch(() => undefined);
  await ip('netns', 'add', name);
  cleanups.push(() =>
    ip('netns', 'del', name).then(
      () => undefined,
      () => undefined,
    ),
  );
  return { name, path: `/var/run/netns/${name}` };
}

function childPlan(f: VethFixture, extra: Partial<DevicePlan> = {}): DevicePlan {
  return {
    request: 'share',
    poolName: 'node1',
    deviceName: `dev-${f.hostIf}`,
    host: { ifName: f.hostIf },
    podIfName: 'net1',
    mtu: 1400,
    addresses: ['203.0.113.10/24', '2001:db8:1::10/64'],
    routes: [
      { destination: '198.51.100.0/24', gateway: '203.0.113.1' },
      { destination: '198.18.0.0/15', scope: 253 },
    ],
    rules: [],
    neighbors: [],
    ethtoolFeatures: {},
    cdiDeviceIds: [],
    child: { kind: 'macvlan', mode: 'bridge', egressBitsPerSecond: 100_000_000 },
    ...extra,
  };
}

interface IpDetail {
  ifname: string;
  address: string;
  mtu: number;
  ifalias?: string;
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
}
interface TcQdisc {
  kind: string;
  root?: boolean;
  options?: { rate?: number; burst?: number };
}

async function linkDetail(ns: string, ifName: string): Promise<IpDetail | undefined> {
  try {
    return (await ipJson<IpDetail[]>('-n', ns, '-d', 'link', 'show', 'dev', ifName))[0];
  } catch {
    return undefined;
  }
}

async function rootQdisc(ns: string, ifName: string): Promise<TcQdisc | undefined> {
  const { stdout } = await run('tc', ['-n', ns, '-j', 'qdisc', 'show', 'dev', ifName]);
  return (JSON.parse(stdout || '[]') as TcQdisc[]).find((q) => q.root === true);
}

const ids = { claimUid: 'claim-c1', podUid: 'pod-c1' };

describe('shared device: macvlan child in the pod', () => {
  it('creates the child in the pod with name, MTU, stable MAC, addresses, routes, marker and tbf; the parent is unchanged', async () => {
    const f = await parent();
    const before = await snapshot(f.hostIf);
    const ops = new KernelNetnsOps();
    const recorded: unknown[] = [];
    const record = await ops.attach(childPlan(f), f.podPath, ids, {
      onRecord: (r) => {
        recorded.push(r);
        return Promise.resolve();
      },
    });
    const mac = childMac({ claimUid: ids.claimUid, request: 'share', deviceName: `dev-${f.hostIf}` });
    expect(recorded).toHaveLength(1);
    expect(await snapshot(f.hostIf)).toEqual(before);
    const d = await linkDetail(f.pod, 'net1');
    expect(d).toMatchObject({ ifname: 'net1', mtu: 1400, address: mac });
    expect(d?.linkinfo?.info_kind).toBe('macvlan');
    expect(d?.linkinfo?.info_data?.mode).toBe('bridge');
    expect(d?.ifalias?.startsWith(CHILD_MARKER_PREFIX)).toBe(true);
    const inPod = await snapshot('net1', f.pod);
    expect(inPod?.up).toBe(true);
    expect(inPod?.addresses).toEqual(['2001:db8:1::10/64', '203.0.113.10/24']);
    expect(inPod?.routes).toEqual(
      expect.arrayContaining(['198.18.0.0/15 scope link', '198.51.100.0/24 via 203.0.113.1']),
    );
    const q = await rootQdisc(f.pod, 'net1');
    expect(q?.kind).toBe('tbf');
    expect(q?.options?.rate).toBe(12_500_000); // bytes/s
    expect(record).toMatchObject({
      podIfName: 'net1',
      host: { ifName: f.hostIf, mac: before?.mac },
      child: { kind: 'macvlan', mode: 'bridge', request: 'share', mac, egressBitsPerSecond: 100_000_000 },
      result: { ifName: 'net1', mac },
    });

    expect(await ops.detachWithOutcome(record)).toBe('deleted');
    expect(await linkDetail(f.pod, 'net1')).toBeUndefined();
    expect(await snapshot(f.hostIf)).toEqual(before);
    expect(await ops.detachWithOutcome(record)).toBe('gone');
  });

  it('children of one parent in two pods reach each other (bridge mode), each with its own MAC', async () => {
    const f = await parent();
    const other = await extraPod(f, 2);
    const ops = new KernelNetnsOps();
    const noRoutes = { routes: [] };
    const a = await ops.attach(childPlan(f, { ...noRoutes, addresses: ['192.0.2.11/24'] }), f.podPath, ids);
    const b = await ops.attach(childPlan(f, { ...noRoutes, addresses: ['192.0.2.12/24'] }), other.path, {
      claimUid: 'claim-c2',
      podUid: 'pod-c2',
    });
    expect(a.result?.mac).not.toBe(b.result?.mac);
    const { stdout } = await run('ip', [
      'netns',
      'exec',
      f.pod,
      'busybox',
      'ping',
      '-c',
      '2',
      '-W',
      '2',
      '192.0.2.12',
    ]);
    expect(stdout).toMatch(/2 packets received/);
    await ops.detach(a);
    await ops.detach(b);
  });

  it('is idempotent: attaching again adopts the marked child with the same MAC', async () => {
    const f = await parent();
    const ops = new KernelNetnsOps();
    const first = await ops.attach(childPlan(f), f.podPath, ids);
    const second = await ops.attach(childPlan(f), f.podPath, ids);
    expect(second).toEqual(first);
    const links = await ipJson<{ ifname: string }[]>('-n', f.pod, 'link', 'show');
    expect(links.map((l) => l.ifname).sort()).toEqual(['lo', 'net1']);
    await ops.detach(first);
  });

  it.each<AttachStep>(['record', 'create', 'mark', 'addresses', 'up', 'routes', 'shape', 'readback'])(
    'a failure at step %s leaves no child and the parent unchanged',
    async (failAt) => {
      const f = await parent();
      const before = await snapshot(f.hostIf);
      const ops = new KernelNetnsOps({
        beforeStep: (s) => {
          if (s === failAt) throw new Error(`injected at ${s}`);
        },
      });
      const err = await ops.attach(childPlan(f), f.podPath, ids).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AttachError);
      expect((err as AttachError).step).toBe(failAt);
      expect((err as AttachError).rolledBack).toBe(true);
      const links = await ipJson<{ ifname: string }[]>('-n', f.pod, 'link', 'show');
      expect(links.map((l) => l.ifname)).toEqual(['lo']);
      expect(await snapshot(f.hostIf)).toEqual(before);
    },
  );

  it('refuses a pod interface name that is taken, before creating anything', async () => {
    const f = await parent();
    await ip('-n', f.pod, 'link', 'add', 'net1', 'type', 'veth', 'peer', 'name', 'net1p');
    const err = await new KernelNetnsOps().attach(childPlan(f), f.podPath, ids).catch((e: unknown) => e);
    expect(String(err)).toMatch(/interface name net1 is already taken/);
    expect((await linkDetail(f.pod, 'net1'))?.linkinfo?.info_kind).toBe('veth');
  });

  it('names a kernel refusal: MTU above the parent', async () => {
    const f = await parent();
    const err = await new KernelNetnsOps()
      .attach(childPlan(f, { mtu: 9000 }), f.podPath, ids)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachError);
    expect((err as AttachError).step).toBe('create');
    expect(String(err)).toMatch(/EINVAL|ERANGE/);
    expect(await linkDetail(f.pod, 'net1')).toBeUndefined();
  });

  it('private and vepa modes are created as asked', async () => {
    const f = await parent();
    const other = await extraPod(f, 3);
    const ops = new KernelNetnsOps();
    await ops.attach(childPlan(f, { child: { kind: 'macvlan', mode: 'private' } }), f.podPath, ids);
    await ops.attach(childPlan(f, { child: { kind: 'macvlan', mode: 'vepa' } }), other.path, {
      claimUid: 'claim-c3',
      podUid: 'pod-c3',
    });
    expect((await linkDetail(f.pod, 'net1'))?.linkinfo?.info_data?.mode).toBe('private');
    expect((await linkDetail(other.name, 'net1'))?.linkinfo?.info_data?.mode).toBe('vepa');
    expect(await rootQdisc(f.pod, 'net1')).not.toMatchObject({ kind: 'tbf' });
  });

  it('the orphan sweep deletes children of unknown claims only', async () => {
    const f = await parent();
    const ops = new KernelNetnsOps();
    await ops.attach(childPlan(f), f.podPath, ids);
    await ops.attach(childPlan(f, { podIfName: 'net2', addresses: [], routes: [] }), f.podPath, {
      claimUid: 'claim-orphan',
      podUid: ids.podUid,
    });
    await ip('-n', f.pod, 'link', 'add', 'mine0', 'type', 'veth', 'peer', 'name', 'mine1');
    const deleted = await ops.sweepChildren(f.podPath, (c) => c.claimUid === ids.claimUid);
    expect(deleted).toEqual(['net2']);
    const links = await ipJson<{ ifname: string }[]>('-n', f.pod, 'link', 'show');
    expect(links.map((l) => l.ifname).sort()).toEqual(['lo', 'mine0', 'mine1', 'net1']);
    expect(await ops.sweepChildren('/var/run/netns/knd-no-such-ns', () => false)).toEqual([]);
  });

  it('a child dies with its pod namespace: detach reports gone, the parent is unchanged', async () => {
    const f = await parent();
    const before = await snapshot(f.hostIf);
    const gone: string[] = [];
    const ops = new KernelNetnsOps({ onGone: (_r, why) => gone.push(why) });
    const record = await ops.attach(childPlan(f), f.podPath, ids);
    await ip('netns', 'del', f.pod);
    expect(await ops.detachWithOutcome(record)).toBe('gone');
    expect(gone).toHaveLength(1);
    expect(await snapshot(f.hostIf)).toEqual(before);
  });
});
