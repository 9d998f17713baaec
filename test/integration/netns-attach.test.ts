// Kernel tier for node-agent/src/netns: real network namespaces and veth pairs (root needed). The
// test's view of the kernel is iproute2 (`ip -j`), independent of the code under test.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { AttachError, type AttachStep } from '../../node-agent/src/netns/attach.js';
import type { AttachRecord } from '../../node-agent/src/netns/contract.js';
import { KernelNetnsOps } from '../../node-agent/src/netns/kernel-netns-ops.js';
import { ip, makeVethFixture, snapshot, type VethFixture, vethPlan } from './netns-fixture.js';

let fixtures: VethFixture[] = [];
afterEach(async () => {
  for (const f of fixtures) await f.cleanup();
  fixtures = [];
});

async function fixture(): Promise<VethFixture> {
  const f = await makeVethFixture('kndn');
  fixtures.push(f);
  return f;
}

function planFor(f: VethFixture, extra: Partial<DevicePlan> = {}): DevicePlan {
  return vethPlan(f, {
    rules: [{ priority: 1000, source: '203.0.113.10/32', table: 100 }],
    neighbors: [{ destination: '203.0.113.1', hardwareAddr: '02:00:5e:10:00:99' }],
    ethtoolFeatures: { 'tcp-segmentation-offload': false },
    ...extra,
  });
}

const ids = { claimUid: 'claim-1', podUid: 'pod-1' };

describe('attach/detach round trip', () => {
  it('configures the pod side as planned and restores name, MTU, MAC, addresses and routes exactly', async () => {
    const f = await fixture();
    const before = await snapshot(f.hostIf);
    expect(before?.addresses).toEqual([...f.hostAddresses].sort());
    expect(before?.routes.length).toBe(2);
    const ops = new KernelNetnsOps();
    const recorded: AttachRecord[] = [];
    const record = await ops.attach(planFor(f), f.podPath, ids, {
      onRecord: (r) => {
        recorded.push(r);
        return Promise.resolve();
      },
    });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.host).toMatchObject({ ifName: f.hostIf, mtu: 1500, mac: before?.mac, up: true });
    expect([...(recorded[0]?.host.addresses ?? [])].sort()).toEqual([...f.hostAddresses].sort());
    expect(recorded[0]?.host.routes).toHaveLength(2);

    expect(await snapshot(f.hostIf)).toBeUndefined();
    const inPod = await snapshot('net1', f.pod);
    expect(inPod).toMatchObject({ ifName: 'net1', mtu: 9000, mac: '02:00:5e:10:00:01', up: true });
    expect(inPod?.addresses).toEqual(['2001:db8:1::10/64', '203.0.113.10/24']);
    expect(inPod?.routes).toEqual(
      expect.arrayContaining(['198.18.0.0/15 scope link', '198.51.100.0/24 via 203.0.113.1']),
    );
    expect(await ip('-n', f.pod, 'rule', 'show')).toContain('1000:\tfrom 203.0.113.10 lookup 100');
    expect(await ip('-n', f.pod, 'neigh', 'show', 'dev', 'net1')).toContain(
      '203.0.113.1 lladdr 02:00:5e:10:00:99 PERMANENT',
    );
    expect(await ip('netns', 'exec', f.pod, 'ethtool', '-k', 'net1')).toContain(
      'tcp-segmentation-offload: off',
    );
    expect(record.result).toEqual({
      ifName: 'net1',
      mac: '02:00:5e:10:00:01',
      addresses: expect.arrayContaining(['203.0.113.10/24', '2001:db8:1::10/64']),
    });

    await ops.detach(record);
    expect(await snapshot('net1', f.pod)).toBeUndefined();
    expect(await snapshot(f.hostIf)).toEqual(before);
  });

  it('is idempotent: a second attach reports the same result, a second detach changes nothing', async () => {
    const f = await fixture();
    const before = await snapshot(f.hostIf);
    const ops = new KernelNetnsOps();
    const first = await ops.attach(planFor(f), f.podPath, ids);
    const second = await ops.attach(planFor(f), f.podPath, ids);
    expect(second.result).toEqual(first.result);
    expect(second.host).toMatchObject({ ifName: f.hostIf, mtu: 1500, mac: before?.mac, up: true });
    expect(await ops.detachWithOutcome(first)).toBe('moved-back');
    expect(await ops.detachWithOutcome(first)).toBe('already-detached');
    expect(await snapshot(f.hostIf)).toEqual(before);
  });
});

