// Benchmark: a shared device's child attach (macvlan created in the pod netns + marker + 2
// addresses + up + 2 routes + tbf egress limit) beside the whole-NIC attach of the same veth
// (move+rename+MTU+MAC, same addresses and routes) and the kernel's bare netns move, cycles
// interleaved in one run; plus the bare create of the child (one RTM_NEWLINK CREATE in the pod
// netns) as the child's own floor. Shows whether a child created in place pays the move floor.
// Needs root. Usage (after `npm run build:native` and the TypeScript build):
//   node dist/bench/child-attach.js [cycles=300] [--json]
import { closeSync, openSync } from 'node:fs';
import { loadavg } from 'node:os';
import { delLink, newMacvlanChild } from '../node-agent/src/netns/child-encode.js';
import { KernelNetnsOps } from '../node-agent/src/netns/kernel-netns-ops.js';
import { NetlinkSocket } from '../node-agent/src/netns/netlink-socket.js';
import { RtnlClient } from '../node-agent/src/netns/rtnl-client.js';
import type { DevicePlan } from '../node-agent/src/plan-store/plan.js';
import { fullAttachDevice, samplePlan } from '../test/support/sample-plan.js';
import { msSince, stats, type Stats } from './latency-stats.js';
import { vethBenchFixture } from './veth-bench-fixture.js';

const { pod: POD, hostIf: HOST_IF, setup, cleanup } = vethBenchFixture('kndbc', { mtu: 9000, peerUp: true });

const device = (extra: Partial<DevicePlan>): DevicePlan =>
  samplePlan(
    'c',
    ['p'],
    [fullAttachDevice({ ifName: HOST_IF }, { poolName: 'bench', deviceName: 'bench-0', ...extra })],
  ).devices[0] as DevicePlan;
const wholeNic = device({});
const child = device({
  request: 'share',
  hardwareAddr: '02:00:5e:10:00:02',
  child: { kind: 'macvlan', mode: 'bridge', egressBitsPerSecond: 1_000_000_000 },
});

async function main(): Promise<void> {
  const cycles = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 300);
  const json = process.argv.includes('--json');
  const warmup = 10;
  await setup();
  const ops = new KernelNetnsOps();
  const podPath = `/var/run/netns/${POD}`;
  const ids = { claimUid: 'c', podUid: 'p' };
  const samples = {
    childAttach: [] as number[],
    childDetach: [] as number[],
    childCreate: [] as number[],
    nicAttach: [] as number[],
    move: [] as number[],
  };
  const load0 = loadavg();
  try {
    for (let i = 0; i < warmup + cycles; i++) {
      const keep = i >= warmup;
      let t0 = process.hrtime.bigint();
      const c = await ops.attach(child, podPath, ids);
      const childAttachMs = msSince(t0);
      t0 = process.hrtime.bigint();
      await ops.detach(c);
      const childDetachMs = msSince(t0);

      t0 = process.hrtime.bigint();
      const n = await ops.attach(wholeNic, podPath, ids);
      const nicAttachMs = msSince(t0);
      await ops.detach(n);

      const root = new RtnlClient(new NetlinkSocket());
      const pod = new RtnlClient(new NetlinkSocket({ netnsPath: podPath }));
      const podFd = openSync(podPath, 'r');
      const hostFd = openSync('/proc/self/ns/net', 'r');
      const link = await root.link({ ifName: HOST_IF });
      if (link === undefined) throw new Error(`${HOST_IF} missing before the bare operations`);
      t0 = process.hrtime.bigint();
      await root.send(
        newMacvlanChild({
          parentIndex: link.index,
          netnsFd: podFd,
          ifName: 'bare1',
          mac: '02:00:5e:10:00:03',
          mode: 'bridge',
        }),
        'bare create',
      );
      const createMs = msSince(t0);
      const bare = await pod.link({ ifName: 'bare1' });
      if (bare === undefined) throw new Error('bare child missing after its create');
      await pod.send(delLink(bare.index), 'bare delete');
      t0 = process.hrtime.bigint();
      await root.setLink(link.index, { netnsFd: podFd }, 'bare move');
      const moveMs = msSince(t0);
      await pod.setLink(link.index, { netnsFd: hostFd, up: true }, 'bare move back');
      closeSync(podFd);
      closeSync(hostFd);
      root.sock.close();
      pod.sock.close();
      if (i === warmup || i === warmup + cycles - 1) {
        if (
          c.result?.ifName !== 'net1' ||
          c.result.mac !== '02:00:5e:10:00:02' ||
          c.result.addresses.length !== 2
        )
          throw new Error(`cycle ${i}: child attach result not as planned: ${JSON.stringify(c.result)}`);
        if (n.result?.ifName !== 'net1' || n.result.addresses.length !== 2)
          throw new Error(`cycle ${i}: whole-NIC attach result not as planned: ${JSON.stringify(n.result)}`);
      }
      if (keep) {
        samples.childAttach.push(childAttachMs);
        samples.childDetach.push(childDetachMs);
        samples.childCreate.push(createMs);
        samples.nicAttach.push(nicAttachMs);
        samples.move.push(moveMs);
      }
    }
  } finally {
    await cleanup();
  }
  const s = {
    childAttach: stats(samples.childAttach),
    childDetach: stats(samples.childDetach),
    childCreate: stats(samples.childCreate),
    nicAttach: stats(samples.nicAttach),
    move: stats(samples.move),
  };
  const f = (x: number): string => x.toFixed(2);
  const r = (x: number, y: number): string => (x / y).toFixed(2);
  const row = (name: string, x: Stats): string =>
    `| ${name} | ${x.n} | ${f(x.p50)} | ${f(x.p95)} | ${f(x.p99)} | ${f(x.max)} | ${f(x.mean)} |`;
  const ratio = (name: string, x: Stats, y: Stats): string =>
    `| ${name} | | ${r(x.p50, y.p50)} | ${r(x.p95, y.p95)} | ${r(x.p99, y.p99)} | ${r(x.max, y.max)} | ${r(x.mean, y.mean)} |`;
  const lines = [
    `load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
    '| ms | n | P50 | P95 | P99 | max | mean |',
    '|---|---|---|---|---|---|---|',
    row('child attach (create in netns + marker + 2 addrs + up + 2 routes + tbf)', s.childAttach),
    row('bare child create (one RTM_NEWLINK CREATE in the pod netns)', s.childCreate),
    row('whole-NIC attach (move+rename+MTU+MAC + 2 addrs + up + 2 routes)', s.nicAttach),
    row('bare netns move (floor of the whole-NIC attach)', s.move),
    ratio('child attach / netns move', s.childAttach, s.move),
    ratio('whole-NIC attach / netns move', s.nicAttach, s.move),
    row('child detach (delete by marker)', s.childDetach),
  ];
  console.log(lines.join('\n'));
  if (json) console.log(JSON.stringify({ ...s, samples }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
