// Operator scale benchmark against the real apiserver: N NetworkProfiles (default 1000) across M
// namespaces (default 50) referencing one NetworkDeviceClass. The operator runs as its own process
// (dist/operator/src/main.js), counted through its /metrics (api_requests_total by verb/resource).
// Reports: time from the first create until all are Ready, per-profile create->Ready percentiles,
// API writes per profile (by resource), then writes during a steady-state window (default 60 s)
// that starts with a forced resync of every profile (the class is touched).
// Memory: the operator's VmRSS once ready (idle, before the profiles), after the steady window, and
// its peak (VmHWM). KND_BENCH_OPERATOR_MAIN=<another build's dist/operator/src/main.js> measures that
// build instead (before/after comparisons).
// Run: KND_KUBECONFIG=... node <dist>/bench/operator-profiles.js [--profiles N] [--namespaces M] [--steady-seconds S]
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { allCrds } from '../lib/api/crd-schema.js';
import { isNotFound } from '../lib/kube/errors.js';
import { KubeRestClient } from '../lib/kube/rest-client.js';

const { values } = parseArgs({
  options: {
    profiles: { type: 'string', default: '1000' },
    namespaces: { type: 'string', default: '50' },
    'steady-seconds': { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '16' },
    'health-port': { type: 'string', default: '18391' },
    workers: { type: 'string', default: '4' },
    nodes: { type: 'string', default: '0' },
  },
});
const N = Number(values.profiles);
const M = Number(values.namespaces);
const steadyS = Number(values['steady-seconds']);
const conc = Number(values.concurrency);
const port = Number(values['health-port']);
const G = '/apis/knd.dev/v1alpha1';
const run = `bench-${Date.now().toString(36)}`;

