// The publisher keeps running while the real kube-apiserver is stopped mid-publish, and converges
// to the latest device list once it is started again. Stops and restarts ONLY the apiserver
// process of the test control plane (test/support/apiserver-process.ts); etcd keeps the data.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import { DRIVER_NAME } from '../../lib/api/constants.js';
import { silentLogger } from '../../lib/util/logger.js';
import { discoverOnce } from '../../node-agent/src/inventory/inventory.js';
import { startPublisher } from '../../node-agent/src/publish/publisher.js';
import { startApiserver, stopApiserver, type ApiserverProcess } from '../support/apiserver-process.js';
import { gpuServer8x8, makeSysfsFixture } from '../support/sysfs-fixture.js';
import { FakeNodes, kubeConfig, slicesOf, waitFor, restClient } from './publish-helpers.js';

let kc: KubeConfig;
let core: CoreV1Api;
let rest: KubeRestClient;
let fakes: FakeNodes;

beforeAll(() => {
  kc = kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  rest = restClient(kc);
  fakes = new FakeNodes(core, rest);
});

afterAll(async () => {
  await fakes.cleanup();
});

async function apiserverReady(): Promise<boolean> {
  await core.listNamespace({ limit: 1 });
  return true;
}

describe('apiserver stopped and restarted mid-publish', () => {
  it('keeps running, retries, and converges to the latest devices', async () => {
    const fx = await makeSysfsFixture(gpuServer8x8().spec);
    const devices = (await discoverOnce({ sysfsRoot: fx.root, netlink: null })).devices;
    await fx.cleanup();
    const node = await fakes.create('knd-restart');
    const p = startPublisher({
      kubeConfig: kc,
      nodeName: node.name,
      driverName: DRIVER_NAME,
      logger: silentLogger(),
      requestTimeoutMs: 3000,
      initialBackoffMs: 200,
      maxBackoffMs: 1000,
    });
    let stopped: ApiserverProcess | undefined;
    try {
      p.update(devices.slice(0, 4));
      const first = await p.waitForSync(30_000);

      stopped = await stopApiserver();
      p.update(devices); // while the apiserver is down
      await waitFor(
        () => Promise.resolve(p.status().failures >= 2),
        20_000,
        'publisher reports failures',
        100,
      );
      expect(p.status().synced).toBe(false);
      expect(p.status().lastError).toBeDefined();

      await startApiserver(stopped);
      stopped = undefined;
      await waitFor(apiserverReady, 90_000, 'apiserver ready again', 250);
      const st = await p.waitForSync(60_000);
      expect(st.failures).toBe(0);
      expect(st.generation).toBe(first.generation + 1);
      const slices = await slicesOf(rest, node.name);
      expect(slices.map((s) => s.spec.devices.length)).toEqual([8]);
      expect(slices[0]?.spec.pool.generation).toBe(st.generation);
    } finally {
      if (stopped) await startApiserver(stopped);
      await waitFor(apiserverReady, 90_000, 'apiserver ready (cleanup)', 250);
      await p.stop();
    }
  });
});