describe('rollback', () => {
  const steps: AttachStep[] = [
    'record',
    'mark',
    'move',
    'addresses',
    'up',
    'routes',
    'rules',
    'neighbors',
    'ethtool',
    'readback',
    'complete',
  ];
  it.each(steps)(
    'a failure injected at step %s leaves the NIC on the host exactly as it was',
    async (step) => {
      const f = await fixture();
      const before = await snapshot(f.hostIf);
      const ops = new KernelNetnsOps({
        beforeStep: (s) => {
          if (s === step) throw new Error(`injected at ${s}`);
        },
      });
      const err = await ops.attach(planFor(f), f.podPath, ids).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AttachError);
      expect((err as AttachError).step).toBe(step);
      expect((err as AttachError).message).toBe(
        `attach step ${step} failed: injected at ${step}; rolled back`,
      );
      expect(await snapshot('net1', f.pod)).toBeUndefined();
      expect(await snapshot(f.hostIf)).toEqual(before);
    },
  );

  it('a combined move the kernel applies only partly (macvlan MTU above its parent) falls back to steps and rolls back', async () => {
    const f = await fixture();
    const mv = `${f.hostIf.slice(0, -1)}m`;
    await ip('link', 'add', mv, 'link', f.hostIf, 'type', 'macvlan', 'mode', 'bridge');
    const before = await snapshot(mv);
    const plan = planFor(f, { host: { ifName: mv }, ethtoolFeatures: {} });
    const err = await new KernelNetnsOps().attach(plan, f.podPath, ids).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachError);
    expect((err as AttachError).step).toBe('mtu');
    expect((err as AttachError).message).toMatch(/set MTU 9000: EINVAL.*; rolled back$/);
    expect(await snapshot(mv)).toEqual(before);
    expect(await ip('-n', f.pod, '-o', 'link')).not.toContain(mv);
  });

  it('a real kernel refusal (gateway not reachable) is named with its errno and rolled back', async () => {
    const f = await fixture();
    const before = await snapshot(f.hostIf);
    const plan = planFor(f, { routes: [{ destination: '198.51.100.0/24', gateway: '192.168.77.1' }] });
    const err = await new KernelNetnsOps().attach(plan, f.podPath, ids).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachError);
    expect((err as AttachError).step).toBe('routes');
    expect((err as AttachError).message).toMatch(
      /add route 198\.51\.100\.0\/24 via 192\.168\.77\.1: ENETUNREACH/,
    );
    expect(await snapshot(f.hostIf)).toEqual(before);
  });
});

describe('detach after the pod network namespace is gone', () => {
  it('veth: the namespace knd holds outlives the runtime removing its bind mount; detach moves the device back intact', async () => {
    const f = await fixture();
    const before = await snapshot(f.hostIf);
    const ops = new KernelNetnsOps();
    const record = await ops.attach(planFor(f), f.podPath, ids);
    expect(ops.holds.size).toBe(1);
    await ip('netns', 'del', f.pod); // what containerd does in StopPodSandbox
    expect(await snapshot(f.peerIf, f.helper)).toBeDefined();
    expect(await ops.detachWithOutcome(record)).toBe('moved-back');
    expect(await snapshot(f.hostIf)).toEqual(before);
    expect(ops.holds.size).toBe(0);
  });

  it('veth not held (agent restarted after the namespace was gone): the kernel destroys it with the namespace; detach reports it gone', async () => {
    const f = await fixture();
    const gone: string[] = [];
    const ops = new KernelNetnsOps({ onGone: (_r, reason) => gone.push(reason) });
    const record = await ops.attach(planFor(f), f.podPath, ids);
    ops.holds.release(record);
    await ip('netns', 'del', f.pod);
    // Namespace teardown is asynchronous in the kernel: wait until the peer is gone too (it may
    // vanish between the link and the route query of one snapshot: that counts as gone).
    const peer = (): Promise<unknown> => snapshot(f.peerIf, f.helper).catch(() => undefined);
    for (let i = 0; i < 100 && (await peer()) !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await peer()).toBeUndefined();
    expect(await ops.detachWithOutcome(record)).toBe('gone');
    expect(gone[0]).toContain('destroyed with its network namespace');
    expect(await ops.detachWithOutcome(record)).toBe('gone');
  });

  it('macvlan not held: destroyed with the namespace too (its parent stays on the host)', async () => {
    const f = await fixture();
    const mv = `${f.hostIf.slice(0, -1)}m`;
    await ip('link', 'add', mv, 'link', f.hostIf, 'type', 'macvlan', 'mode', 'bridge');
    const ops = new KernelNetnsOps();
    const plan = planFor(f, { host: { ifName: mv }, hardwareAddr: '02:00:5e:10:00:02', ethtoolFeatures: {} });
    const record = await ops.attach({ ...plan, mtu: 1400 }, f.podPath, ids);
    ops.holds.release(record); // not held: see the veth case
    await ip('netns', 'del', f.pod);
    let outcome = await ops.detachWithOutcome(record);
    for (let i = 0; i < 100 && outcome !== 'gone'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      outcome = await ops.detachWithOutcome(record);
    }
    expect(outcome).toBe('gone');
    expect(await snapshot(f.hostIf)).toMatchObject({ ifName: f.hostIf, up: true });
  });

  it('a device the kernel returned to the host (as it does for a physical NIC) is found by its alias and restored', async () => {
    const f = await fixture();
    const before = await snapshot(f.hostIf);
    const ops = new KernelNetnsOps();
    const record = await ops.attach(planFor(f), f.podPath, ids);
    // What default_device_exit does for a device without rtnl_link_ops: back to init_net under its
    // pod name (or devN on a clash), down, addresses dropped, alias kept.
    await ip('-n', f.pod, 'link', 'set', 'dev', 'net1', 'down');
    await ip('-n', f.pod, 'link', 'set', 'dev', 'net1', 'netns', '1', 'name', `${f.hostIf.slice(0, -1)}x`);
    await ip('netns', 'del', f.pod);
    expect(await ops.detachWithOutcome(record)).toBe('restored-in-host');
    expect(await snapshot(f.hostIf)).toEqual(before);
  });

  it('an intent record (host state not yet recorded) is restored from the alias marker', async () => {
    const f = await fixture();
    const before = await snapshot(f.hostIf);
    const ops = new KernelNetnsOps();
    const record = await ops.attach(planFor(f), f.podPath, ids);
    const intent: AttachRecord = {
      ...record,
      host: { ifName: f.hostIf, mtu: 0, mac: '', up: false, addresses: [], routes: [] },
    };
    delete intent.result;
    expect(await ops.detachWithOutcome(intent)).toBe('moved-back');
    expect(await snapshot(f.hostIf)).toEqual(before);
  });
});
