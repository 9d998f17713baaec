// Pod startup latency with and without a knd network claim, on the real node, side by side in one run,
// beside the KND paper's numbers (A. Ojea, "The Kubernetes Network Driver Model", 2025; DraNet on GKE:
// P50 1.8 s, P90 2.1 s, P99 2.3 s).
//
// Setup: the control plane (test/cluster/up.sh, left running), the node (kubelet + containerd,
// test/cluster/node-up.sh), N veth pairs as NICs (host ends kndB0..), the real operator and agent as
// processes (test/support/agent-process.ts), one NetworkDeviceClass selecting kndB* and one
// NetworkProfile (net1, one address, one route).
// Measurement, two phases in one run (the issue-18 table for knd): N busybox pods with a claim and N
// without, interleaved (claim, plain, ...), first one at a time, then in waves of P (a wave starts
// when the previous one is Ready); each phase's pods are deleted (NICs back) before the next.
// Latency = pod created (just before the POST) -> Ready=True seen on a watch.
// Driver cost: the agent's exact NodePrepareResources latency per call ('dra call' log lines) and
// its RunPodSandbox NRI hook for the claim pods ('nri hook' log lines); the agent's RSS idle (median
// of 5 s after warm-up and settling) and peak (sampled every 200 ms through both phases); its CPU
// time (user + system, /proc/<pid>/stat) while each phase's pods start.
// Output: the driver-cost table (prepare, hook, RSS, CPU), then creation -> Ready per phase and kind.
// Only knd is measured: the Go peer (DraNet) is not built here.
// Run (root, from the repository root):
//   npx tsc -p tsconfig.build.json && node dist/bench/pod-startup.js [--pods N (30)] [--parallel P (10)] [--warmup W (2)] [--nics K (52)]
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { percentile } from './discovery-stats.js';
import {
  repoRootOf,
  runDirOf,
  startAgent,
  startKndOperator,
  waitKubeletRegistered,
} from '../test/support/agent-process.js';
import type { ManagedProcess } from '../test/support/agent-process.js';
import { ensureNode, kubectl } from '../test/support/node.js';
import {
  apply,
  busyboxPod,
  createTestNics,
  deviceClass,
  hostNicState,
  installCrds,
  networkProfile,
  waitDevicesPublished,
} from '../test/e2e/knd-e2e-env.js';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '30' },
    parallel: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    nics: { type: 'string', default: '52' },
  },
});
const podsPerKind = Number(values.pods);
const parallel = Number(values.parallel);
const warmupPerKind = Number(values.warmup);
const nicCount = Math.max(Number(values.nics), podsPerKind + warmupPerKind);
if (!Number.isInteger(podsPerKind) || podsPerKind < 1 || podsPerKind > 120) throw new Error('--pods: 1..120');
if (!Number.isInteger(parallel) || parallel < 1) throw new Error('--parallel: a positive integer');

const PAPER = { p50Ms: 1800, p90Ms: 2100, p99Ms: 2300 };
const tag = randomBytes(2).toString('hex');
const namespace = `knd-bench-${tag}`;
const className = `bench-${tag}`;
const nicPrefix = 'kndB';
const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runDir = runDirOf();
const kubeconfig = process.env['KND_KUBECONFIG'] ?? path.join(runDir, 'admin.kubeconfig');
process.env['KND_KUBECONFIG'] = kubeconfig;
const metricsPort = 18493;

function sh(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
      (e, out, err) => {
        if (e === null) resolve(out);
        else reject(new Error(`${file} ${args.join(' ')}: ${err || e.message}`));
      },
    );
  });
}

interface Stats {
  n: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50Ms: percentile(s, 50),
    p90Ms: percentile(s, 90),
    p99Ms: percentile(s, 99),
    maxMs: s.at(-1) ?? Number.NaN,
  };
}

