// Kernel tier for the netns pins (node-agent/src/netns/netns-pins.ts): a veth attached to a pod
// must come back to the host even when the agent died (its descriptor holds closed) and the pod's
// network namespace was deleted by the runtime before the agent was back. Real network namespaces
// and a veth pair; iproute2 is the test's independent view of the kernel. Root needed.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/util/logger.js';
import { KernelNetnsOps } from '../../node-agent/src/netns/kernel-netns-ops.js';
import { loadNativeNetlink } from '../../node-agent/src/netns/netlink-socket.js';
import { netnsPinsIn } from '../../node-agent/src/netns/netns-pins.js';
import type { HandlerDeps } from '../../node-agent/src/nri/handler-deps.js';
import { KeyedLock } from '../../node-agent/src/nri/keyed-lock.js';
import { runPodSandbox } from '../../node-agent/src/nri/run-pod-sandbox.js';
import { reconcile } from '../../node-agent/src/nri/synchronize.js';
import type { DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { MemoryPlanStore } from '../support/nri/memory-plan-store.js';
import { RecordingStatus } from '../support/nri/recording-status.js';
import { samplePlan, samplePod } from '../support/sample-plan.js';
import { ip, makeVethFixture, snapshot, type VethFixture, vethPlan } from './netns-fixture.js';

let fixture: VethFixture | undefined;
let stateDir: string | undefined;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = undefined;
  if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  stateDir = undefined;
});

function planFor(f: VethFixture): DevicePlan {
  return vethPlan(f, { hardwareAddr: '02:00:5e:10:00:02', addresses: ['203.0.113.20/24'], routes: [] });
}

/** One agent process: its own KernelNetnsOps (holds, pins) over the persisted state. */
function agent(store: MemoryPlanStore, dir: string): HandlerDeps & { netns: KernelNetnsOps } {
  return {
    store,
    netns: new KernelNetnsOps({ pins: netnsPinsIn(dir, loadNativeNetlink()) }),
    status: new RecordingStatus(),
    logger: silentLogger(),
    podLock: new KeyedLock(),
    nowMs: () => performance.now(),
  };
}

const pinFiles = (dir: string): string[] =>
  existsSync(join(dir, 'pins')) ? readdirSync(join(dir, 'pins')) : [];

const mountsUnder = (dir: string): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4]?.startsWith(`${dir}/`) === true);

describe('a pod network namespace outlives an agent kill', () => {
  it('gives the veth back after the agent died and the runtime deleted the pod netns meanwhile', async () => {
    const f = await makeVethFixture('kndk');
    fixture = f;
    const dir = mkdtempSync(join(tmpdir(), 'knd-pin-'));
    stateDir = dir;
    const before = await snapshot(f.hostIf);
    const store = new MemoryPlanStore();
    store.plans.push(samplePlan('claim-1', ['pod-1'], [planFor(f)]));

    const first = agent(store, dir);
    await runPodSandbox(first, samplePod('pod-1', f.podPath));
    expect(await snapshot(f.hostIf)).toBeUndefined(); // in the pod

    // SIGKILL: every descriptor of the agent closes; then the runtime tears the pod down
    for (const r of store.records.values()) first.netns.holds.release(r);
    expect(first.netns.holds.size).toBe(0);
    await ip('netns', 'del', f.pod);

    // the restarted agent adopts the records and reconciles: the pod is gone
    const second = agent(store, dir);
    expect(second.netns.adopt([...store.records.values()])).toBe(1);
    const decision = await reconcile(second, []);

    expect(decision.orphaned).toHaveLength(1);
    expect(store.records.size).toBe(0);
    expect(await snapshot(f.hostIf)).toEqual(before);
    expect(pinFiles(dir)).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
  });

  it('pins a pod a second time (another device, or an attach retried) while its pin is mounted', () => {
    stateDir = mkdtempSync(join(tmpdir(), 'knd-pin-'));
    const ns = `kndpin${String(process.pid)}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const pins = netnsPinsIn(stateDir, loadNativeNetlink());
      const a = { claimUid: 'c1', podUid: 'p1', deviceName: 'nic-a' };
      const b = { claimUid: 'c1', podUid: 'p1', deviceName: 'nic-b' };
      pins.pin(a, `/run/netns/${ns}`);
      // the pin file is now an nsfs mount, which refuses to be opened for writing (EPERM)
      pins.pin(b, `/run/netns/${ns}`);
      pins.pin(a, `/run/netns/${ns}`);
      expect(pins.path(a)).toBe(join(stateDir, 'pins', 'p1'));
      pins.release(a);
      expect(pins.path(b)).toBe(join(stateDir, 'pins', 'p1'));
      pins.release(b);
      expect(existsSync(join(stateDir, 'pins', 'p1'))).toBe(false);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  it('removes the pin when the attach rolls back', async () => {
    const f = await makeVethFixture('kndk');
    fixture = f;
    const dir = mkdtempSync(join(tmpdir(), 'knd-pin-'));
    stateDir = dir;
    const before = await snapshot(f.hostIf);
    const netns = new KernelNetnsOps({
      pins: netnsPinsIn(dir, loadNativeNetlink()),
      beforeStep: (s) => {
        if (s === 'routes') throw new Error('injected at routes');
      },
    });

    const err = await netns
      .attach(planFor(f), f.podPath, { claimUid: 'claim-1', podUid: 'pod-1' })
      .catch((e: unknown) => e);

    expect(String(err)).toMatch(/injected at routes; rolled back/);
    expect(await snapshot(f.hostIf)).toEqual(before);
    expect(pinFiles(dir)).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
  });
});
