// Kernel tier: the egress share of a shared device's child is enforced by the kernel. Two pods
// with children of one veth parent, each limited to 100 Mbit/s, send to an iperf3 server behind
// the parent at the same time; a third pod's child of another parent has no limit. Root, iperf3
// (Debian `iperf3`) and busybox; no cluster or node. Measured with iperf3's own JSON report.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DevicePlan } from '../../node-agent/src/plan-store/plan.js';
import { KernelNetnsOps } from '../../node-agent/src/netns/kernel-netns-ops.js';
import type { AttachRecord } from '../../node-agent/src/netns/contract.js';
import { ip, makeVethFixture, type VethFixture } from './netns-fixture.js';

const run = promisify(execFile);
const LIMIT_BPS = 100_000_000;
const SECONDS = 5;

interface IperfReport {
  end: { sum_received: { bits_per_second: number } };
}

function plan(f: VethFixture, address: string, egressBitsPerSecond?: number): DevicePlan {
  return {
    request: 'share',
    poolName: 'node1',
    deviceName: `dev-${f.hostIf}`,
    host: { ifName: f.hostIf },
    podIfName: 'net1',
    addresses: [address],
    routes: [],
    rules: [],
    neighbors: [],
    ethtoolFeatures: {},
    cdiDeviceIds: [],
    child: { kind: 'macvlan', mode: 'bridge', ...(egressBitsPerSecond ? { egressBitsPerSecond } : {}) },
  };
}

const fixtures: VethFixture[] = [];
const pods: string[] = [];
const servers: ChildProcess[] = [];
const records: AttachRecord[] = [];
const ops = new KernelNetnsOps();

async function pod(name: string): Promise<string> {
  await ip('netns', 'del', name).catch(() => undefined);
  await ip('netns', 'add', name);
  pods.push(name);
  return `/var/run/netns/${name}`;
}

function server(ns: string, port: number): void {
  servers.push(
    spawn('ip', ['netns', 'exec', ns, 'iperf3', '-s', '-1', '-p', String(port)], { stdio: 'ignore' }),
  );
}

async function client(ns: string, target: string, port: number): Promise<number> {
  const { stdout } = await run(
    'ip',
    ['netns', 'exec', ns, 'iperf3', '-c', target, '-p', String(port), '-t', String(SECONDS), '-J'],
    { maxBuffer: 8 << 20 },
  );
  return (JSON.parse(stdout) as IperfReport).end.sum_received.bits_per_second;
}

let shared: VethFixture;
let other: VethFixture;

beforeAll(async () => {
  shared = await makeVethFixture('knds');
  other = await makeVethFixture('knds');
  fixtures.push(shared, other);
  for (const [f, addr] of [
    [shared, '192.0.2.1/24'],
    [other, '198.18.0.1/24'],
  ] as const) {
    await ip('-n', f.helper, 'addr', 'add', addr, 'dev', f.peerIf);
    await ip('-n', f.helper, 'link', 'set', f.peerIf, 'up');
  }
  const ids = (n: number): { claimUid: string; podUid: string } => ({
    claimUid: `claim-s${n}`,
    podUid: `pod-s${n}`,
  });
  records.push(await ops.attach(plan(shared, '192.0.2.11/24', LIMIT_BPS), await pod('kndsA'), ids(1)));
  records.push(await ops.attach(plan(shared, '192.0.2.12/24', LIMIT_BPS), await pod('kndsB'), ids(2)));
  records.push(await ops.attach(plan(other, '198.18.0.13/24'), await pod('kndsC'), ids(3)));
  server(shared.helper, 5301);
  server(shared.helper, 5302);
  server(other.helper, 5303);
  await new Promise((r) => setTimeout(r, 500));
});

afterAll(async () => {
  for (const s of servers) s.kill();
  for (const r of records) await ops.detach(r);
  for (const p of pods) await ip('netns', 'del', p).catch(() => undefined);
  for (const f of fixtures) await f.cleanup();
});

describe('egress share enforced on the child', () => {
  it('two 100 Mbit/s children of one parent each get 100 Mbit/s ±10 % while an unlimited child is not held back', async () => {
    const [a, b, c] = await Promise.all([
      client('kndsA', '192.0.2.1', 5301),
      client('kndsB', '192.0.2.1', 5302),
      client('kndsC', '198.18.0.1', 5303),
    ]);
    const mbit = (x: number): string => (x / 1e6).toFixed(1);
    process.stdout.write(`iperf3 ${SECONDS}s: A ${mbit(a)} B ${mbit(b)} unlimited C ${mbit(c)} Mbit/s\n`);
    for (const got of [a, b]) {
      expect(got).toBeGreaterThan(LIMIT_BPS * 0.9);
      expect(got).toBeLessThan(LIMIT_BPS * 1.1);
    }
    expect(c).toBeGreaterThan(LIMIT_BPS * 2);
  });
});
