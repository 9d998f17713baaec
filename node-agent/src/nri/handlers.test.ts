// Table tests of the pure parts of the NRI handlers, and the handlers against in-memory fakes.
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../lib/util/logger.js';
import type { AttachRecord } from '../netns/contract.js';
import { renderCharDevices } from './create-container.js';
import type { HandlerDeps } from './handler-deps.js';
import { KeyedLock } from './keyed-lock.js';
import { podNetnsPath } from './pod-netns.js';
import { runPodSandbox } from './run-pod-sandbox.js';
import { releaseClaim, stopPodSandbox } from './stop-pod-sandbox.js';
import { decideReconcile, reconcile, SyncCollector } from './synchronize.js';
import { MemoryPlanStore } from '../../../test/support/nri/memory-plan-store.js';
import { RecordingNetns } from '../../../test/support/nri/recording-netns.js';
import { RecordingStatus } from '../../../test/support/nri/recording-status.js';
import { samplePlan, samplePod } from '../../../test/support/sample-plan.js';

function deps(): HandlerDeps & { store: MemoryPlanStore; kernel: RecordingNetns; sink: RecordingStatus } {
  const store = new MemoryPlanStore();
  const kernel = new RecordingNetns();
  const sink = new RecordingStatus();
  return {
    netns: kernel,
    status: sink,
    logger: silentLogger(),
    podLock: new KeyedLock(),
    nowMs: () => performance.now(),
    store,
    kernel,
    sink,
  };
}

const rec = (podUid: string, deviceName: string, confirmed = true): AttachRecord => ({
  claimUid: 'c1',
  podUid,
  deviceName,
  netnsPath: '/ns',
  podIfName: 'net1',
  host: { ifName: 'eth1', mtu: 1500, mac: '', up: true, addresses: [], routes: [] },
  ...(confirmed ? { result: { ifName: 'net1', mac: '02:00:00:00:00:01', addresses: [] } } : {}),
});

describe('podNetnsPath', () => {
  it.each([
    ['network namespace', samplePod('u1', '/var/run/netns/cni-1'), '/var/run/netns/cni-1'],
    ['host network', samplePod('u1', null), undefined],
    [
      'empty path',
      {
        ...samplePod('u1'),
        linux: { namespaces: [{ type: 'network', path: '' }], cgroups_path: '', cgroup_parent: '' },
      },
      undefined,
    ],
    ['no linux section', { ...samplePod('u1'), linux: null }, undefined],
  ])('%s', (_n, pod, expected) => {
    expect(podNetnsPath(pod)).toBe(expected);
  });
});

describe('renderCharDevices', () => {
  const uverbs = {
    path: '/dev/infiniband/uverbs0',
    hostPath: '/dev/infiniband/uverbs0',
    major: 231,
    minor: 192,
    fileMode: 0o666,
    permissions: 'rw',
  };
  const cm = {
    path: '/dev/infiniband/rdma_cm',
    hostPath: '/dev/infiniband/rdma_cm',
    major: 10,
    minor: 58,
    fileMode: 0o666,
    permissions: 'rw',
  };
  it.each([
    ['no rdma', [samplePlan('c1', ['p'], [{}])], []],
    [
      'one device',
      [samplePlan('c1', ['p'], [{ rdma: { device: 'mlx5_0', charDevices: [uverbs, cm] } }])],
      [
        { path: uverbs.path, type: 'c', major: 231, minor: 192, file_mode: { value: 0o666 } },
        { path: cm.path, type: 'c', major: 10, minor: 58, file_mode: { value: 0o666 } },
      ],
    ],
    [
      'rdma_cm shared by two claims appears once',
      [
        samplePlan('c1', ['p'], [{ rdma: { device: 'a', charDevices: [cm] } }]),
        samplePlan('c2', ['p'], [{ rdma: { device: 'b', charDevices: [cm] } }]),
      ],
      [{ path: cm.path, type: 'c', major: 10, minor: 58, file_mode: { value: 0o666 } }],
    ],
  ])('%s', (_n, plans, expected) => {
    expect(renderCharDevices(plans)).toEqual(expected);
  });
});

