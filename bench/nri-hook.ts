// RunPodSandbox hook latency through the real containerd, next to its floor, in one run.
//
// For each of N rounds (interleaved, so both see the same machine state):
//   hook:  a fresh veth is planned for a new pod uid (MTU 9000, MAC, 2 addresses, 2 routes);
//          `crictl runp` makes containerd call knd's NRI plugin, which attaches it with the real
//          NetnsOps and the real plan store; the plugin's own measurement of the hook (request
//          decoded -> answer ready: plan lookup, intent record, attach, confirmed record) is taken;
//          NetnsOps.attach alone is timed too. Then stopp/rmp (untimed).
//   floor: the bare kernel netns move of a veth: ONE RTM_NEWLINK with IFLA_NET_NS_FD through the
//          same in-process netlink addon, into a namespace created for the bench; moved back untimed.
// Output: P50/P90/P99/max of each and the ratios hook/floor (target: hook P99 <= 1.3 x floor P99).
//
// Run (root, node tier available):
//   npx tsc -p tsconfig.build.json --outDir /tmp/knd-dist && node /tmp/knd-dist/bench/nri-hook.js [rounds]
// from the repository root (the node-tier scripts, proto/nri and the netlink addon are found there).
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../lib/util/logger.js';
import type { NetnsOps } from '../node-agent/src/netns/contract.js';
import { NetlinkSocket } from '../node-agent/src/netns/netlink-socket.js';
import { RtnlClient } from '../node-agent/src/netns/rtnl-client.js';
import { startNriPlugin } from '../node-agent/src/nri/nri-plugin.js';
import type { AttachPlan } from '../node-agent/src/plan-store/plan.js';
import { crictl, ensureContainerd, stopKubelet } from '../test/support/node.js';
import { openPlanStore, realNetnsOps } from '../test/e2e/nri-runtime-deps.js';
import { fullAttachDevice, samplePlan } from '../test/support/sample-plan.js';
import { summarize } from './discovery-stats.js';

const pexec = promisify(execFile);
const rounds = Number(process.argv[2] ?? 100);
const warmup = 5;
const tag = randomBytes(2).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'knd-nri-bench-'));
const floorNs = `kndbf${tag}`;

const ip = async (...args: string[]): Promise<string> =>
  (await pexec('ip', args, { encoding: 'utf8' })).stdout;

/** The shared full attach (test/support/sample-plan.ts) of one veth, planned for a new pod. */
function plan(podUid: string, ifName: string, mac: string): AttachPlan {
  return samplePlan(randomUUID(), [podUid], [fullAttachDevice({ ifName, mac }, { poolName: 'bench' })], {
    claimName: `bench-${podUid.slice(0, 8)}`,
    preparedAt: new Date().toISOString(),
  });
}

async function main(): Promise<void> {
  const repoRoot = process.cwd();
  process.env.KND_NETLINK_ADDON ??= join(
    repoRoot,
    'node-agent',
    'native',
    'build',
    'Release',
    'knd_netlink.node',
  );
  const node = { repoRoot };
  const info = await ensureContainerd(node);
  await stopKubelet(node);
  const netns: NetnsOps = await realNetnsOps();
  const attachMs: number[] = [];
  const timedNetns: NetnsOps = {
    attach: async (d, p, ids) => {
      const t = process.hrtime.bigint();
      const r = await netns.attach(d, p, ids);
      attachMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      return r;
    },
    detach: (r) => netns.detach(r),
  };
  const store = await openPlanStore(join(work, 'plans'));
  const hookMs: number[] = [];
  const plugin = startNriPlugin({
    store,
    netns: timedNetns,
    status: { attached: () => undefined, failed: () => undefined },
    logger: silentLogger(),
    socketPath: info.nriSocketPath,
    onHook: (h) => {
      if (h.method === 'RunPodSandbox' && h.ok) hookMs.push(h.durationMs);
    },
  });
  await plugin.firstRegistration;

  await ip('netns', 'add', floorNs);
  const floorFd = openSync(`/var/run/netns/${floorNs}`, 'r');
  const rootFd = openSync('/proc/self/ns/net', 'r');
  const rootSock = new NetlinkSocket();
  const podSock = new NetlinkSocket({ netnsPath: `/var/run/netns/${floorNs}` });
  const root = new RtnlClient(rootSock);
  const pod = new RtnlClient(podSock);
  const floorMs: number[] = [];
  const hookSamples: number[] = [];
  const attachSamples: number[] = [];
  try {
    for (let i = 0; i < warmup + rounds; i++) {
      // floor: one netns move of a veth
      const f = `kndbf${tag}h`;
      await ip('link', 'add', f, 'type', 'veth', 'peer', 'name', `kndbf${tag}p`);
      const link = await root.link({ ifName: f });
      if (!link) throw new Error(`veth ${f} not found`);
      const t = process.hrtime.bigint();
      await root.setLink(link.index, { netnsFd: floorFd }, 'floor move');
      const moved = Number(process.hrtime.bigint() - t) / 1e6;
      const inPod = await pod.link({ ifName: f });
      if (!inPod) throw new Error(`veth ${f} did not arrive in ${floorNs}`);
      await pod.setLink(inPod.index, { netnsFd: rootFd }, 'floor move back');
      await ip('link', 'del', f);

      // hook: one sandbox through containerd
      const h = `kndbh${tag}${i % 10}`;
      const mac = `02:00:5e:20:${tag.slice(0, 2)}:${(i % 200).toString(16).padStart(2, '0')}`;
      await ip('link', 'add', h, 'address', mac, 'type', 'veth', 'peer', 'name', `kndbp${tag}${i % 10}`);
      const uid = randomUUID();
      const p = plan(uid, h, mac);
      await store.putPlanThisBoot(p);
      const cfg = join(work, 'pod.json');
      writeFileSync(
        cfg,
        JSON.stringify({
          metadata: { name: `bench-${tag}-${i}`, namespace: 'default', uid, attempt: 0 },
          log_directory: join(work, 'logs'),
          linux: {},
        }),
      );
      const before = hookMs.length;
      const id = (await crictl(['runp', cfg], node)).trim();
      await crictl(['rmp', '-f', id], node);
      await store.deletePlan(p.claim.uid); // what DRA unprepare does; keeps the store at one plan
      await ip('link', 'del', h);
      if (hookMs.length !== before + 1) throw new Error(`round ${i}: expected one RunPodSandbox hook sample`);
      if (i >= warmup) {
        floorMs.push(moved);
        hookSamples.push(hookMs.at(-1) ?? Number.NaN);
        attachSamples.push(attachMs.at(-1) ?? Number.NaN);
      }
    }
  } finally {
    rootSock.close();
    podSock.close();
    closeSync(floorFd);
    closeSync(rootFd);
    await ip('netns', 'del', floorNs).catch(() => undefined);
    await plugin.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const floor = summarize('floor: kernel netns move (1 RTM_NEWLINK)', floorMs);
  const hook = summarize('RunPodSandbox hook (plugin-side)', hookSamples);
  const attach = summarize('NetnsOps.attach alone', attachSamples);
  console.table([floor, attach, hook]);
  const ratio = (a: Record<string, string | number>, k: string): number =>
    Math.round((Number(a[k]) / Number(floor[k])) * 100) / 100;
  console.log(
    JSON.stringify({
      rounds,
      ratioHookP50: ratio(hook, 'p50Ms'),
      ratioHookP99: ratio(hook, 'p99Ms'),
      ratioAttachP99: ratio(attach, 'p99Ms'),
      targetHookP99: 1.3,
      met: ratio(hook, 'p99Ms') <= 1.3,
    }),
  );
}

await main();
