// Publishing benchmark against the real kube-apiserver: 500 simulated nodes (fake Node objects),
// each with its own publisher and 8 devices (the 8-NIC fixture), all started at once.
// Phases: initial publish; an update (one device removed -> generation bump); a resync with
// nothing to change (LIST only). Reports per-node latency from update() to synced, percentiles,
// and wall time / throughput per phase. Cleans up its nodes and slices.
// Run: KND_KUBECONFIG=... node /tmp/knd-dist/bench/publish.bench.js [nodes]
import { CoreV1Api, KubeConfig, ResourceV1Api, type V1Node } from '@kubernetes/client-node';
import { DRIVER_NAME } from '../lib/api/constants.js';
import { silentLogger } from '../lib/util/logger.js';
import { discoverOnce } from '../node-agent/src/inventory/inventory.js';
import { startPublisher, type Publisher } from '../node-agent/src/publish/publisher.js';
import { gpuServer8x8, makeSysfsFixture } from '../test/support/sysfs-fixture.js';
import { summarize } from './discovery-stats.js';

const count = Number(process.argv[2] ?? 500);
const kubeconfigPath = process.env['KND_KUBECONFIG'];
if (!kubeconfigPath)
  throw new Error('set KND_KUBECONFIG to the test control plane (bash test/cluster/up.sh prints it)');
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);

async function inBatches<T>(
  items: readonly T[],
  size: number,
  fn: (t: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

const fx = await makeSysfsFixture(gpuServer8x8().spec);
const devices = (await discoverOnce({ sysfsRoot: fx.root, netlink: null })).devices;
await fx.cleanup();

const tag = Math.random().toString(16).slice(2, 8);
const names = Array.from({ length: count }, (_, i) => `knd-bench-${tag}-${i}`);

const nodeBody = (name: string): V1Node => ({ metadata: { name, labels: { 'knd.dev/bench': tag } } });
await inBatches(names, 50, (name) => core.createNode({ body: nodeBody(name) }));

const publishers: Publisher[] = names.map((nodeName) =>
  startPublisher({
    kubeConfig: kc,
    nodeName,
    driverName: DRIVER_NAME,
    logger: silentLogger(),
    resyncIntervalMs: 3_600_000,
  }),
);

async function phase(name: string, act: (p: Publisher) => void): Promise<Record<string, string | number>> {
  const t0 = performance.now();
  const lat = await Promise.all(
    publishers.map(async (p) => {
      const s = performance.now();
      act(p);
      await p.waitForSync(300_000);
      return performance.now() - s;
    }),
  );
  const wallMs = performance.now() - t0;
  return {
    ...summarize(name, lat),
    wallMs: Math.round(wallMs),
    nodesPerS: Math.round((count / wallMs) * 1000),
  };
}

const rows = [];
try {
  // Baseline: one node alone, 20 sequential updates (each a generation bump: LIST + PUT).
  const solo = publishers[0];
  if (!solo) throw new Error('no nodes');
  const soloLat: number[] = [];
  solo.update(devices);
  await solo.waitForSync(60_000);
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    solo.update(i % 2 === 0 ? devices.slice(1) : devices);
    await solo.waitForSync(60_000);
    soloLat.push(performance.now() - s);
  }
  rows.push({
    ...summarize('baseline: 1 node alone, update (LIST + PUT)', soloLat),
    wallMs: '',
    nodesPerS: '',
  });
  rows.push(
    await phase(`initial publish, ${count} nodes x ${devices.length} devices`, (p) => {
      p.update(devices);
    }),
  );
  rows.push(
    await phase('update (one device removed, generation bump)', (p) => {
      p.update(devices.slice(1));
    }),
  );
  rows.push(
    await phase('resync, nothing changed (LIST only)', (p) => {
      p.resync();
    }),
  );
  const failures = publishers.reduce((n, p) => n + p.status().failures, 0);
  const l = await resource.listResourceSlice({ fieldSelector: `spec.driver=${DRIVER_NAME}` });
  const ours = l.items.filter((s) => s.spec.nodeName?.startsWith(`knd-bench-${tag}-`));
  console.log(
    `publish: ${count} simulated nodes against the real kube-apiserver; ${ours.length} slices present; ${failures} failed reconciles pending`,
  );
  console.table(rows);
} finally {
  await Promise.all(publishers.map((p) => p.stop({ deleteSlices: true })));
  await inBatches(names, 50, (name) => core.deleteNode({ name }));
}