describe('decideReconcile', () => {
  it.each([
    ['nothing', [], [], [], { orphaned: 0, unconfirmed: 0, attach: [] }],
    [
      'record of a pod that is gone',
      [],
      [rec('gone', 'd0')],
      [],
      { orphaned: 1, unconfirmed: 0, attach: [] },
    ],
    [
      'confirmed record of a running pod',
      ['p1'],
      [rec('p1', 'd0')],
      ['p1'],
      { orphaned: 0, unconfirmed: 0, attach: [] },
    ],
    [
      'intent record of a running pod',
      ['p1'],
      [rec('p1', 'd0', false)],
      ['p1'],
      { orphaned: 0, unconfirmed: 1, attach: ['p1'] },
    ],
    ['running pod with plan, no record', ['p1'], [], ['p1'], { orphaned: 0, unconfirmed: 0, attach: ['p1'] }],
    ['running pod without plan', ['p1'], [], [], { orphaned: 0, unconfirmed: 0, attach: [] }],
  ])('%s', (_n, podUids, records, withPlans, expected) => {
    const r = decideReconcile(
      podUids.map((u) => samplePod(u)),
      records,
      new Set(withPlans),
      new Map(withPlans.map((u) => [u, 1])),
    );
    expect({
      orphaned: r.orphaned.length,
      unconfirmed: r.unconfirmed.length,
      attach: r.attach.map((p) => p.uid),
    }).toEqual(expected);
  });
});

describe('SyncCollector', () => {
  it('returns the whole pod list on the last part of a split Synchronize', () => {
    const c = new SyncCollector();
    expect(c.add([samplePod('a')], true)).toBeUndefined();
    expect(c.add([samplePod('b')], false)?.map((p) => p.uid)).toEqual(['a', 'b']);
    expect(c.add([], false)).toEqual([]);
  });
});

describe('runPodSandbox', () => {
  it('writes an intent record before the attach and the confirmed one after', async () => {
    const d = deps();
    d.store.plans.push(samplePlan('c1', ['p1'], [{}]));
    await runPodSandbox(d, samplePod('p1'));
    await d.podLock.run('p1', () => Promise.resolve()); // the confirmed write follows under the lock
    expect(d.store.writes.map((w) => w.result === undefined)).toEqual([true, false]);
    expect(d.kernel.calls).toEqual([
      { op: 'attach', deviceName: 'dev-0', podUid: 'p1', netnsPath: '/var/run/netns/cni-p1' },
    ]);
    expect(d.sink.ready).toHaveLength(1);
  });

  it('does nothing for a pod without plans', async () => {
    const d = deps();
    expect(await runPodSandbox(d, samplePod('p1'))).toEqual([]);
    expect(d.kernel.calls).toEqual([]);
  });

  it('fails closed: rolls back devices already attached, keeps no records, reports Ready=False', async () => {
    const d = deps();
    d.store.plans.push(samplePlan('c1', ['p1'], [{}, {}, {}]));
    d.kernel.failAttach.add('dev-2');
    await expect(runPodSandbox(d, samplePod('p1'))).rejects.toThrow(
      /attach dev-2 \(eth3\).*injected attach failure/,
    );
    expect(d.kernel.calls.map((c) => `${c.op} ${c.deviceName}`)).toEqual([
      'attach dev-0',
      'attach dev-1',
      'attach dev-2',
      'detach dev-1',
      'detach dev-0',
    ]);
    expect(d.store.records.size).toBe(0);
    expect(d.store.plans).toHaveLength(1);
    expect(d.sink.failures.map((f) => f.reason)).toEqual(['AttachFailed']);
  });

  it.each([
    ['says its rollback is incomplete', 'failAttachUnrolled'],
    ['does not say whether it rolled back (any other error)', 'failAttachPlain'],
  ] as const)(
    'keeps the intent record of a device whose attach %s, so StopPodSandbox detaches it later',
    async (_n, how) => {
      const d = deps();
      d.store.plans.push(samplePlan('c1', ['p1'], [{}, {}]));
      d.kernel[how].add('dev-1');
      await expect(runPodSandbox(d, samplePod('p1'))).rejects.toThrow(/attach dev-/);
      const kept = [...d.store.records.values()];
      expect(kept.map((r) => `${r.deviceName}:${r.result === undefined ? 'intent' : 'confirmed'}`)).toEqual([
        'dev-1:intent',
      ]);
      await stopPodSandbox(d, 'p1');
      expect(d.kernel.calls.map((c) => `${c.op} ${c.deviceName}`)).toEqual([
        'attach dev-0',
        'attach dev-1',
        'detach dev-0',
        'detach dev-1',
      ]);
      expect(d.store.records.size).toBe(0);
    },
  );

  it('refuses a host-network pod with a claimed NIC', async () => {
    const d = deps();
    d.store.plans.push(samplePlan('c1', ['p1'], [{}]));
    await expect(runPodSandbox(d, samplePod('p1', null))).rejects.toThrow(/no network namespace/);
    expect(d.sink.failures[0]?.reason).toBe('NoNetworkNamespace');
  });
});