const kcPath = process.env['KND_KUBECONFIG'];
if (!kcPath) throw new Error('set KND_KUBECONFIG to the test control plane admin kubeconfig');
const kc = new KubeConfig();
kc.loadFromFile(kcPath);
const c = new KubeRestClient(kc, { fieldManager: 'knd-bench' });

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) {
        const t = items[i++] as T;
        await fn(t);
      }
    }),
  );
}

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^knd_operator_api_requests_total\{(.*)\} (\d+(?:\.\d+)?)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    const key = `${labels['verb'] ?? ''} ${labels['resource'] ?? ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

const WRITE = /^(create|update|patch|apply|delete) /;
function writes(m: Map<string, number>, excludeLeases = true): Map<string, number> {
  return new Map([...m].filter(([k]) => WRITE.test(k) && !(excludeLeases && k.endsWith(' leases'))));
}
const diff = (a: Map<string, number>, b: Map<string, number>) =>
  new Map([...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as [string, number]).filter(([, v]) => v > 0));
const total = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** VmRSS and VmHWM (peak) of a process, in MiB. */
async function memoryMiB(pid: number | undefined): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

interface Listed {
  items: {
    metadata: { name: string; namespace: string };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}

async function main(): Promise<void> {
  for (const crd of allCrds())
    await c.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd);
  await new Promise((r) => setTimeout(r, 1500));
  // optional: ResourceSlices of fake nodes (8 knd.dev devices each, half RDMA) so status counts run CEL
  const nodes = Array.from({ length: Number(values.nodes) }, (_, i) => `${run}-n${i}`);
  const slice = (node: string, extra: number) => ({
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceSlice',
    metadata: { name: node },
    spec: {
      driver: 'knd.dev',
      nodeName: node,
      pool: { name: node, generation: 1 + extra, resourceSliceCount: 1 },
      devices: Array.from({ length: 8 + extra }, (_, d) => ({
        name: `eth${d}`,
        attributes: {
          ifName: { string: `eth${d}` },
          rdma: { bool: d % 2 === 0 && d < 8 },
          numaNode: { int: d % 2 },
        },
      })),
    },
  });
  await pool(nodes, conc, (n) => c.apply(`/apis/resource.k8s.io/v1/resourceslices/${n}`, slice(n, 0)));
  const cls = `${run}-nics`;
  await c.apply(`${G}/networkdeviceclasses/${cls}`, {
    apiVersion: 'knd.dev/v1alpha1',
    kind: 'NetworkDeviceClass',
    metadata: { name: cls },
    spec: { selector: { rdma: true }, config: { interface: { mtu: 9000 } } },
  });
  const nss = Array.from({ length: M }, (_, i) => `${run}-${i}`);
  await pool(nss, conc, (ns) =>
    c.apply(`/api/v1/namespaces/${ns}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }),
  );

  const main =
    process.env['KND_BENCH_OPERATOR_MAIN'] ?? join(import.meta.dirname, '..', 'operator', 'src', 'main.js');
  const child = spawn(
    process.execPath,
    [
      main,
      '--kubeconfig',
      kcPath ?? '',
      '--health-port',
      String(port),
      '--lease-name',
      run,
      '--workers',
      values.workers,
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      const m = ok ? await scrape() : new Map<string, number>();
      if (ok && [...m.keys()].some((k) => k.startsWith('list '))) break;
      if (i > 200) throw new Error('operator did not become ready in 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const memIdle = await memoryMiB(child.pid);
    const before = await scrape();
    const items = Array.from({ length: N }, (_, i) => ({ ns: nss[i % M] ?? '', name: `p${i}` }));
    const createdAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const t0 = performance.now();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const l = await c.list<Listed>(
          `${G}/networkprofiles?labelSelector=${encodeURIComponent(`bench=${run}`)}`,
        );
        const now = performance.now();
        for (const o of l.items) {
          const k = `${o.metadata.namespace}/${o.metadata.name}`;
          if (!readyAt.has(k) && o.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'))
            readyAt.set(k, now);
        }
        if (readyAt.size >= N) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await pool(items, conc, async ({ ns, name }) => {
      createdAt.set(`${ns}/${name}`, performance.now());
      await c.create(`${G}/namespaces/${ns}/networkprofiles`, {
        apiVersion: 'knd.dev/v1alpha1',
        kind: 'NetworkProfile',
        metadata: { name, namespace: ns, labels: { bench: run } },
        spec: { deviceClassName: cls, config: { interface: { name: 'net1' } } },
      });
    });
    const tCreated = performance.now();
    const deadline = Date.now() + 600_000;
    while (readyAt.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    polling = false;
    await poller;
    const tReady = performance.now();
    await new Promise((r) => setTimeout(r, 2000)); // let trailing watch echoes settle
    const afterCreate = await scrape();
    const createWrites = writes(diff(before, afterCreate));
    const lat = [...readyAt].map(([k, t]) => t - (createdAt.get(k) ?? t));

    // steady state: force a resync of every profile (touch the class), then watch for writes
    await c.request(
      'patch',
      'PATCH',
      `${G}/networkdeviceclasses/${cls}`,
      { metadata: { annotations: { 'bench/touch': String(Date.now()) } } },
      'application/merge-patch+json',
    );
    // and, with slices, churn one slice every 5 s (an extra non-RDMA device: counts stay the same)
    const churnUntil = Date.now() + steadyS * 1000;
    let churns = 0;
    while (Date.now() < churnUntil) {
      await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, churnUntil - Date.now()))));
      const n = nodes[churns % Math.max(1, nodes.length)];
      if (n && Date.now() < churnUntil) {
        churns++;
        await c.apply(`/apis/resource.k8s.io/v1/resourceslices/${n}`, slice(n, churns));
      }
    }
    const afterSteady = await scrape();
    const memEnd = await memoryMiB(child.pid);
    const steady = diff(afterCreate, afterSteady);

    const rows: [string, string][] = [
      ['profiles / namespaces / operator workers', `${N} / ${M} / ${values.workers}`],
      ['fake nodes with ResourceSlices (8 devices each)', String(nodes.length)],
      [`all created (client, concurrency ${conc})`, `${((tCreated - t0) / 1000).toFixed(2)} s`],
      [
        'all Ready (from first create)',
        `${((tReady - t0) / 1000).toFixed(2)} s${readyAt.size < N ? ` (ONLY ${readyAt.size} Ready)` : ''}`,
      ],
      [
        'create -> Ready p50 / p90 / p99',
        `${pct(lat, 50).toFixed(0)} / ${pct(lat, 90).toFixed(0)} / ${pct(lat, 99).toFixed(0)} ms`,
      ],
      ['API writes per profile', (total(createWrites) / N).toFixed(2)],
      ...[...createWrites]
        .sort()
        .map(([k, v]) => [`  ${k}`, `${v} (${(v / N).toFixed(2)}/profile)`] as [string, string]),
      [`writes during ${steadyS} s steady state (after a full resync)`, String(total(writes(steady)))],
      [`  slice updates in that window (each re-reconciles all ${N + 1} CRs)`, String(churns)],
      [`  lease renewals in that window`, String(steady.get('update leases') ?? 0)],
      [`  reads in that window`, String(total(steady) - total(writes(steady, false)))],
      [
        'operator RSS ready (idle) / after steady state / peak',
        `${memIdle.rss.toFixed(1)} / ${memEnd.rss.toFixed(1)} / ${memEnd.peak.toFixed(1)} MiB`,
      ],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log(`\noperator-profiles (${new Date().toISOString()})`);
    for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  } finally {
    child.kill('SIGTERM');
    await pool(nss, conc, (ns) =>
      c.delete(`/api/v1/namespaces/${ns}`).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      }),
    );
    await c.delete(`${G}/networkdeviceclasses/${cls}`).catch(() => undefined);
    await pool(nodes, conc, (n) =>
      c.delete(`/apis/resource.k8s.io/v1/resourceslices/${n}`).catch(() => undefined),
    );
  }
}

await main();
