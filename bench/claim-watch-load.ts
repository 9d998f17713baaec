// What the kube-apiserver sends node agents about ResourceClaims, before and after the agent stopped
// watching claims (docs/dra-plugin.md, "Reading claims"), on the real apiserver over loopback.
//
//   before  every agent runs an informer: LIST, then one watch stream of all claims (here: the
//           cluster-wide path with a field selector on the bench namespace, so other users' claims
//           do not blur the count). Every claim event goes to every agent.
//   after   every agent GETs only what it prepares: each claim once, plus the shared-claim check of
//           prepare (shared-claims.ts): the other claims this agent prepared in that namespace that
//           are still live. All claims are in ONE namespace here, the worst case for that check.
//
// Workload: AGENTS simulated agents, CLAIMS claims spread round-robin over them. Each claim goes
// through create -> one update -> delete (3 events; a real claim also gets allocated, reserved,
// unreserved and deallocated, and carries a larger status, so the "before" figures are a lower
// bound). Both modes run on the same workload, one after the other. Counted on the receiving side:
// watch events and bytes per agent and in total, GET requests and bytes; plus the apiserver's own
// apiserver_watch_events_total / _sizes for resourceclaims, and one LIST of all claims (what every
// agent restart cost before).
//
// Bounded: stops with an error after --max-seconds (default 600). Loopback only.
// Run: npx tsc -p tsconfig.json --noEmit false --outDir /tmp/knd-cw-dist &&
//      KND_KUBECONFIG=... node /tmp/knd-cw-dist/bench/claim-watch-load.js [agents] [claims]
import { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import * as https from 'node:https';
import { cpus, loadavg } from 'node:os';
import { KubeRestClient } from '../lib/kube/rest-client.js';

const AGENTS = Number(process.argv[2] ?? 200);
const CLAIMS = Number(process.argv[3] ?? 5000);
const MAX_SECONDS = Number(process.env['MAX_SECONDS'] ?? 600);
const CONCURRENCY = 16;
const kubeconfig = process.env['KND_KUBECONFIG'] ?? '';
if (kubeconfig === '')
  throw new Error('set KND_KUBECONFIG to the test control plane (test/cluster/up.sh prints it)');
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const api = new KubeRestClient(kc, { fieldManager: 'knd-bench', timeoutMs: 60_000 });
const ns = `bench-cw-${randomBytes(3).toString('hex')}`;
const CLAIMS_PATH = `/apis/resource.k8s.io/v1/namespaces/${ns}/resourceclaims`;
const started = Date.now();

function checkTime(what: string): void {
  if ((Date.now() - started) / 1000 > MAX_SECONDS) throw new Error(`over ${MAX_SECONDS} s during ${what}`);
}

/** Run fn for 0..n-1 with at most `limit` in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) {
        const i = next++;
        if (i % 500 === 0) checkTime(`item ${i}`);
        await fn(i);
      }
    }),
  );
}

interface Watcher {
  events: number;
  bytes: number;
  close(): void;
}

async function watchAll(resourceVersion: string, agent: https.Agent): Promise<Watcher> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const q = new URLSearchParams({
    watch: '1',
    resourceVersion,
    fieldSelector: `metadata.namespace=${ns}`,
  });
  const w: Watcher = { events: 0, bytes: 0, close: () => undefined };
  await new Promise<void>((resolve, reject) => {
    const req = https.request(
      new URL(`/apis/resource.k8s.io/v1/resourceclaims?${q.toString()}`, server),
      { ...opts, agent, method: 'GET', headers: { ...(opts.headers ?? {}), Accept: 'application/json' } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch: HTTP ${String(res.statusCode)}`));
          return;
        }
        res.on('data', (chunk: Buffer) => {
          w.bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) w.events++;
        });
        res.on('error', () => undefined);
        resolve();
      },
    );
    req.on('error', reject);
    req.end();
    w.close = () => {
      req.destroy();
    };
  });
  return w;
}

/** The apiserver's own /metrics text. */
async function rawMetrics(): Promise<string> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  return new Promise((resolve, reject) => {
    https
      .get(new URL('/metrics', server), opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Sum of the apiserver's watch counters for resourceclaims: [events, bytes]. */
function parseWatchCounters(body: string): [number, number] {
  let events = 0;
  let bytes = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith('#') || !/resourceclaims|ResourceClaim/.test(line)) continue;
    const v = Number(line.split(' ').at(-1));
    if (line.startsWith('apiserver_watch_events_total')) events += v;
    if (line.startsWith('apiserver_watch_events_sizes_sum')) bytes += v;
  }
  return [events, bytes];
}

const claimBody = (i: number): object => ({
  apiVersion: 'resource.k8s.io/v1',
  kind: 'ResourceClaim',
  metadata: { name: `c${i}`, labels: { 'bench.knd.dev/agent': `a${i % AGENTS}` } },
  spec: { devices: { requests: [{ name: 'nic', exactly: { deviceClassName: 'knd-bench-nic' } }] } },
});

interface Totals {
  events: number;
  bytes: number;
  gets: number;
  seconds: number;
  serverEvents: number;
  serverBytes: number;
  maxAgentEvents: number;
}

/** The workload; `onUpdated(i)` is where an agent prepares claim i (after its update). */
async function workload(onUpdated: (i: number) => Promise<void>): Promise<void> {
  await pool(CLAIMS, CONCURRENCY, async (i) => {
    await api.create(CLAIMS_PATH, claimBody(i));
  });
  await pool(CLAIMS, CONCURRENCY, async (i) => {
    await api.request(
      'patch',
      'PATCH',
      `${CLAIMS_PATH}/c${i}`,
      { metadata: { labels: { phase: 'prepared' } } },
      'application/merge-patch+json',
    );
    await onUpdated(i);
  });
  await pool(CLAIMS, CONCURRENCY, async (i) => {
    await api.delete(`${CLAIMS_PATH}/c${i}`);
  });
}

async function waitGone(): Promise<void> {
  for (;;) {
    checkTime('waiting for deletes');
    const l = await api.list<{ items: unknown[] }>(CLAIMS_PATH);
    if (l.items.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function before(): Promise<Totals> {
  const t0 = Date.now();
  const [e0, b0] = parseWatchCounters(await rawMetrics());
  const agent = new https.Agent({ keepAlive: true, maxSockets: Infinity });
  const watchers: Watcher[] = [];
  let listBytes = 0;
  for (let a = 0; a < AGENTS; a++) {
    const l = await api.list<{ metadata: { resourceVersion: string } }>(
      `/apis/resource.k8s.io/v1/resourceclaims?fieldSelector=metadata.namespace%3D${ns}`,
    );
    listBytes += JSON.stringify(l).length;
    watchers.push(await watchAll(l.metadata.resourceVersion, agent));
  }
  await workload(() => Promise.resolve());
  await waitGone();
  // every watcher must have seen 3 events per claim before we stop counting
  const want = CLAIMS * 3;
  while (watchers.some((w) => w.events < want)) {
    checkTime(`watchers catching up (${Math.min(...watchers.map((w) => w.events))}/${want})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const w of watchers) w.close();
  agent.destroy();
  const [e1, b1] = parseWatchCounters(await rawMetrics());
  return {
    events: watchers.reduce((n, w) => n + w.events, 0),
    bytes: watchers.reduce((n, w) => n + w.bytes, 0) + listBytes,
    gets: 0,
    seconds: (Date.now() - t0) / 1000,
    serverEvents: e1 - e0,
    serverBytes: b1 - b0,
    maxAgentEvents: Math.max(...watchers.map((w) => w.events)),
  };
}

async function after(): Promise<Totals> {
  const t0 = Date.now();
  const [e0, b0] = parseWatchCounters(await rawMetrics());
  const live: Set<number>[] = Array.from({ length: AGENTS }, () => new Set<number>());
  let gets = 0;
  let bytes = 0;
  const get = async (i: number): Promise<void> => {
    const c = await api.get(`${CLAIMS_PATH}/c${i}`);
    gets++;
    bytes += JSON.stringify(c).length;
  };
  await workload(async (i) => {
    const mine = live[i % AGENTS] as Set<number>;
    // prepare: the claim itself, and the agent's other live claims in the namespace (shared check)
    await Promise.all([get(i), ...[...mine].map((j) => get(j))]);
    mine.add(i);
  });
  await waitGone();
  const [e1, b1] = parseWatchCounters(await rawMetrics());
  return {
    events: 0,
    bytes,
    gets,
    seconds: (Date.now() - t0) / 1000,
    serverEvents: e1 - e0,
    serverBytes: b1 - b0,
    maxAgentEvents: 0,
  };
}

async function main(): Promise<void> {
  await api.create('/api/v1/namespaces', { metadata: { name: ns } });
  try {
    // one LIST of all claims: what an informer's (re)start costs each agent
    await pool(CLAIMS, CONCURRENCY, async (i) => {
      await api.create(CLAIMS_PATH, claimBody(i));
    });
    const full = await api.list(CLAIMS_PATH);
    const listBytes = JSON.stringify(full).length;
    await pool(CLAIMS, CONCURRENCY, async (i) => {
      await api.delete(`${CLAIMS_PATH}/c${i}`);
    });
    await waitGone();
    const b = await before();
    const a = await after();
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    process.stdout.write(
      `ResourceClaim traffic to ${AGENTS} agents for ${CLAIMS} claims (create, update, delete each), real kube-apiserver on loopback; ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(1) ?? '?'}\n\n`,
    );
    process.stdout.write(
      '| mode | watch events to agents | GETs | bytes to agents | per agent | apiserver watch events (its metric) | wall s |\n|---|---|---|---|---|---|---|\n',
    );
    process.stdout.write(
      `| before: list+watch all claims | ${b.events} | 0 | ${mb(b.bytes)} MB | ${b.maxAgentEvents} events, ${mb(b.bytes / AGENTS)} MB | ${b.serverEvents} (${mb(b.serverBytes)} MB) | ${b.seconds.toFixed(1)} |\n`,
    );
    process.stdout.write(
      `| after: GET own claims | 0 | ${a.gets} | ${mb(a.bytes)} MB | ${(a.gets / AGENTS).toFixed(0)} GETs, ${mb(a.bytes / AGENTS)} MB | ${a.serverEvents} (${mb(a.serverBytes)} MB) | ${a.seconds.toFixed(1)} |\n`,
    );
    process.stdout.write(
      `\nOne LIST of all ${CLAIMS} claims (each informer (re)start, before): ${mb(listBytes)} MB\n`,
    );
  } finally {
    await api.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
  }
}

await main();