describe('runPodSandbox with shared claims', () => {
  /** A lookup that adds the pod to plan c1 (as the DRA side does when reservedFor lists it). */
  function sharing(d: ReturnType<typeof deps>, fail?: Error) {
    const asked: string[][] = [];
    d.sharedClaims = {
      addPods: (pods) => {
        asked.push(pods.map((p) => `${p.namespace}/${p.name} (${p.uid})`));
        if (fail) return Promise.reject(fail);
        for (const p of d.store.plans) if (p.claim.uid === 'c1') p.podUids.push(...pods.map((x) => x.uid));
        return Promise.resolve();
      },
    };
    return asked;
  }

  it('asks nothing for a pod whose plan is known (the common case)', async () => {
    const d = deps();
    const asked = sharing(d);
    d.store.plans.push(samplePlan('c1', ['p1'], [{}]));
    await runPodSandbox(d, samplePod('p1'));
    expect(asked).toEqual([]);
    expect(d.kernel.calls.map((c) => c.op)).toEqual(['attach']);
  });

  it('attaches a claim prepared for another pod when the lookup finds the pod shares it', async () => {
    const d = deps();
    const asked = sharing(d);
    d.store.plans.push(samplePlan('c1', ['p1'], [{}]));
    const records = await runPodSandbox(d, samplePod('p2'));
    expect(asked).toEqual([['default/pod-p2 (p2)']]);
    expect(records.map((r) => `${r.claimUid} ${r.podUid}`)).toEqual(['c1 p2']);
    expect(d.sink.ready).toHaveLength(1);
  });

  it('does nothing when the lookup finds no shared claim', async () => {
    const d = deps();
    const asked = sharing(d);
    d.store.plans.push(samplePlan('c9', ['p1'], [{}]));
    expect(await runPodSandbox(d, samplePod('p2'))).toEqual([]);
    expect(asked).toHaveLength(1);
    expect(d.kernel.calls).toEqual([]);
  });

  it('fails the sandbox with UNAVAILABLE when the claims could not be read', async () => {
    const d = deps();
    sharing(
      d,
      new Error('cannot check which claims prepared on this node the pod also uses: claim default/c1: 503'),
    );
    d.store.plans.push(samplePlan('c1', ['p1'], [{}]));
    const err = await runPodSandbox(d, samplePod('p2')).then(
      () => undefined,
      (e: unknown) => e as { code: number; message: string },
    );
    expect(err?.code).toBe(14);
    expect(err?.message).toBe(
      'pod default/pod-p2 (p2): cannot check which claims prepared on this node the pod also uses: claim default/c1: 503',
    );
    expect(d.kernel.calls).toEqual([]);
  });
});

