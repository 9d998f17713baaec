// IPPool allocation cost on the real apiserver: the latency an address adds to NodePrepareResources
// (ClaimAddresses.allocate, the agent's own code: claim lookup + pool GET, then the create) and the
// cluster-wide throughput, with 1, 8 and 32 agents allocating at once. Each agent is a separate
// process (test/support/ipam-agent-worker.ts) with its own node name, preparing one claim at a
// time as the kubelet does for one pod; all agents draw from one shared pool (the contended case).
// Also measured: the release at unprepare.
// Run (from the repository root, control plane up; the build also emits the worker next to the harness):
//   npx tsc -p tsconfig.build.json && KND_KUBECONFIG=/var/tmp/knd-cluster/admin.kubeconfig node dist/bench/ipam.js [claimsPerAgent]
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { KubeRestClient } from '../lib/kube/rest-client.js';
import { loadKubeconfigFile } from '../lib/kube/kube-endpoint.js';
import { allCrds } from '../lib/api/crd-schema.js';
import { IpAllocator } from '../lib/ipam/ip-allocator.js';
import {
  applyPool,
  deletePool,
  percentiles,
  poolAllocations,
  runWorkers,
} from '../test/integration/ipam-harness.js';
import type { WorkerLine } from '../test/support/ipam-agent-worker.js';

const perAgent = Number(process.argv[2] ?? 40);
const kubeconfig = process.env['KND_KUBECONFIG'];
if (!kubeconfig)
  throw new Error('set KND_KUBECONFIG to the control plane (bash test/cluster/up.sh prints it)');
const kc = loadKubeconfigFile(kubeconfig);
const requestMs = new Map<string, number[]>();
const c = new KubeRestClient(kc, {
  fieldManager: 'knd-bench',
  onRequest: (r) => {
    requestMs.set(r.verb, [...(requestMs.get(r.verb) ?? []), r.durationMs]);
  },
});
for (const crd of allCrds()) {
  await c.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd);
}

const fmt = (n: number): string => n.toFixed(1);

// in this process first (no worker processes competing for the CPU): what one prepare adds, and per request
{
  const pool = `bench-ipam-0-${randomUUID().slice(0, 6)}`;
  await applyPool(c, pool, { ipv4: { cidrs: ['10.250.0.0/20'] } });
  const alloc = new IpAllocator(c);
  const uids = Array.from({ length: perAgent + 1 }, () => randomUUID());
  const ms: number[] = [];
  try {
    requestMs.clear();
    for (const uid of uids) {
      const t = performance.now();
      await alloc.allocate({
        pool,
        family: 'IPv4',
        claim: { namespace: 'bench', name: uid, uid },
        device: 'nic0',
        nodeName: 'bench',
      });
      ms.push(performance.now() - t);
    }
    const a = percentiles(ms.slice(1));
    const per = [...requestMs].map(([verb, xs]) => `${verb} ${fmt(percentiles(xs).p50)}`).join(', ');
    console.log(
      `in-process, one allocator, ${String(perAgent)} claims: P50 ${fmt(a.p50)} ms, P99 ${fmt(a.p99)} ms (request P50s: ${per} ms)`,
    );
    for (const uid of uids) await alloc.release(uid);
  } finally {
    await deletePool(c, pool);
  }
}

function throughput(lines: readonly WorkerLine[]): number {
  const start = Math.min(...lines.map((l) => l.startAt));
  const end = Math.max(...lines.map((l) => l.endAt));
  return (lines.length * 1000) / Math.max(1, end - start);
}

console.log(
  `IPAM allocation, ${String(perAgent)} claims per agent, one at a time per agent; ${String(cpus().length)} CPUs, load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  '| agents | claims | allocate P50 ms | P99 ms | max ms | allocations/s | release P50 ms | P99 ms | first call P50 ms |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const agents of [1, 8, 32]) {
  const pool = `bench-ipam-${String(agents)}-${randomUUID().slice(0, 6)}`;
  await applyPool(c, pool, { ipv4: { cidrs: ['10.250.0.0/20'] } });
  try {
    // claims only need an identity to own an address (no GC runs here)
    const claims = Array.from({ length: agents * perAgent }, (_, i) => ({
      namespace: 'bench',
      name: `claim-${String(i)}`,
      uid: randomUUID(),
    }));
    const job = { pool, family: 'IPv4' as const, concurrency: 1 };
    const alloc = await runWorkers(kubeconfig, agents, { ...job, mode: 'allocate' }, claims);
    const failed = alloc.filter((l) => l.error);
    if (failed.length > 0)
      throw new Error(`${String(failed.length)} allocations failed: ${failed[0]?.error ?? ''}`);
    const stored = await poolAllocations(c, pool);
    if (new Set(stored.map((a) => a.spec.address)).size !== claims.length)
      throw new Error('duplicate addresses');
    const rel = await runWorkers(kubeconfig, agents, { ...job, mode: 'release' }, claims);
    // steady state; each agent's first call (validator compile, connection setup) is reported apart
    const a = percentiles(alloc.filter((l) => !l.first).map((l) => l.ms));
    const cold = percentiles(alloc.filter((l) => l.first).map((l) => l.ms));
    const r = percentiles(rel.filter((l) => !l.first).map((l) => l.ms));
    console.log(
      `| ${String(agents)} | ${String(claims.length)} | ${fmt(a.p50)} | ${fmt(a.p99)} | ${fmt(a.max)} | ${fmt(throughput(alloc))} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(cold.p50)} |`,
    );
  } finally {
    await deletePool(c, pool);
  }
}
