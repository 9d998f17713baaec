// Helpers of the IPAM suites (test/integration/ipam-*.test.ts) and bench/ipam.ts: the stand-in agent
// worker (test/support/ipam-agent-worker.ts) compiled and spawned as separate processes, ResourceClaims
// to own addresses, pools, and reading back the IPAllocations of a pool.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_IPAM_POOL, type IPAllocation, type IPPoolSpec } from '../../lib/api/ip-pool.js';
import { isNotFound } from '../../lib/kube/errors.js';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import { decodeIPAllocation, ipAllocationsPath, ipPoolsPath } from '../../lib/ipam/ip-allocator.js';
import type { WorkerJob, WorkerLine } from '../support/ipam-agent-worker.js';

const here = join(import.meta.dirname, '..', '..');
export const repoRoot = existsSync(join(here, 'package.json')) ? here : process.cwd();
const workerOut = join(repoRoot, 'dist', 'ipam-worker');
/** Compiled (bench/ipam.ts from dist/): the worker next to this file; from the sources (jest): buildWorker's. */
export const workerMain = import.meta.filename.endsWith('.js')
  ? join(import.meta.dirname, '..', 'support', 'ipam-agent-worker.js')
  : join(workerOut, 'test', 'support', 'ipam-agent-worker.js');

/** Compile the worker and what it imports (only) into dist/ipam-worker. */
export async function buildWorker(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'knd-ipam-tsc-'));
  const cfg = join(dir, 'tsconfig.json');
  await writeFile(
    cfg,
    JSON.stringify({
      extends: join(repoRoot, 'tsconfig.json'),
      compilerOptions: { noEmit: false, outDir: workerOut, rootDir: repoRoot, sourceMap: false },
      include: [],
      files: [join(repoRoot, 'test', 'support', 'ipam-agent-worker.ts')],
    }),
  );
  const r = spawnSync('npx', ['tsc', '-p', cfg], { cwd: repoRoot, encoding: 'utf8' });
  if (!existsSync(workerMain)) throw new Error(`building the IPAM worker failed: ${r.stdout}${r.stderr}`);
  return workerMain;
}

export interface RunningWorker {
  proc: ChildProcess;
  /** Lines received so far (claims done). */
  lines: WorkerLine[];
  /** Resolves with every line when the process exits (killed or done). */
  exited: Promise<{ lines: WorkerLine[]; code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startWorker(
  kubeconfig: string,
  nodeName: string,
  job: WorkerJob,
): Promise<RunningWorker> {
  const dir = await mkdtemp(join(tmpdir(), 'knd-ipam-job-'));
  const jobFile = join(dir, 'job.json');
  await writeFile(jobFile, JSON.stringify(job));
  const proc = spawn(process.execPath, [workerMain, kubeconfig, nodeName, jobFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: WorkerLine[] = [];
  let buf = '';
  let stderr = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const l = JSON.parse(text) as WorkerLine & { done?: boolean };
      if (!l.done) lines.push(l);
    }
  });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<{ lines: WorkerLine[]; code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      proc.on('error', reject);
      proc.on('exit', (code, signal) => {
        if (code !== 0 && signal === null)
          reject(new Error(`worker ${nodeName} exited ${String(code)}: ${stderr}`));
        else resolve({ lines, code, signal });
      });
    },
  );
  return { proc, lines, exited };
}

/** Run `workers` processes over `claims` (split round-robin) and return every line. */
export async function runWorkers(
  kubeconfig: string,
  workers: number,
  job: Omit<WorkerJob, 'claims'>,
  claims: WorkerJob['claims'],
): Promise<WorkerLine[]> {
  const parts = Array.from({ length: workers }, (_, w) => claims.filter((_c, i) => i % workers === w));
  const running = await Promise.all(
    parts.map((part, w) => startWorker(kubeconfig, `ipam-node-${String(w)}`, { ...job, claims: part })),
  );
  const done = await Promise.all(running.map((r) => r.exited));
  return done.flatMap((d) => d.lines);
}

/** Create `n` ResourceClaims (not allocated: an address needs only their identity), `parallel` at a time. */
export async function createClaims(
  c: KubeRestClient,
  namespace: string,
  prefix: string,
  n: number,
  parallel = 16,
): Promise<WorkerJob['claims']> {
  const out: WorkerJob['claims'] = [];
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${String(i)}`);
  const lane = async (): Promise<void> => {
    for (let name = names.shift(); name; name = names.shift()) {
      const o = await c.create<{ metadata: { uid: string } }>(
        `/apis/resource.k8s.io/v1/namespaces/${namespace}/resourceclaims`,
        {
          apiVersion: 'resource.k8s.io/v1',
          kind: 'ResourceClaim',
          metadata: { name },
          spec: { devices: { requests: [{ name: 'nic', exactly: { deviceClassName: 'ipam-test' } }] } },
        },
      );
      out.push({ namespace, name, uid: o.metadata.uid });
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return out;
}

export async function deleteClaims(
  c: KubeRestClient,
  claims: WorkerJob['claims'],
  parallel = 16,
): Promise<void> {
  const todo = [...claims];
  const lane = async (): Promise<void> => {
    for (let x = todo.shift(); x; x = todo.shift()) {
      await c
        .delete(`/apis/resource.k8s.io/v1/namespaces/${x.namespace}/resourceclaims/${x.name}`)
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
}

export async function applyPool(c: KubeRestClient, name: string, spec: IPPoolSpec): Promise<void> {
  await c.apply(ipPoolsPath(name), {
    apiVersion: 'knd.dev/v1alpha1',
    kind: 'IPPool',
    metadata: { name },
    spec,
  });
}

export async function poolAllocations(c: KubeRestClient, pool: string): Promise<IPAllocation[]> {
  return (
    await c.listAll(ipAllocationsPath(), decodeIPAllocation, { labelSelector: `${LABEL_IPAM_POOL}=${pool}` })
  ).items;
}

/** Remove the pool and every allocation left in it. */
export async function deletePool(c: KubeRestClient, pool: string): Promise<void> {
  for (const a of await poolAllocations(c, pool)) {
    await c.delete(ipAllocationsPath(a.metadata.name)).catch(() => undefined);
  }
  await c.delete(ipPoolsPath(pool)).catch(() => undefined);
}

/** Nearest-rank percentiles of millisecond samples. */
export function percentiles(samples: readonly number[]): { p50: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number =>
    s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
  return { p50: at(50), p99: at(99), max: s[s.length - 1] ?? Number.NaN };
}
