// The plugin's connection state machine against a unit-test runtime peer over a real Unix socket:
// registration, Configure mask, split Synchronize, hooks (dedicated and StateChange fallback),
// UNIMPLEMENTED for other methods, and reconnection after the runtime went away.
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../lib/util/logger.js';
import { startNriPlugin } from './nri-plugin.js';
import type { NriPlugin } from './nri-plugin.js';
import { Event } from './generated/nri-api.js';
import type { PodIdentity, SharedClaimLookup } from './handler-deps.js';
import { FakeRuntime } from '../../../test/support/nri/fake-runtime.js';
import { MemoryPlanStore } from '../../../test/support/nri/memory-plan-store.js';
import { RecordingNetns } from '../../../test/support/nri/recording-netns.js';
import { RecordingStatus } from '../../../test/support/nri/recording-status.js';
import { samplePlan, samplePod } from '../../../test/support/sample-plan.js';
import { Code } from './transport/ttrpc-status.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: { hookBudgetMs?: number; sharedClaims?: SharedClaimLookup } = {}) {
  const runtime = new FakeRuntime();
  await runtime.listen();
  const plans = new MemoryPlanStore();
  const netns = new RecordingNetns();
  const status = new RecordingStatus();
  const connections: boolean[] = [];
  const reconciled: unknown[] = [];
  const plugin: NriPlugin = startNriPlugin({
    store: plans,
    netns,
    status,
    logger: silentLogger(),
    socketPath: runtime.socketPath,
    initialDelayMs: 10,
    maxDelayMs: 50,
    onConnection: (c) => connections.push(c),
    onReconciled: (r) => reconciled.push(r),
    ...(opts.hookBudgetMs !== undefined ? { hookBudgetMs: opts.hookBudgetMs } : {}),
    ...(opts.sharedClaims ? { sharedClaims: opts.sharedClaims } : {}),
  });
  cleanups.push(
    () => runtime.dispose(),
    () => plugin.stop(),
  );
  return { runtime, plans, netns, status, plugin, connections, reconciled };
}

const errorOf = (p: Promise<unknown>): Promise<{ code?: number; message: string }> =>
  p.then(
    () => ({ message: 'resolved' }),
    (e: unknown) => e as { code?: number; message: string },
  );

