// Idle footprint of the discovery + publishing half of the agent: a child process runs
// startInventory (live /sys, netlink facts and notifications, 30 s resync) feeding startPublisher
// for a fake Node on the real apiserver. After it is synced, RSS (VmRSS) and CPU time are sampled
// for `seconds`, next to a bare `node` process doing nothing, for the ratio.
// Run: KND_KUBECONFIG=... node /tmp/knd-dist/bench/discovery-agent-rss.js [seconds]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { DRIVER_NAME } from '../lib/api/constants.js';
import { createLogger } from '../lib/util/logger.js';
import { startInventory } from '../node-agent/src/inventory/inventory.js';
import { startPublisher } from '../node-agent/src/publish/publisher.js';

function kubeConfig(): KubeConfig {
  const path = process.env['KND_KUBECONFIG'];
  if (!path) throw new Error('set KND_KUBECONFIG to the test control plane');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

async function child(nodeName: string): Promise<void> {
  const kc = kubeConfig();
  const logger = createLogger({ level: 'warn' });
  const pub = startPublisher({ kubeConfig: kc, nodeName, driverName: DRIVER_NAME, logger });
  const inv = startInventory({
    logger,
    optInVirtualTypes: ['veth'],
    onChange: (d) => {
      pub.update(d);
    },
  });
  await inv.ready;
  await pub.waitForSync(60_000);
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    inv.stop();
    void pub.stop({ deleteSlices: true }).then(() => process.exit(0));
  });
}

async function sample(pid: number): Promise<{ rssKiB: number; cpuTicks: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const rss = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return { rssKiB: Number(rss), cpuTicks: Number(stat[11]) + Number(stat[12]) };
}

function waitReady(c: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    c.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve();
    });
    c.on('exit', (code) => {
      reject(new Error(`agent child exited with ${code}`));
    });
  });
}

async function measure(c: ChildProcess, seconds: number): Promise<Record<string, number>> {
  const pid = c.pid ?? 0;
  const first = await sample(pid);
  const rss: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rss.push((await sample(pid)).rssKiB);
  }
  const last = await sample(pid);
  rss.sort((a, b) => a - b);
  return {
    rssMedianMiB: Math.round(((rss[Math.floor(rss.length / 2)] ?? 0) / 1024) * 10) / 10,
    rssMaxMiB: Math.round(((rss.at(-1) ?? 0) / 1024) * 10) / 10,
    cpuPercent: Math.round(((last.cpuTicks - first.cpuTicks) / 100 / seconds) * 1000) / 10,
  };
}

async function parent(seconds: number): Promise<void> {
  const kc = kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const nodeName = `knd-rss-${Math.random().toString(16).slice(2, 8)}`;

  const body: V1Node = { metadata: { name: nodeName } };
  await core.createNode({ body });
  const agent = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', nodeName], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    await waitReady(agent);
    const [a, b] = await Promise.all([measure(agent, seconds), measure(bare, seconds)]);
    console.log(`idle footprint over ${seconds} s (live host, real apiserver)`);
    console.table({ 'inventory + publisher': a, 'bare node process': b });
  } finally {
    agent.kill('SIGTERM');
    bare.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await core.deleteNode({ name: nodeName });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3] ?? 'knd-rss');
else await parent(Number(process.argv[2] ?? 20));