interface Phase {
  label: string;
  parallel: number;
  elapsedS: number;
  withClaim: Stats;
  plain: Stats;
  prepare: Stats;
  hook: Stats;
  cpuS: number;
}

/** VmRSS (MiB) and CPU seconds (user + system, the process and its waited children) of a process. */
async function procSample(pid: number): Promise<{ rssMiB: number; cpuS: number }> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const stat = (await readFile(`/proc/${String(pid)}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(stat[i] ?? Number.NaN), 0);
  return { rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024, cpuS: ticks / 100 };
}

/**
 * The agent's exact per-call prepare latency ('dra call' log lines, method prepare) and its
 * RunPodSandbox hook durations ('nri hook' lines) for the pods whose "namespace/name" starts with
 * `claimPodPrefix`.
 */
export function parseAgentLog(
  text: string,
  claimPodPrefix: string,
): { prepareMs: number[]; hookMs: number[] } {
  const prepareMs: number[] = [];
  const hookMs: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { message?: string; method?: string; durationMs?: number; pod?: string };
    if (typeof e.durationMs !== 'number') continue;
    if (e.message === 'dra call' && e.method === 'prepare') prepareMs.push(e.durationMs);
    if (
      e.message === 'nri hook' &&
      e.method === 'RunPodSandbox' &&
      e.pod?.startsWith(claimPodPrefix) === true
    )
      hookMs.push(e.durationMs);
  }
  return { prepareMs, hookMs };
}

async function main(): Promise<void> {
  await sh('bash', [path.join(repoRootOf(), 'test', 'cluster', 'up.sh')]);
  const node = await ensureNode({ repoRoot: repoRootOf() });
  const nics = await createTestNics(nicPrefix, nicCount);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  let agent: ManagedProcess | undefined;
  let operator: ManagedProcess | undefined;
  const readyAt = new Map<string, number>();
  const watch = new Watch(kc);
  let watchAbort: AbortController | undefined;
  try {
    await installCrds(repoRootOf());
    await kubectl(['create', 'namespace', namespace]);
    operator = await startKndOperator(
      { kubeconfig, healthPort: 18491, leaseName: `knd-bench-${tag}`, logLevel: 'warn' },
      { distDir, build: false },
    );
    agent = await startAgent(
      {
        nodeName: node.nodeName,
        kubeconfig,
        kubeletRootDir: node.kubeletRootDir,
        nriSocketPath: node.nriSocketPath,
        stateDir: path.join(runDir, 'knd-bench', 'state'),
        cdiDir: '/var/run/cdi', // containerd's dynamic CDI directory: the attach guard hooks are read there
        metricsPort,
        optInVirtual: ['veth'],
      },
      { distDir, build: false },
    );
    await waitKubeletRegistered(metricsPort);
    await waitDevicesPublished(node.nodeName, nics.names, 120_000);
    await apply([deviceClass(className, [`${nicPrefix}*`])]);
    await apply(
      [
        networkProfile('bench-net', className, {
          interface: { name: 'net1', addresses: ['198.51.100.10/24'] },
          routes: [{ destination: '203.0.113.0/24', gateway: '198.51.100.1' }],
        }),
      ],
      namespace,
    );
    for (const deadline = Date.now() + 30_000; ;) {
      try {
        await kubectl(['get', 'resourceclaimtemplate', '-n', namespace, 'bench-net']);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    watchAbort = await watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      {},
      (_type: string, pod: V1Pod) => {
        const name = pod.metadata?.name ?? '';
        const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
        if (ready && !readyAt.has(name)) readyAt.set(name, Date.now());
      },
      (err: unknown) => {
        if (err !== null && err !== undefined && watchAbort !== undefined && !watchAbort.signal.aborted) {
          process.stderr.write(
            `pod watch ended: ${err instanceof Error ? err.message : JSON.stringify(err)} (latencies after this are lost)\n`,
          );
        }
      },
    );

    const createdAt = new Map<string, number>();
    const runWave = async (names: readonly { name: string; claim: boolean }[]): Promise<void> => {
      await Promise.all(
        names.map(async ({ name, claim }) => {
          createdAt.set(name, Date.now());
          await core.createNamespacedPod({
            namespace,
            body: busyboxPod(name, node.nodeName, claim ? 'bench-net' : undefined),
          });
        }),
      );
      const deadline = Date.now() + 180_000;
      while (!names.every(({ name }) => readyAt.has(name))) {
        if (Date.now() > deadline) {
          const missing = names.filter(({ name }) => !readyAt.has(name)).map(({ name }) => name);
          throw new Error(`pods not Ready within 180 s: ${missing.join(', ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const deletePods = async (names: readonly string[]): Promise<void> => {
      if (names.length > 0)
        await kubectl(['delete', 'pod', '-n', namespace, '--wait=true', '--timeout=300s', ...names]);
    };

    const warm: { name: string; claim: boolean }[] = [];
    for (let i = 0; i < warmupPerKind; i++)
      warm.push({ name: `warm-c-${i}`, claim: true }, { name: `warm-p-${i}`, claim: false });
    if (warm.length > 0) await runWave(warm);
    await deletePods(warm.map((w) => w.name));

    // idle: devices published, warm-up done and cleaned up, 5 s of settling, then 5 s of samples
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idleSamples: number[] = [];
    for (let i = 0; i < 10; i++) {
      idleSamples.push((await procSample(agent.pid)).rssMiB);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const rssIdleMiB = stats(idleSamples).p50Ms;
    let rssPeakMiB = Math.max(...idleSamples);
    const rssTimer = setInterval(() => {
      void procSample(agent?.pid ?? 0).then(
        (x) => {
          rssPeakMiB = Math.max(rssPeakMiB, x.rssMiB);
        },
        () => undefined,
      );
    }, 200);

    const phases: Phase[] = [];
    try {
      for (const [label, p] of [
        ['one at a time', 1],
        [`${String(parallel)} at a time`, parallel],
      ] as const) {
        const order: { name: string; claim: boolean }[] = [];
        const tag = phases.length === 0 ? 'a' : 'b';
        for (let i = 0; i < podsPerKind; i++)
          order.push({ name: `c${tag}-${i}`, claim: true }, { name: `p${tag}-${i}`, claim: false });
        const logBefore = (await agent.log()).length;
        const cpuBefore = await procSample(agent.pid);
        const started = Date.now();
        for (let i = 0; i < order.length; i += p) await runWave(order.slice(i, i + p));
        const elapsedS = (Date.now() - started) / 1000;
        const cpuAfter = await procSample(agent.pid);
        const latency = (claim: boolean): number[] =>
          order
            .filter((x) => x.claim === claim)
            .map((x) => (readyAt.get(x.name) ?? Number.NaN) - (createdAt.get(x.name) ?? Number.NaN));
        const log = parseAgentLog((await agent.log()).slice(logBefore), `${namespace}/c${tag}-`);
        phases.push({
          label,
          parallel: p,
          elapsedS,
          withClaim: stats(latency(true)),
          plain: stats(latency(false)),
          prepare: stats(log.prepareMs),
          hook: stats(log.hookMs),
          cpuS: cpuAfter.cpuS - cpuBefore.cpuS,
        });
        await deletePods(order.map((x) => x.name));
      }
    } finally {
      clearInterval(rssTimer);
    }

    const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');
    const fmt1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
    const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
    const kernel = (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
    const [one, many] = phases;
    if (!one || !many) throw new Error('both phases must have run');
    console.log(
      `pod startup on the real node: per phase ${podsPerKind} pods with a knd claim + ${podsPerKind} without, interleaved; ${nics.names.length} veth NICs`,
    );
    console.log(
      `machine: ${cpus().length} x ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${kernel}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log('');
    console.log('| driver cost (issue 18 table shape) | knd |');
    console.log('|---|---|');
    const pp = (x: Stats): string => `${fmt1(x.p50Ms)} / ${fmt1(x.p99Ms)} ms (n=${x.n})`;
    console.log(`| prepare P50 / P99, one pod at a time | ${pp(one.prepare)} |`);
    console.log(`| prepare P50 / P99, ${many.label} | ${pp(many.prepare)} |`);
    console.log(`| RunPodSandbox hook (claim pods) P50 / P99, one at a time | ${pp(one.hook)} |`);
    console.log(`| RunPodSandbox hook (claim pods) P50 / P99, ${many.label} | ${pp(many.hook)} |`);
    console.log(
      `| agent RSS idle (${nics.names.length} NICs) / peak | ${fmt1(rssIdleMiB)} / ${fmt1(rssPeakMiB)} MiB |`,
    );
    console.log(
      `| agent CPU for ${podsPerKind} + ${podsPerKind} pods one at a time | ${one.cpuS.toFixed(2)} s |`,
    );
    console.log(
      `| agent CPU for ${podsPerKind} + ${podsPerKind} pods ${many.label} | ${many.cpuS.toFixed(2)} s |`,
    );
    console.log('');
    console.log(
      '| creation -> Ready | P50 ms | P90 ms | P99 ms | max ms | ratio P99 with/without | phase s |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const ph of phases) {
      for (const [kind, x] of [
        ['without claim', ph.plain],
        ['with knd claim', ph.withClaim],
      ] as const) {
        console.log(
          `| ${ph.label}, ${kind} (n=${x.n}) | ${fmt(x.p50Ms)} | ${fmt(x.p90Ms)} | ${fmt(x.p99Ms)} | ${fmt(x.maxMs)} | ${kind === 'with knd claim' ? (x.p99Ms / ph.plain.p99Ms).toFixed(2) : ''} | ${kind === 'with knd claim' ? ph.elapsedS.toFixed(1) : ''} |`,
        );
      }
    }
    console.log(`| KND paper (GKE, with claim) | ${PAPER.p50Ms} | ${PAPER.p90Ms} | ${PAPER.p99Ms} | | | |`);
    console.log('');
    // Pods whose start was delayed by a failed step: the kubelet retries those on its next resync.
    const events = JSON.parse(
      await kubectl(['get', 'events', '-n', namespace, '-o', 'json', '--field-selector', 'type=Warning']),
    ) as { items: { reason?: string; message?: string; involvedObject?: { name?: string } }[] };
    const byReason = new Map<string, { pods: Set<string>; example: string }>();
    for (const e of events.items) {
      if (e.reason === undefined || e.reason === 'MissingClusterDNS') continue;
      const entry = byReason.get(e.reason) ?? { pods: new Set<string>(), example: e.message ?? '' };
      entry.pods.add(e.involvedObject?.name ?? '');
      byReason.set(e.reason, entry);
    }
    for (const [reason, { pods, example }] of byReason) {
      console.log(`warning events: ${reason} on ${pods.size} pods, e.g. ${example.slice(0, 300)}`);
    }
  } finally {
    watchAbort?.abort();
    await kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=300s']).catch(
      (error: unknown) => {
        process.stderr.write(`delete namespace: ${(error as Error).message}\n`);
      },
    );
    let lost = 0;
    for (const name of nics.names) {
      const state = await hostNicState(name);
      const initial = nics.initial.get(name);
      if (state === undefined || JSON.stringify(state) !== JSON.stringify(initial)) lost++;
    }
    console.log(`NICs not back on the host intact after deleting all pods: ${lost} of ${nics.names.length}`);
    await kubectl(['delete', 'networkdeviceclass', className, '--ignore-not-found']).catch(
      (error: unknown) => {
        process.stderr.write(`delete class: ${(error as Error).message}\n`);
      },
    );
    await agent?.stop();
    await operator?.stop();
    await nics.remove();
  }
}

await main();
