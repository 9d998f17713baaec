// Device taints in the published ResourceSlices against the real kube-apiserver (jest project
// `integration`). What is expected follows the apiserver's release: DRADeviceTaints is on by default
// from 1.36 (beta; GA in 1.37) and off in 1.35, where the apiserver drops `devices[].taints` on
// write. The publisher itself never looks at the version: it learns from what a write returns.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { DRIVER_NAME } from '../../lib/api/constants.js';
import type { DeviceTaint } from '../../lib/api/device-taints.js';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import { silentLogger } from '../../lib/util/logger.js';
import { startPublisher, type Publisher } from '../../node-agent/src/publish/publisher.js';
import type { SliceDevice } from '../../node-agent/src/publish/slice-builder.js';
import { FakeNodes, kubeConfig, restClient, slicesOf } from './publish-helpers.js';

let kc: KubeConfig;
let rest: KubeRestClient;
let fakes: FakeNodes;
let servesTaints: boolean;
const publishers: Publisher[] = [];

const taint: DeviceTaint = {
  key: 'knd.dev/unhealthy',
  value: 'NoCarrier',
  effect: 'NoSchedule',
  timeAdded: '2026-12-07T10:00:00Z',
};
const devices = (n: number, tainted: ReadonlySet<number>): SliceDevice[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `nic-${String(i).padStart(3, '0')}`,
    attributes: { 'knd.dev/ifName': { string: `eth${String(i)}` } },
    ...(tainted.has(i) ? { taints: [taint] } : {}),
  }));

function publisher(node: string): Publisher {
  const p = startPublisher({
    kubeConfig: kc,
    nodeName: node,
    driverName: DRIVER_NAME,
    logger: silentLogger(),
  });
  publishers.push(p);
  return p;
}

beforeAll(async () => {
  kc = kubeConfig();
  rest = restClient(kc);
  fakes = new FakeNodes(kc.makeApiClient(CoreV1Api), rest);
  const v = await rest.get<{ major: string; minor: string }>('/version');
  servesTaints = Number.parseInt(v.major, 10) > 1 || Number.parseInt(v.minor, 10) >= 36;
});

afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await fakes.cleanup();
});

describe('ResourceSlice device taints against the real apiserver', () => {
  it('publishes a taint, learns whether the apiserver keeps it, and converges without rewriting', async () => {
    const node = await fakes.create('knd-taint');
    const p = publisher(node.name);
    p.update(devices(3, new Set([1])));
    let st = await p.waitForSync(30_000);
    const [slice] = await slicesOf(rest, node.name);
    if (servesTaints) {
      expect(st.taints).toBe('served');
      expect(slice?.spec.devices[1]?.taints).toEqual([taint]);
      expect(slice?.metadata.labels['knd.dev/device-taints']).toBeUndefined();
    } else {
      // 1.35: dropped on write; published again without taints, labelled for the operator
      expect(st.taints).toBe('dropped');
      expect(slice?.spec.devices.every((d) => d.taints === undefined)).toBe(true);
      expect(slice?.metadata.labels['knd.dev/device-taints']).toBe('unsupported');
    }
    // the same devices again: nothing to write, the generation stays
    const generation = st.generation;
    p.update(devices(3, new Set([1])));
    st = await p.waitForSync(30_000);
    expect(st.generation).toBe(generation);

    // healthy again: the taint goes
    p.update(devices(3, new Set()));
    st = await p.waitForSync(30_000);
    const [healed] = await slicesOf(rest, node.name);
    expect(healed?.spec.devices.some((d) => d.taints !== undefined)).toBe(false);
  });

  it('splits at 64 devices per slice while any device is tainted (the API limit), at 128 otherwise', async () => {
    const node = await fakes.create('knd-taint-split');
    const p = publisher(node.name);
    p.update(devices(100, new Set([5])));
    await p.waitForSync(30_000);
    const sizes = (await slicesOf(rest, node.name)).map((s) => s.spec.devices.length);
    expect(sizes).toEqual(servesTaints ? [64, 36] : [100]);
    p.update(devices(100, new Set()));
    await p.waitForSync(30_000);
    expect((await slicesOf(rest, node.name)).map((s) => s.spec.devices.length)).toEqual([100]);
  });
});
