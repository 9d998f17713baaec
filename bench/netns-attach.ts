// Benchmark: KernelNetnsOps.attach/detach of a veth (move+rename+MTU+MAC, 2 addresses, up, 2 routes)
// against the bare kernel netns move of the same veth (one RTM_NEWLINK with IFLA_NET_NS_FD), in the
// same run, cycles interleaved. Prints P50/P95/P99/max/mean and the ratios side by side as a
// markdown table, plus JSON with --json. Needs root. Usage (after `npm run build:native` and the
// TypeScript build): node dist/bench/netns-attach.js [cycles=300] [--json]
import { closeSync, openSync } from 'node:fs';
import { loadavg } from 'node:os';
import { KernelNetnsOps } from '../node-agent/src/netns/kernel-netns-ops.js';
import { NetlinkSocket } from '../node-agent/src/netns/netlink-socket.js';
import { RtnlClient } from '../node-agent/src/netns/rtnl-client.js';
import type { DevicePlan } from '../node-agent/src/plan-store/plan.js';
import { msSince, stats, type Stats } from './latency-stats.js';
import { vethBenchFixture } from './veth-bench-fixture.js';
import { fullAttachDevice, samplePlan } from '../test/support/sample-plan.js';

const { pod: POD, hostIf: HOST_IF, setup, cleanup } = vethBenchFixture('kndbn', { mtu: 1500, peerUp: false });

// the shared full attach (test/support/sample-plan.ts)
const plan = samplePlan(
  'c',
  ['p'],
  [fullAttachDevice({ ifName: HOST_IF }, { poolName: 'bench', deviceName: 'bench-0' })],
).devices[0] as DevicePlan;

const ms = msSince;

async function main(): Promise<void> {
  const cycles = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 300);
  const json = process.argv.includes('--json');
  const warmup = 10;
  await setup();
  const ops = new KernelNetnsOps();
  const podPath = `/var/run/netns/${POD}`;
  const samples = {
    attach: [] as number[],
    detach: [] as number[],
    move: [] as number[],
    moveBack: [] as number[],
  };
  const load0 = loadavg();
  try {
    for (let i = 0; i < warmup + cycles; i++) {
      const keep = i >= warmup;
      // Full attach and detach through NetnsOps.
      let t0 = process.hrtime.bigint();
      const record = await ops.attach(plan, podPath, { claimUid: 'c', podUid: 'p' });
      const attachMs = ms(t0);
      t0 = process.hrtime.bigint();
      await ops.detach(record);
      const detachMs = ms(t0);
      // Bare move of the same veth there and back (the kernel floor), one message each way.
      const root = new RtnlClient(new NetlinkSocket());
      const pod = new RtnlClient(new NetlinkSocket({ netnsPath: podPath }));
      const podFd = openSync(podPath, 'r');
      const hostFd = openSync('/proc/self/ns/net', 'r');
      const link = await root.link({ ifName: HOST_IF });
      if (link === undefined) throw new Error(`${HOST_IF} missing before the bare move`);
      t0 = process.hrtime.bigint();
      await root.setLink(link.index, { netnsFd: podFd }, 'bare move');
      const moveMs = ms(t0);
      t0 = process.hrtime.bigint();
      await pod.setLink(link.index, { netnsFd: hostFd, up: true }, 'bare move back');
      const moveBackMs = ms(t0);
      closeSync(podFd);
      closeSync(hostFd);
      root.sock.close();
      pod.sock.close();
      if (i === warmup || i === warmup + cycles - 1) {
        if (
          record.result?.ifName !== 'net1' ||
          record.result.mac !== '02:00:5e:10:00:01' ||
          record.result.addresses.length !== 2
        ) {
          throw new Error(`cycle ${i}: attach result not as planned: ${JSON.stringify(record.result)}`);
        }
      }
      if (keep) {
        samples.attach.push(attachMs);
        samples.detach.push(detachMs);
        samples.move.push(moveMs);
        samples.moveBack.push(moveBackMs);
      }
    }
  } finally {
    await cleanup();
  }
  const a = stats(samples.attach);
  const m = stats(samples.move);
  const d = stats(samples.detach);
  const b = stats(samples.moveBack);
  const f = (x: number): string => x.toFixed(1);
  const r = (x: number, y: number): string => (x / y).toFixed(2);
  const row = (name: string, s: Stats): string =>
    `| ${name} | ${s.n} | ${f(s.p50)} | ${f(s.p95)} | ${f(s.p99)} | ${f(s.max)} | ${f(s.mean)} |`;
  const lines = [
    `load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
    '| ms | n | P50 | P95 | P99 | max | mean |',
    '|---|---|---|---|---|---|---|',
    row('attach (NetnsOps: move+rename+MTU+MAC, 2 addrs, up, 2 routes)', a),
    row('bare netns move (floor)', m),
    `| attach / floor | | ${r(a.p50, m.p50)} | ${r(a.p95, m.p95)} | ${r(a.p99, m.p99)} | ${r(a.max, m.max)} | ${r(a.mean, m.mean)} |`,
    row('detach (NetnsOps: move back + name/MTU/MAC/up)', d),
    row('bare move back (floor)', b),
    `| detach / floor | | ${r(d.p50, b.p50)} | ${r(d.p95, b.p95)} | ${r(d.p99, b.p99)} | ${r(d.max, b.max)} | ${r(d.mean, b.mean)} |`,
  ];
  console.log(lines.join('\n'));
  if (json) console.log(JSON.stringify({ attach: a, move: m, detach: d, moveBack: b, samples }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
