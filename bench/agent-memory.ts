// Memory of the whole node agent process: the real agent (dist/node-agent/src/main.js) against the
// real control plane with a sysfs fixture (8 NICs; --netlink=false --nri=false), so no real node is
// needed. Per variant (an agent build plus node flags), run one after the other on the same fake
// node: idle RSS (VmRSS sampled every 250 ms for `seconds`, after the slice is published and 5 s of
// settling) and V8 heap (the agent's own /metrics: nodejs_heap_size_*, external), then the peak
// (VmHWM) after 20 rounds of 8 concurrent prepares of 8 claims the real scheduler allocated, and
// their unprepares. Then what each dependency costs on its own: a fresh `node` that imports only it,
// after two full GCs.
// KND_BENCH_BASELINE_AGENT=<another build's dist/node-agent/src/main.js> adds that build as a variant;
// KND_BENCH_NODE_FLAGS="--a=1;--b=2 --c=3" adds this tree with each ';'-separated flag set instead of
// the image's node flags (Dockerfile.agent's ENTRYPOINT, which "this tree" runs with).
// Run: npx tsc -p tsconfig.json --noEmit false --outDir /tmp/knd-mem-dist && ln -s $PWD/node_modules /tmp/knd-mem-dist/ &&
//      KND_KUBECONFIG=... node /tmp/knd-mem-dist/bench/agent-memory.js [seconds]   (from the repo root)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { CoreV1Api, KubeConfig, ResourceV1Api } from '@kubernetes/client-node';
import { makeSysfsFixture, manyNics } from '../test/support/sysfs-fixture.js';
import { registerLikeKubelet, type WireClaim } from '../test/support/kubelet-client.js';
import { FakeRuntime } from '../test/support/nri/fake-runtime.js';
import { agentNodeFlags } from '../test/support/agent-process.js';
import {
  agentDirs,
  agentMain,
  buildAgent,
  createAllocatedClaim,
  createFakeNode,
  repoRoot,
  startAgent,
  stopAgent,
  waitForSliceDevices,
} from '../test/integration/dra-agent-harness.js';

const seconds = Number(process.argv[2] ?? 20);
/** KND_BENCH_LIVE=1: NRI plugin connected to a fake runtime and netlink discovery on (as on a node). */
const live = process.env['KND_BENCH_LIVE'] === '1';
const kubeconfigPath = process.env['KND_KUBECONFIG'];
if (!kubeconfigPath) throw new Error('set KND_KUBECONFIG to the test control plane');
const kubeconfig: string = kubeconfigPath;
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);

const NICS = 8;
const suffix = randomBytes(3).toString('hex');
const node = `bench-mem-${suffix}`;
const ns = `bench-mem-${suffix}`;
const className = `bench-mem-${suffix}`;
const MiB = 2 ** 20;

interface Variant {
  label: string;
  main: string;
  nodeArgs: string[];
}
const baseline = process.env['KND_BENCH_BASELINE_AGENT'];
const variants: Variant[] = [
  ...(baseline
    ? [{ label: process.env['KND_BENCH_BASELINE_LABEL'] ?? 'baseline', main: baseline, nodeArgs: [] }]
    : []),
  // as the image runs it (Dockerfile.agent's node flags)
  {
    label: process.env['KND_BENCH_LABEL'] ?? 'this tree',
    main: agentMain,
    nodeArgs: agentNodeFlags(repoRoot),
  },
  ...(process.env['KND_BENCH_NODE_FLAGS'] ?? '')
    .split(';')
    .map((f) => f.trim())
    .filter((f) => f !== '')
    .map((f) => ({
      label: `${process.env['KND_BENCH_LABEL'] ?? 'this tree'} ${f}`,
      main: agentMain,
      nodeArgs: f.split(/\s+/),
    })),
];

async function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const text = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m?.[1]) throw new Error(`no ${field} in /proc/${String(pid)}/status`);
  return Number(m[1]);
}

