// Kernel tier for the attach guard (node-agent/src/cdi/attach-guard.ts): the generated createRuntime
// hook run by /bin/sh exactly as runc runs it, with the OCI state of a process that lives in a real
// pod network namespace, while KernelNetnsOps (with the agent's completion marks) attaches and
// detaches a veth there. The guard must let a container start only after a COMPLETED attach.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttachCompletionFiles } from '../../node-agent/src/cdi/attach-completion.js';
import { attachGuardHook } from '../../node-agent/src/cdi/attach-guard.js';
import { AttachError } from '../../node-agent/src/netns/attach.js';
import { KernelNetnsOps } from '../../node-agent/src/netns/kernel-netns-ops.js';
import type { DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { ip, makeVethFixture, type VethFixture } from './netns-fixture.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

interface Setup {
  f: VethFixture;
  marks: AttachCompletionFiles;
  /** Runs the guard for the planned device with the OCI state of a process in the pod netns. */
  guard: (podIfName?: string) => { status: number | null; stderr: string };
  plan: DevicePlan;
}

const ids = { claimUid: 'c0ffee00-0000-4000-8000-000000000001', podUid: 'pod-1' };

async function setup(): Promise<Setup> {
  const f = await makeVethFixture('kndg');
  cleanups.push(() => f.cleanup());
  const dir = await mkdtemp(join(tmpdir(), 'knd-guard-netns-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const marks = new AttachCompletionFiles(join(dir, 'attached'));
  // the container's init process: something living in the pod network namespace
  const proc: ChildProcess = spawn('ip', ['netns', 'exec', f.pod, 'sleep', '60'], { stdio: 'ignore' });
  cleanups.push(() => {
    proc.kill('SIGKILL');
    return Promise.resolve();
  });
  const pid = proc.pid;
  if (pid === undefined) throw new Error('cannot start a process in the pod netns');
  const inPod = (): boolean =>
    spawnSync('sh', ['-c', `[ /proc/${String(pid)}/ns/net -ef ${f.podPath} ]`]).status === 0;
  for (let i = 0; i < 100 && !inPod(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(inPod()).toBe(true);
  const plan: DevicePlan = {
    request: 'nic',
    poolName: 'node1',
    deviceName: `dev-${f.hostIf}`,
    host: { ifName: f.hostIf },
    podIfName: 'net1',
    mtu: 1500,
    addresses: ['203.0.113.10/24'],
    routes: [],
    rules: [],
    neighbors: [],
    ethtoolFeatures: {},
    cdiDeviceIds: [],
  };
  const guard = (podIfName = 'net1'): { status: number | null; stderr: string } => {
    const hook = attachGuardHook(
      podIfName,
      'team-a/storage',
      plan.deviceName,
      marks.path(ids.claimUid, plan.deviceName),
    );
    const [argv0, ...rest] = hook.args;
    const r = spawnSync(hook.path, rest, {
      input: JSON.stringify({ ociVersion: '1.2.1', id: 'c1', status: 'creating', pid, bundle: '/run/b' }),
      encoding: 'utf8',
      argv0: argv0 ?? 'sh',
      timeout: hook.timeout * 1000,
    });
    return { status: r.status, stderr: r.stderr };
  };
  return { f, marks, guard, plan };
}

describe('attach guard against a real pod network namespace', () => {
  it('refuses before the attach, allows after a completed attach, refuses again after the detach', async () => {
    const { f, marks, guard, plan } = await setup();
    const ops = new KernelNetnsOps({ completion: marks });
    expect(guard()).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('interface net1 is not in the pod'),
    });

    const record = await ops.attach(plan, f.podPath, ids);
    expect(guard()).toEqual({ status: 0, stderr: '' });

    await ops.detach(record);
    expect(guard()).toMatchObject({ status: 1 });
  });

  it('an agent that died mid-attach (NIC in the pod under its pod name, not configured): refused', async () => {
    const { f, guard } = await setup();
    // what the pod holds when the agent died right after the move: the interface, nothing else
    await ip('link', 'set', 'dev', f.hostIf, 'netns', f.pod, 'name', 'net1');
    const r = guard();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'interface net1 is in the pod network namespace but its attach has not completed',
    );
  });

  it('a failed attach (rolled back after the NIC was configured in the pod) leaves no mark behind', async () => {
    const { f, marks, guard, plan } = await setup();
    const ops = new KernelNetnsOps({
      completion: marks,
      beforeStep: (s) => {
        if (s === 'readback') throw new Error('injected at readback');
      },
    });
    const err = await ops.attach(plan, f.podPath, ids).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachError);
    expect(guard()).toMatchObject({ status: 1 });
  });

  it('a completion mark naming another pod network namespace does not count', async () => {
    const { f, marks, guard, plan } = await setup();
    const other = await makeVethFixture('kndg');
    cleanups.push(() => other.cleanup());
    await new KernelNetnsOps({ completion: marks }).attach(plan, f.podPath, ids);
    await marks.set({
      ...ids,
      deviceName: plan.deviceName,
      netnsPath: other.podPath,
      podIfName: 'net1',
      host: { ifName: f.hostIf, mtu: 0, mac: '', up: false, addresses: [], routes: [] },
    });
    expect(guard()).toMatchObject({ status: 1 });
  });

  it('the header words of /proc/<pid>/net/dev are not interfaces', async () => {
    const { guard } = await setup();
    for (const word of ['Transmit', 'compressed']) {
      expect(guard(word)).toMatchObject({
        status: 1,
        stderr: expect.stringContaining(`interface ${word} is not`),
      });
    }
  });
});
