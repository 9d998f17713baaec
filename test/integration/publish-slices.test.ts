// ResourceSlice publishing against the real kube-apiserver (jest project `integration`; the global
// setup starts the control plane and sets KND_KUBECONFIG). Fake Node objects stand in for nodes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import { DRIVER_NAME } from '../../lib/api/constants.js';
import { silentLogger } from '../../lib/util/logger.js';
import { discoverOnce } from '../../node-agent/src/inventory/inventory.js';
import type { InventoryDevice } from '../../node-agent/src/inventory/build-devices.js';
import { startPublisher, type Publisher } from '../../node-agent/src/publish/publisher.js';
import { buildSlices, type ResourceSlice } from '../../node-agent/src/publish/slice-builder.js';
import { gpuServer8x8, makeSysfsFixture, manyNics, type SysfsSpec } from '../support/sysfs-fixture.js';
import {
  FakeNodes,
  kubeConfig,
  nodeBody,
  slicesOf as listSlices,
  suffix,
  restClient,
  slicePath,
} from './publish-helpers.js';

let kc: KubeConfig;
let core: CoreV1Api;
let rest: KubeRestClient;
let fakes: FakeNodes;
const publishers: Publisher[] = [];

const fakeNode = (prefix: string): Promise<{ name: string; uid: string }> => fakes.create(prefix);
const slicesOf = (node: string): Promise<ResourceSlice[]> => listSlices(rest, node);

async function devicesOf(spec: SysfsSpec): Promise<InventoryDevice[]> {
  const fx = await makeSysfsFixture(spec);
  try {
    return (await discoverOnce({ sysfsRoot: fx.root, netlink: null })).devices;
  } finally {
    await fx.cleanup();
  }
}

function publisher(
  node: string,
  extra: { requestTimeoutMs?: number; maxBackoffMs?: number } = {},
): Publisher {
  const p = startPublisher({
    kubeConfig: kc,
    nodeName: node,
    driverName: DRIVER_NAME,
    logger: silentLogger(),
    ...extra,
  });
  publishers.push(p);
  return p;
}

beforeAll(() => {
  kc = kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  rest = restClient(kc);
  fakes = new FakeNodes(core, rest);
});

afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await fakes.cleanup();
});
describe('ResourceSlice publisher against the real apiserver', () => {
  it('publishes one pool per node with typed attributes, owner reference, and bumps the generation on change', async () => {
    const node = await fakeNode('knd-pub');
    const devices = await devicesOf(gpuServer8x8().spec);
    const p = publisher(node.name);
    p.update(devices);
    const st = await p.waitForSync(30_000);
    const [slice, ...rest] = await slicesOf(node.name);
    expect(rest).toEqual([]);
    expect(slice?.spec).toEqual({
      driver: DRIVER_NAME,
      nodeName: node.name,
      pool: { name: node.name, generation: st.generation, resourceSliceCount: 1 },
      devices: devices.map((d) => ({ name: d.name, attributes: d.attributes })),
    });
    expect(slice?.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true },
    ]);
    // Int attributes survive the round trip (client-node names them `_int`).
    expect(slice?.spec.devices[0]?.attributes['knd.dev/mtu']).toEqual({ int: 9000 });

    p.update(devices.slice(0, 5));
    const st2 = await p.waitForSync(30_000);
    expect(st2.generation).toBe(st.generation + 1);
    const after = await slicesOf(node.name);
    expect(after.map((s) => [s.spec.pool.generation, s.spec.devices.length])).toEqual([
      [st.generation + 1, 5],
    ]);

    // Same devices again: nothing is written, the generation stays.
    p.update(devices.slice(0, 5));
    expect((await p.waitForSync(30_000)).generation).toBe(st.generation + 1);
  });

  it('splits more than 128 devices across slices with resourceSliceCount, and merges back', async () => {
    const node = await fakeNode('knd-split');
    const devices = await devicesOf(manyNics(200));
    const p = publisher(node.name);
    p.update(devices);
    const st = await p.waitForSync(30_000);
    const slices = await slicesOf(node.name);
    expect(
      slices.map((s) => [s.spec.devices.length, s.spec.pool.resourceSliceCount, s.spec.pool.generation]),
    ).toEqual([
      [128, 2, st.generation],
      [72, 2, st.generation],
    ]);
    const names = slices.flatMap((s) => s.spec.devices.map((d) => d.name));
    expect(new Set(names).size).toBe(200);

    p.update(devices.slice(0, 10));
    const st2 = await p.waitForSync(30_000);
    const merged = await slicesOf(node.name);
    expect(
      merged.map((s) => [s.spec.devices.length, s.spec.pool.resourceSliceCount, s.spec.pool.generation]),
    ).toEqual([[10, 1, st2.generation]]);
  });

  it('removes stale slices of an earlier run at start and continues the generation', async () => {
    const node = await fakeNode('knd-stale');
    const devices = await devicesOf(gpuServer8x8().spec);
    // An earlier run left a 3-slice pool at generation 7.
    const old = buildSlices({
      driverName: DRIVER_NAME,
      nodeName: node.name,
      generation: 7,
      devices,
      maxDevicesPerSlice: 3,
    });
    for (const s of old) await rest.create(slicePath(), s);
    expect(await slicesOf(node.name)).toHaveLength(3);
    const p = publisher(node.name);
    p.update(devices);
    const st = await p.waitForSync(30_000);
    expect(st.generation).toBe(8);
    const now = await slicesOf(node.name);
    expect(
      now.map((s) => [
        s.metadata.name,
        s.spec.devices.length,
        s.spec.pool.generation,
        s.spec.pool.resourceSliceCount,
      ]),
    ).toEqual([[`${node.name}-${DRIVER_NAME}-0`, 8, 8, 1]]);
  });

  it('recreates slices deleted behind its back (as the kubelet does) on resync', async () => {
    const node = await fakeNode('knd-resync');
    const p = publisher(node.name);
    p.update(await devicesOf(gpuServer8x8().spec));
    const st = await p.waitForSync(30_000);
    for (const s of await slicesOf(node.name)) await rest.delete(slicePath(s.metadata.name));
    expect(await slicesOf(node.name)).toEqual([]);
    p.resync();
    const st2 = await p.waitForSync(30_000);
    const again = await slicesOf(node.name);
    expect(again.map((s) => s.spec.devices.length)).toEqual([8]);
    // Recreated under a higher generation: generations never go back within one agent run.
    expect(st2.generation).toBe(st.generation + 1);
    expect(again[0]?.spec.pool.generation).toBe(st.generation + 1);
  });

  it('publishes without an owner reference while the Node object does not exist', async () => {
    const name = `knd-nonode-${suffix()}`;
    fakes.names.push(name);
    const p = publisher(name);
    p.update(await devicesOf(gpuServer8x8().spec));
    await p.waitForSync(30_000);
    const [s] = await slicesOf(name);
    expect(s?.metadata.ownerReferences).toBeUndefined();
    expect(s?.spec.devices).toHaveLength(8);
    // afterAll deletes a Node of this name; create it so the cleanup is uniform.
    await core.createNode({ body: nodeBody(name) });
  });
});