async function heapFromMetrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const name of ['heap_size_used_bytes', 'heap_size_total_bytes', 'external_memory_bytes']) {
    const m = new RegExp(`^knd_agent_nodejs_${name} (\\S+)$`, 'm').exec(text);
    if (m?.[1]) out[name] = Number(m[1]) / MiB;
  }
  // V8's young generation (new_space) is what a burst grows and an idle process keeps committed
  const m = /^knd_agent_nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(text);
  if (m?.[1]) out['new_space_total_bytes'] = Number(m[1]) / MiB;
  // scavenges (what a smaller young generation makes more frequent): count and total seconds
  for (const [key, suffix] of [
    ['minor_gc_count', 'count'],
    ['minor_gc_seconds', 'sum'],
  ] as const) {
    const g = new RegExp(
      `^knd_agent_nodejs_gc_duration_seconds_${suffix}\\{kind="minor"\\} (\\S+)$`,
      'm',
    ).exec(text);
    if (g?.[1]) out[key] = Number(g[1]);
  }
  return out;
}

/** Anonymous (heap, JIT code, malloc) vs file-backed (node binary, addon) resident MiB. */
async function smapsSplit(pid: number): Promise<{ anon: number; file: number }> {
  const text = await readFile(`/proc/${String(pid)}/smaps_rollup`, 'utf8');
  const kb = (f: string): number => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { anon: kb('Anonymous') / 1024, file: (kb('Rss') - kb('Anonymous')) / 1024 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(v: Variant, fixtureRoot: string, claims: () => Promise<WireClaim[]>): Promise<string> {
  const dirs = await agentDirs();
  // like the real node: the NRI plugin connected (to a fake runtime) and rtnetlink discovery live
  const runtime = live ? new FakeRuntime() : undefined;
  await runtime?.listen();
  const agent = await startAgent({
    nodeName: node,
    sysfsRoot: fixtureRoot,
    dirs,
    kubeconfig,
    logLevel: 'info',
    main: v.main,
    nodeArgs: v.nodeArgs,
    ...(runtime ? { nriSocket: runtime.socketPath, extraArgs: ['--netlink=true'] } : {}),
  });
  try {
    await runtime?.nextConnection();
    const pid = agent.child.pid ?? 0;
    const { client } = await registerLikeKubelet(agent.registrationSocket);
    await waitForSliceDevices(resource, node, NICS);
    await sleep(5000);
    const rss: number[] = [];
    for (let t = 0; t < seconds * 4; t++) {
      rss.push((await procStatusKb(pid, 'VmRSS')) / 1024);
      await sleep(250);
    }
    const heap = await heapFromMetrics(agent.metricsPort);
    const idleHwm = (await procStatusKb(pid, 'VmHWM')) / 1024;
    const set = await claims();
    const loadStarted = performance.now();
    for (let r = 0; r < 20; r++) {
      const res = await Promise.all(set.map((c) => client.prepare([c])));
      for (const [i, x] of res.entries()) {
        const c = set[i];
        if (c && x.claims[c.uid]?.error !== '') throw new Error(`${v.label}: prepare of ${c.name} failed`);
      }
      await client.unprepare(set);
    }
    const loadMs = performance.now() - loadStarted;
    const peak = (await procStatusKb(pid, 'VmHWM')) / 1024;
    const afterLoad = (await procStatusKb(pid, 'VmRSS')) / 1024;
    const heapAfter = await heapFromMetrics(agent.metricsPort);
    const split = await smapsSplit(pid);
    client.close();
    const f = (n: number | undefined): string => (n === undefined ? '?' : n.toFixed(1));
    const row = `| ${v.label} | ${f(median(rss))} | ${f(Math.max(...rss))} | ${f(heap['heap_size_used_bytes'])} | ${f(heap['heap_size_total_bytes'])} | ${f(heap['new_space_total_bytes'])} | ${f(heap['external_memory_bytes'])} | ${f(idleHwm)} | ${f(peak)} | ${f(afterLoad)} | ${f(heapAfter['heap_size_used_bytes'])} / ${f(heapAfter['heap_size_total_bytes'])} / ${f(heapAfter['new_space_total_bytes'])} | ${f(split.anon)} / ${f(split.file)} | ${((heapAfter['minor_gc_count'] ?? NaN) - (heap['minor_gc_count'] ?? NaN)).toFixed(0)} / ${(((heapAfter['minor_gc_seconds'] ?? NaN) - (heap['minor_gc_seconds'] ?? NaN)) * 1000).toFixed(1)} ms | ${loadMs.toFixed(0)} ms |`;
    process.stderr.write(`${row}\n`);
    return row;
  } finally {
    await stopAgent(agent);
    await runtime?.dispose();
    await rm(dirs.base, { recursive: true, force: true });
  }
}

/** RSS and heap of a fresh node that imported only `specifier` (none: bare node), after full GCs. */
function moduleCost(specifier: string): string {
  const script = `
    const m = ${JSON.stringify(specifier)};
    if (m !== '') await import(m);
    globalThis.gc(); globalThis.gc();
    await new Promise((r) => setTimeout(r, 200));
    const u = process.memoryUsage();
    console.log(JSON.stringify([u.rss, u.heapUsed, u.heapTotal]));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`importing ${specifier}: ${r.stderr}`);
  const [rss, used, total] = JSON.parse(r.stdout) as number[];
  return `| ${specifier || '(bare node)'} | ${((rss ?? 0) / MiB).toFixed(1)} | ${((used ?? 0) / MiB).toFixed(1)} | ${((total ?? 0) / MiB).toFixed(1)} |`;
}

const MODULES = [
  '',
  '@kubernetes/client-node',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'protobufjs',
  '@bufbuild/cel',
  '@bufbuild/protobuf',
  'winston',
  'prom-client',
  'ajv',
  'js-yaml',
];

async function main(): Promise<void> {
  buildAgent();
  const fixture = await makeSysfsFixture(manyNics(NICS));
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await createFakeNode(core, node);
  await resource.createDeviceClass({
    body: {
      metadata: { name: className },
      spec: { selectors: [{ cel: { expression: 'device.driver == "knd.dev"' } }] },
    },
  });
  let allocated: WireClaim[] | undefined;
  const claims = async (): Promise<WireClaim[]> => {
    allocated ??= await Promise.all(
      Array.from({ length: NICS }, async (_, i) => {
        const { claim } = await createAllocatedClaim(core, resource, ns, `c${String(i)}`, node, {
          className,
        });
        return { namespace: ns, name: claim.metadata?.name ?? '', uid: claim.metadata?.uid ?? '' };
      }),
    );
    return allocated;
  };
  const rows: string[] = [];
  try {
    for (const v of variants) rows.push(await measure(v, fixture.root, claims));
  } finally {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await resource.deleteDeviceClass({ name: className }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
    await fixture.cleanup();
  }
  process.stdout.write(
    `Agent process memory (MiB), ${String(NICS)} fixture NICs${live ? ', NRI (fake runtime) and netlink on' : ''}, idle sampled ${String(seconds)} s, peak after 20 × ${String(NICS)} concurrent prepares, node ${process.version}\n\n`,
  );
  process.stdout.write(
    '| variant | idle RSS median | idle RSS max | heap used | heap total | young gen | external | VmHWM idle | VmHWM after prepares | RSS after prepares | after prepares: heap used / total / young gen | after prepares: RSS anonymous / file | scavenges during prepares: count / time | 20 rounds took |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n',
  );
  process.stdout.write(`${rows.join('\n')}\n\n`);
  process.stdout.write('| module imported alone | RSS | heap used | heap total |\n|---|---|---|---|\n');
  process.stdout.write(`${MODULES.map(moduleCost).join('\n')}\n`);
}

await main();
