// End-to-end latency from a kernel link change to the ResourceSlice on the real apiserver: a veth
// pair is created (then deleted) `rounds` times on the live host while startInventory (rtnetlink
// notifications) feeds startPublisher; the time until the slice lists (no longer lists) the pair is
// measured by polling the apiserver every 10 ms. Needs root.
// Run: KND_KUBECONFIG=... node /tmp/knd-dist/bench/publish-veth-latency.bench.js [rounds]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, ResourceV1Api, type V1Node } from '@kubernetes/client-node';
import { DRIVER_NAME } from '../lib/api/constants.js';
import { silentLogger } from '../lib/util/logger.js';
import { loadDeviceFilter, startInventory } from '../node-agent/src/inventory/inventory.js';
import { startPublisher } from '../node-agent/src/publish/publisher.js';
import { summarize } from './discovery-stats.js';

const rounds = Number(process.argv[2] ?? 10);
const run = promisify(execFile);
const path = process.env['KND_KUBECONFIG'];
if (!path) throw new Error('set KND_KUBECONFIG to the test control plane');
const kc = new KubeConfig();
kc.loadFromFile(path);
const core = kc.makeApiClient(CoreV1Api);
const resource = kc.makeApiClient(ResourceV1Api);
const tag = Math.random().toString(16).slice(2, 6);
const nodeName = `knd-vethlat-${tag}`;

const body: V1Node = { metadata: { name: nodeName } };
await core.createNode({ body });
const pub = startPublisher({ kubeConfig: kc, nodeName, driverName: DRIVER_NAME, logger: silentLogger() });
const inv = startInventory({
  logger: silentLogger(),
  optInVirtualTypes: ['veth'],
  filter: await loadDeviceFilter(`device.attributes["knd.dev"].ifName.startsWith("kndl${tag}")`),
  onChange: (d) => {
    pub.update(d);
  },
});

async function count(): Promise<number> {
  const l = await resource.listResourceSlice({
    fieldSelector: `spec.driver=${DRIVER_NAME},spec.nodeName=${nodeName}`,
  });
  return l.items.reduce((n, s) => n + (s.spec.devices?.length ?? 0), 0);
}

async function until(want: number): Promise<number> {
  const t = performance.now();
  while ((await count()) !== want) {
    if (performance.now() - t > 10_000) throw new Error(`slice did not reach ${want} devices within 10 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - t;
}

const appear: number[] = [];
const gone: number[] = [];
try {
  await inv.ready;
  await pub.waitForSync(30_000);
  for (let i = 0; i < rounds; i++) {
    await run('ip', ['link', 'add', `kndl${tag}a`, 'type', 'veth', 'peer', 'name', `kndl${tag}b`]);
    appear.push(await until(2));
    await run('ip', ['link', 'del', `kndl${tag}a`]);
    gone.push(await until(0));
  }
  console.log(`veth pair -> ResourceSlice latency, ${rounds} rounds (live host, real apiserver)`);
  console.table([summarize('created -> in slice', appear), summarize('deleted -> out of slice', gone)]);
} finally {
  await run('ip', ['link', 'del', `kndl${tag}a`]).catch((e: unknown) => {
    // Normally already gone; anything else is reported.
    if (!String((e as { stderr?: unknown }).stderr).includes('Cannot find device')) throw e;
  });
  inv.stop();
  await pub.stop({ deleteSlices: true });
  await core.deleteNode({ name: nodeName });
}