describe('NRI plugin over a Unix socket', () => {
  it('registers as 10-knd, answers Configure with mask 0x000F and echoes split Synchronize', async () => {
    const { runtime } = await setup();
    const conn = await runtime.nextConnection();
    expect(conn.registration).toMatchObject({ plugin_name: 'knd', plugin_idx: '10' });
    const cfg = await conn.call(
      'Configure',
      'ConfigureRequest',
      {
        runtime_name: 'containerd',
        runtime_version: 'v2.3.7',
        request_timeout: 2000,
        registration_timeout: 5000,
      },
      'ConfigureResponse',
    );
    expect(cfg.events).toBe(0x000f);
    const part1 = await conn.call(
      'Synchronize',
      'SynchronizeRequest',
      { pods: [], more: true },
      'SynchronizeResponse',
    );
    const part2 = await conn.call(
      'Synchronize',
      'SynchronizeRequest',
      { pods: [], more: false },
      'SynchronizeResponse',
    );
    expect([part1.more, part2.more]).toEqual([true, false]);
  });

  it('attaches on RunPodSandbox, adds char devices on CreateContainer, detaches on StopPodSandbox', async () => {
    const { runtime, plans, netns, status } = await setup();
    plans.plans.push(
      samplePlan(
        'c1',
        ['p1'],
        [
          {
            rdma: {
              device: 'mlx5_0',
              charDevices: [
                {
                  path: '/dev/infiniband/uverbs0',
                  hostPath: '/dev/null',
                  major: 1,
                  minor: 3,
                  fileMode: 0o666,
                  permissions: 'rw',
                },
              ],
            },
          },
        ],
      ),
    );
    const conn = await runtime.nextConnection();
    const pod = samplePod('p1');
    await conn.call('RunPodSandbox', 'RunPodSandboxRequest', { pod }, 'RunPodSandboxResponse');
    expect(netns.calls).toEqual([
      { op: 'attach', deviceName: 'dev-0', podUid: 'p1', netnsPath: pod.linux?.namespaces[0]?.path },
    ]);
    expect(status.ready).toHaveLength(1);
    const created = await conn.call(
      'CreateContainer',
      'CreateContainerRequest',
      { pod, container: { id: 'c', name: 'app' } },
      'CreateContainerResponse',
    );
    expect(created.adjust).toMatchObject({
      linux: {
        devices: [
          { path: '/dev/infiniband/uverbs0', type: 'c', major: 1, minor: 3, file_mode: { value: 0o666 } },
        ],
      },
    });
    await conn.call('StopPodSandbox', 'StopPodSandboxRequest', { pod }, 'StopPodSandboxResponse');
    await conn.call('RemovePodSandbox', 'RemovePodSandboxRequest', { pod }, 'RemovePodSandboxResponse');
    expect(netns.calls.map((c) => c.op)).toEqual(['attach', 'detach']);
    expect(plans.records.size).toBe(0);
  });

  it('serves the same hooks through StateChange (runtimes before NRI v0.12)', async () => {
    const { runtime, plans, netns } = await setup();
    plans.plans.push(samplePlan('c1', ['p1'], [{}]));
    const conn = await runtime.nextConnection();
    const pod = samplePod('p1');
    await conn.call('StateChange', 'StateChangeEvent', { event: Event.RUN_POD_SANDBOX, pod }, 'Empty');
    await conn.call('StateChange', 'StateChangeEvent', { event: Event.STOP_POD_SANDBOX, pod }, 'Empty');
    expect(netns.calls.map((c) => c.op)).toEqual(['attach', 'detach']);
  });

  it('answers methods it does not implement with UNIMPLEMENTED (code 12)', async () => {
    const { runtime } = await setup();
    const conn = await runtime.nextConnection();
    const e = await errorOf(
      conn.call('StartContainer', 'StartContainerRequest', {}, 'StartContainerResponse'),
    );
    expect(e).toMatchObject({ code: Code.UNIMPLEMENTED, message: 'method StartContainer' });
  });

  it('fails the sandbox (not the connection) when an attach fails', async () => {
    const { runtime, plans, netns, plugin } = await setup();
    plans.plans.push(samplePlan('c1', ['p1'], [{}, {}]));
    netns.failAttach.add('dev-1');
    const conn = await runtime.nextConnection();
    const e = await errorOf(
      conn.call('RunPodSandbox', 'RunPodSandboxRequest', { pod: samplePod('p1') }, 'RunPodSandboxResponse'),
    );
    expect(e.message).toMatch(/attach dev-1/);
    expect(netns.calls.map((c) => `${c.op} ${c.deviceName}`)).toEqual([
      'attach dev-0',
      'attach dev-1',
      'detach dev-0',
    ]);
    expect(plugin.isConnected()).toBe(true);
  });

  it('answers DEADLINE_EXCEEDED itself when the kernel work overruns the hook budget', async () => {
    const { runtime, plans, netns } = await setup({ hookBudgetMs: 20 });
    netns.delayMs = 100;
    plans.plans.push(samplePlan('c1', ['p1'], [{}]));
    const conn = await runtime.nextConnection();
    const pod = samplePod('p1');
    const e = await errorOf(
      conn.call('RunPodSandbox', 'RunPodSandboxRequest', { pod }, 'RunPodSandboxResponse'),
    );
    expect(e.code).toBe(Code.DEADLINE_EXCEEDED);
    // the runtime then stops the failed sandbox; the stop waits for the attach and undoes it
    await conn
      .call('StopPodSandbox', 'StopPodSandboxRequest', { pod }, 'StopPodSandboxResponse')
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 250));
    await conn.call('StopPodSandbox', 'StopPodSandboxRequest', { pod }, 'StopPodSandboxResponse');
    expect(netns.calls.map((c) => c.op)).toEqual(['attach', 'detach']);
    expect(plans.records.size).toBe(0);
  });

  it('reconnects after the runtime restarts and reconciles on Synchronize without deleting plans', async () => {
    const { runtime, plans, netns, connections, reconciled } = await setup();
    plans.plans.push(samplePlan('c1', ['p1'], [{}]), samplePlan('c2', ['p2'], [{}]));
    let conn = await runtime.nextConnection();
    await conn.call(
      'RunPodSandbox',
      'RunPodSandboxRequest',
      { pod: samplePod('p1') },
      'RunPodSandboxResponse',
    );
    await runtime.stop(); // runtime restart: connection dropped, socket gone for a while
    await new Promise((r) => setTimeout(r, 100));
    await runtime.listen();
    conn = await runtime.nextConnection();
    for (let i = 0; i < 50 && connections.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(connections).toEqual([true, false, true]);
    // p1 went away while we were disconnected; p2 started without us
    await conn.call(
      'Synchronize',
      'SynchronizeRequest',
      { pods: [samplePod('p2')], more: false },
      'SynchronizeResponse',
    );
    for (let i = 0; i < 50 && reconciled.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(reconciled).toEqual([{ orphaned: 1, unconfirmed: 0, attached: 1 }]);
    expect(netns.calls.map((c) => `${c.op} ${c.podUid}`)).toEqual(['attach p1', 'detach p1', 'attach p2']);
    expect(plans.plans).toHaveLength(2);
  });

  it('on Synchronize, looks up shared claims for the running pods before reconciling', async () => {
    const asked: string[][] = [];
    const held: { plans?: MemoryPlanStore } = {};
    const sharedClaims: SharedClaimLookup = {
      addPods: (pods: readonly PodIdentity[]) => {
        asked.push(pods.map((p) => p.uid));
        // p2 started while the plugin was away and shares c1, prepared for p1
        for (const p of held.plans?.plans ?? []) if (p.claim.uid === 'c1') p.podUids.push('p2');
        return Promise.resolve();
      },
    };
    const s = await setup({ sharedClaims });
    held.plans = s.plans;
    s.plans.plans.push(samplePlan('c1', ['p1'], [{}]));
    const conn = await s.runtime.nextConnection();
    await conn.call(
      'Synchronize',
      'SynchronizeRequest',
      { pods: [samplePod('p2')], more: false },
      'SynchronizeResponse',
    );
    for (let i = 0; i < 50 && s.reconciled.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(asked).toEqual([['p2']]);
    expect(s.reconciled).toEqual([{ orphaned: 0, unconfirmed: 0, attached: 1 }]);
    expect(s.netns.calls.map((c) => `${c.op} ${c.podUid}`)).toEqual(['attach p2']);
  });

  it.each([
    ['random bytes', () => randomBytes(64)],
    ['a truncated mux frame', () => Buffer.from([0, 0, 0, 1, 0, 0, 0, 200, 1, 2, 3])],
    ['a mux frame on connection 0', () => Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 9])],
    [
      'a ttrpc frame with an unknown type on connection 1',
      () => Buffer.from([0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1, 9, 0]),
    ],
  ])(
    'survives a runtime that sends %s: the connection closes and the plugin reconnects',
    async (_n, garbage) => {
      const dir = mkdtempSync(join(tmpdir(), 'knd-nri-garbage-'));
      const path = join(dir, 'nri.sock');
      let accepted = 0;
      const server = createServer((socket) => {
        accepted++;
        socket.on('error', () => undefined);
        socket.write(garbage());
        // a truncated frame never completes: the runtime side gives up after a while, like a
        // registration timeout; closing here ends that session
        setTimeout(() => socket.destroy(), 50);
      });
      await new Promise<void>((r) => server.listen(path, r));
      const plugin = startNriPlugin({
        store: new MemoryPlanStore(),
        netns: new RecordingNetns(),
        status: new RecordingStatus(),
        logger: silentLogger(),
        socketPath: path,
        initialDelayMs: 5,
        maxDelayMs: 20,
        registrationTimeoutMs: 200,
      });
      for (let i = 0; i < 100 && accepted < 3; i++) await new Promise((r) => setTimeout(r, 20));
      await plugin.stop();
      await new Promise<void>((r) =>
        server.close(() => {
          r();
        }),
      );
      rmSync(dir, { recursive: true, force: true });
      expect(accepted).toBeGreaterThanOrEqual(3);
      expect(plugin.isConnected()).toBe(false);
    },
  );

  it('rejects an invalid plugin identity at start', () => {
    expect(() =>
      startNriPlugin({
        store: new MemoryPlanStore(),
        netns: new RecordingNetns(),
        status: new RecordingStatus(),
        logger: silentLogger(),
        pluginIdx: '7',
        pluginName: 'bad name',
      }),
    ).toThrow(/pluginName: "bad name".*pluginIdx: "7" must be exactly two digits/);
  });
});