describe('releaseClaim (DRA unprepare)', () => {
  it('gives back what a StopPodSandbox never reached, and nothing a stop already gave back', async () => {
    const d = deps();
    d.store.plans.push(samplePlan('c1', ['p1', 'p2'], [{}]));
    await runPodSandbox(d, samplePod('p1'));
    await runPodSandbox(d, samplePod('p2'));
    // p1's stop and the unprepare race: the stop holds p1's lock first
    const [stopped, released] = await Promise.all([stopPodSandbox(d, 'p1'), releaseClaim(d, 'c1')]);
    expect(stopped).toHaveLength(1);
    expect(released).toBe(1);
    expect(d.kernel.calls.map((c) => c.op)).toEqual(['attach', 'attach', 'detach', 'detach']);
    expect(await releaseClaim(d, 'c1')).toBe(0);
    expect(d.store.plans).toHaveLength(1);
  });
});

describe('stopPodSandbox', () => {
  it('detaches from records and is idempotent', async () => {
    const d = deps();
    d.store.plans.push(samplePlan('c1', ['p1'], [{}]));
    await runPodSandbox(d, samplePod('p1'));
    expect(await stopPodSandbox(d, 'p1')).toHaveLength(1);
    expect(await stopPodSandbox(d, 'p1')).toHaveLength(0);
    expect(d.kernel.calls.map((c) => c.op)).toEqual(['attach', 'detach']);
    expect(d.store.plans).toHaveLength(1);
  });

  it('keeps the record when detach fails, so a retry can finish it', async () => {
    const d = deps();
    d.store.plans.push(samplePlan('c1', ['p1'], [{}]));
    await runPodSandbox(d, samplePod('p1'));
    d.kernel.failDetach.add('dev-0');
    await expect(stopPodSandbox(d, 'p1')).rejects.toThrow(/injected detach failure/);
    expect(d.store.records.size).toBe(1);
    d.kernel.failDetach.clear();
    await stopPodSandbox(d, 'p1');
    expect(d.store.records.size).toBe(0);
  });

  it('waits for a concurrent RunPodSandbox of the same pod and then undoes it', async () => {
    const d = deps();
    d.kernel.delayMs = 30;
    d.store.plans.push(samplePlan('c1', ['p1'], [{}]));
    const run = runPodSandbox(d, samplePod('p1'));
    const stop = stopPodSandbox(d, 'p1');
    await Promise.all([run, stop]);
    expect(d.kernel.calls.map((c) => c.op)).toEqual(['attach', 'detach']);
    expect(d.store.records.size).toBe(0);
  });
});

describe('reconcile after reconnect', () => {
  it('detaches orphans, re-attaches unconfirmed, attaches missed pods, and never deletes plans', async () => {
    const d = deps();
    d.store.plans.push(
      samplePlan('c1', ['running'], [{}]),
      samplePlan('c2', ['gone'], [{}]),
      samplePlan('c3', ['missed'], [{}]),
    );
    await d.store.putAttachRecord({ ...rec('gone', 'dev-0'), claimUid: 'c2' });
    await d.store.putAttachRecord({ ...rec('running', 'dev-0', false), claimUid: 'c1' });
    const r = await reconcile(d, [samplePod('running'), samplePod('missed')]);
    expect(r.orphaned.map((x) => x.podUid)).toEqual(['gone']);
    expect(r.unconfirmed.map((x) => x.podUid)).toEqual(['running']);
    expect(r.attach.map((p) => p.uid).sort()).toEqual(['missed', 'running']);
    expect(d.store.plans).toHaveLength(3);
    expect(
      [...d.store.records.values()].map((x) => `${x.podUid}:${x.result ? 'ok' : 'intent'}`).sort(),
    ).toEqual(['missed:ok', 'running:ok']);
  });
});
