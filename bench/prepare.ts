// NodePrepareResources latency, measured the way the kubelet sees it: the real agent process (from
// dist/) over its unix socket, claims allocated by the real kube-scheduler on the real apiserver,
// plan + CDI spec fsynced before each answer. Shapes: one call at a time with 1, 8 and 64 claims per
// call, and 10 calls of one claim each in flight at once (ten pods starting together on a node).
// Every iteration prepares a fresh set (unprepared in between, so each call does the full work:
// claim read (one GET per claim: the agent has no informer), planning, validation, durable write),
// then the idempotent retry (already prepared: answered from the plan, no API call).
// KND_BENCH_BASELINE_AGENT=<path to another build's dist/node-agent/src/main.js> measures that
// agent too, in the same run, for a before/after table: each agent runs at once on its own fake
// node with its own 64 claims, and their rounds alternate, so both see the same machine load.
// Run: npx tsc -p tsconfig.json --noEmit false --outDir /tmp/knd-dra-dist &&
//      KND_KUBECONFIG=... node /tmp/knd-dra-dist/bench/prepare.js [iterations]   (from the repo root)
import { CoreV1Api, ResourceV1Api } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { makeSysfsFixture, manyNics } from '../test/support/sysfs-fixture.js';
import {
  registerLikeKubelet,
  type KubeletDraClient,
  type WireClaim,
} from '../test/support/kubelet-client.js';
import {
  agentDirs,
  agentMain,
  buildAgent,
  createAllocatedClaim,
  createFakeNode,
  startAgent,
  stopAgent,
  type RunningAgent,
  waitForSliceDevices,
} from '../test/integration/dra-agent-harness.js';

/** Nearest-rank percentiles of millisecond samples. */
function summarize(samples: readonly number[]): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number =>
    s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
  return { p50: at(50), p99: at(99) };
}

const iterations = Number(process.argv[2] ?? 60);
const kubeconfigEnv = process.env['KND_KUBECONFIG'];
if (!kubeconfigEnv)
  throw new Error('set KND_KUBECONFIG to the test control plane (bash test/cluster/up.sh prints it)');
const kubeconfig: string = kubeconfigEnv;
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);

const CLAIMS = 64;
const suffix = randomBytes(3).toString('hex');
const ns = `bench-prep-${suffix}`;
const className = `bench-prep-${suffix}`;

/** One row: `inFlight` calls of `perCall` claims each, issued together, `iterations` times. */
interface Shape {
  perCall: number;
  inFlight: number;
}
const SHAPES: readonly Shape[] = [
  { perCall: 1, inFlight: 1 },
  { perCall: 8, inFlight: 1 },
  { perCall: 64, inFlight: 1 },
  { perCall: 1, inFlight: 10 },
];

// e.g. KND_BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the agents
const agentNodeArgs = (process.env['KND_BENCH_AGENT_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
const baselineMain = process.env['KND_BENCH_BASELINE_AGENT'];
const agents: { label: string; main: string }[] = [
  ...(baselineMain
    ? [{ label: process.env['KND_BENCH_BASELINE_LABEL'] ?? 'baseline', main: baselineMain }]
    : []),
  { label: process.env['KND_BENCH_LABEL'] ?? 'this tree', main: agentMain },
];

async function timed<T>(fn: () => Promise<T>, into: number[]): Promise<T> {
  const t = process.hrtime.bigint();
  const r = await fn();
  into.push(Number(process.hrtime.bigint() - t) / 1e6);
  return r;
}

interface Under {
  label: string;
  client: KubeletDraClient;
  claims: WireClaim[];
  fresh: number[];
  retry: number[];
}

/** One round of `shape` on one agent: prepare (fresh), prepare again (retry), unprepare. */
async function round(u: Under, shape: Shape, it: number): Promise<void> {
  const { client, claims, label, fresh, retry } = u;
  const perRound = shape.perCall * shape.inFlight;
  const start = (it * perRound) % CLAIMS;
  const sets = Array.from({ length: shape.inFlight }, (_, c) =>
    Array.from(
      { length: shape.perCall },
      (_, k) => claims[(start + c * shape.perCall + k) % CLAIMS] as WireClaim,
    ),
  );
  const answers = await Promise.all(sets.map((set) => timed(() => client.prepare(set), fresh)));
  answers.forEach((res, i) => {
    for (const c of sets[i] ?? []) {
      const e = res.claims[c.uid]?.error;
      if (e !== '') throw new Error(`${label}: prepare failed for ${c.name}: ${String(e)}`);
    }
  });
  await Promise.all(sets.map((set) => timed(() => client.prepare(set), retry)));
  await client.unprepare(sets.flat());
}

/** The shape on every agent, rounds alternating between them; one row per agent. */
async function measure(unders: Under[], shape: Shape): Promise<string[]> {
  for (const u of unders) {
    u.fresh.length = 0;
    u.retry.length = 0;
  }
  for (let it = 0; it < iterations; it++) for (const u of unders) await round(u, shape, it);
  return unders.map((u) => {
    const f = summarize(u.fresh);
    const r = summarize(u.retry);
    const row = `| ${u.label} | ${shape.perCall} | ${shape.inFlight} | ${u.fresh.length} | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`;
    process.stderr.write(`${row}\n`);
    return row;
  });
}

/** Allocate the bench's claims with the real scheduler (needs an agent publishing the node's slice). */
async function allocateClaims(node: string, config: object): Promise<WireClaim[]> {
  process.stderr.write(`allocating ${CLAIMS} claims with the real scheduler...\n`);
  const t0 = Date.now();
  const made: WireClaim[] = [];
  for (let i = 0; i < CLAIMS; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, CLAIMS - i) }, (_, j) =>
        createAllocatedClaim(core, resource, ns, `${node}-c${i + j}`, node, { className, config }),
      ),
    );
    for (const b of batch)
      made.push({ namespace: ns, name: b.claim.metadata?.name ?? '', uid: b.claim.metadata?.uid ?? '' });
  }
  process.stderr.write(`allocated in ${Date.now() - t0} ms\n`);
  return made;
}

async function main(): Promise<void> {
  buildAgent();
  const fixture = await makeSysfsFixture(manyNics(CLAIMS));
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await resource.createDeviceClass({
    body: {
      metadata: { name: className },
      spec: { selectors: [{ cel: { expression: 'device.driver == "knd.dev"' } }] },
    },
  });
  const config = {
    interface: { name: 'net1', addresses: ['198.51.100.10/24', '2001:db8::10/64'], mtu: 9000 },
    routes: [{ destination: '203.0.113.0/24', gateway: '198.51.100.1' }],
    ethtool: { features: { 'rx-checksumming': true } },
  };
  const rows: string[] = [];
  const load = [loadavg()[0] ?? 0];
  const nodes = agents.map((_, i) => `bench-prep-${suffix}-${String(i)}`);
  const running: { agent: RunningAgent; base: string }[] = [];
  try {
    const unders: Under[] = [];
    for (const [i, a] of agents.entries()) {
      // each agent: its own fake node (same fixture NICs), state and CDI dir, and claims
      const node = nodes[i] ?? '';
      await createFakeNode(core, node);
      const dirs = await agentDirs();
      const agent = await startAgent({
        nodeName: node,
        sysfsRoot: fixture.root,
        dirs,
        kubeconfig,
        logLevel: 'info',
        main: a.main,
        // unset: the image's node flags (the harness default)
        ...(agentNodeArgs.length > 0 ? { nodeArgs: agentNodeArgs } : {}),
      });
      running.push({ agent, base: dirs.base });
      const { client } = await registerLikeKubelet(agent.registrationSocket);
      await waitForSliceDevices(resource, node, CLAIMS);
      unders.push({
        label: a.label,
        client,
        claims: await allocateClaims(node, config),
        fresh: [],
        retry: [],
      });
    }
    load.push(loadavg()[0] ?? 0);
    for (const shape of SHAPES) rows.push(...(await measure(unders, shape)));
    load.push(loadavg()[0] ?? 0);
    for (const u of unders) u.client.close();
  } finally {
    for (const r of running) {
      await stopAgent(r.agent);
      await rm(r.base, { recursive: true, force: true });
    }
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await resource.deleteDeviceClass({ name: className }).catch(() => undefined);
    for (const node of nodes) await core.deleteNode({ name: node }).catch(() => undefined);
    await fixture.cleanup();
  }
  process.stdout.write(
    `NodePrepareResources latency (ms), real agent process over its unix socket, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load.map((l) => l.toFixed(1)).join(' → ')}\n\n`,
  );
  process.stdout.write(
    '| agent | claims/call | calls in flight | calls | fresh P50 | fresh P99 | retry P50 | retry P99 |\n|---|---|---|---|---|---|---|---|\n',
  );
  process.stdout.write(`${rows.join('\n')}\n`);
}

await main();
