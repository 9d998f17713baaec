// The inventory loop + publisher on the live host against the real apiserver: a veth pair created
// during the test appears in the node's ResourceSlice, and disappears when deleted, each within 2 s.
// A pinned device moved into another network namespace (what the NRI side does on attach) stays
// published until unpinned. Needs root (ip link, ip netns).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import { DRIVER_NAME } from '../../lib/api/constants.js';
import { silentLogger } from '../../lib/util/logger.js';
import {
  loadDeviceFilter,
  startInventory,
  type Inventory,
} from '../../node-agent/src/inventory/inventory.js';
import { startPublisher, type Publisher } from '../../node-agent/src/publish/publisher.js';
import { FakeNodes, kubeConfig, slicesOf, suffix, waitFor, restClient } from './publish-helpers.js';

const run = promisify(execFile);
const ip = async (...args: string[]): Promise<void> => {
  await run('ip', args);
};

let kc: KubeConfig;
let rest: KubeRestClient;
let fakes: FakeNodes;
const tag = suffix().slice(0, 4);
const vethA = `kndp${tag}a`;
const vethB = `kndp${tag}b`;
const netns = `kndp-${tag}`;

async function cleanupLinks(): Promise<void> {
  for (const l of [vethA, vethB]) {
    await ip('link', 'del', l).catch((e: unknown) => {
      if (!String((e as { stderr?: unknown }).stderr).includes('Cannot find device')) throw e;
    });
  }
  await ip('netns', 'del', netns).catch((e: unknown) => {
    if (!/No such file|Cannot remove/.test(String((e as { stderr?: unknown }).stderr))) throw e;
  });
}

beforeAll(async () => {
  kc = kubeConfig();
  rest = restClient(kc);
  fakes = new FakeNodes(kc.makeApiClient(CoreV1Api), rest);
  await cleanupLinks();
});

afterAll(async () => {
  await cleanupLinks();
  await fakes.cleanup();
});

describe('live veth pair in the published slice', () => {
  let inv: Inventory | undefined;
  let pub: Publisher | undefined;
  afterAll(async () => {
    inv?.stop();
    await pub?.stop();
  });

  it('appears within 2 s of creation, disappears within 2 s of deletion; pinned devices survive leaving the host', async () => {
    const node = await fakes.create('knd-veth');
    const p = startPublisher({
      kubeConfig: kc,
      nodeName: node.name,
      driverName: DRIVER_NAME,
      logger: silentLogger(),
    });
    pub = p;
    const i = startInventory({
      logger: silentLogger(),
      optInVirtualTypes: ['veth'],
      // Only this test's links: other suites may create veths on this machine at the same time.
      filter: await loadDeviceFilter(`device.attributes["knd.dev"].ifName.startsWith("kndp${tag}")`),
      onChange: (devices) => {
        p.update(devices);
      },
    });
    inv = i;
    await i.ready;
    await p.waitForSync(30_000);
    const names = async (): Promise<string[]> =>
      (await slicesOf(rest, node.name)).flatMap((s) => s.spec.devices.map((d) => d.name)).sort();
    expect(await names()).toEqual([]);

    await ip('link', 'add', vethA, 'type', 'veth', 'peer', 'name', vethB);
    const appearMs = await waitFor(
      async () => (await names()).join() === [vethA, vethB].join(),
      2000,
      'veth pair published',
    );
    const published = (await slicesOf(rest, node.name))[0]?.spec.devices.find((d) => d.name === vethA);
    expect(published?.attributes['knd.dev/type']).toEqual({ string: 'veth' });
    expect(published?.attributes['knd.dev/virtual']).toEqual({ bool: true });
    expect(i.lookup(vethA)).toMatchObject({ ifName: vethA, present: true, pinned: false });

    // Pin B and move it into another netns (as an attach does): it stays published, lookup says not present.
    expect(i.pin(vethB)).toBe(true);
    await ip('netns', 'add', netns);
    await ip('link', 'set', vethB, 'netns', netns);
    await i.rescanNow();
    await p.waitForSync(10_000);
    expect(await names()).toEqual([vethA, vethB]);
    expect(i.lookup(vethB)).toMatchObject({ ifName: vethB, present: false, pinned: true });

    await ip('link', 'del', vethA); // deletes the pair, B included (inside the netns)
    const goneMs = await waitFor(async () => (await names()).join() === vethB, 2000, 'deleted veth removed');
    i.unpin(vethB);
    await waitFor(async () => (await names()).length === 0, 2000, 'unpinned device removed');
    expect(appearMs).toBeLessThan(2000);
    expect(goneMs).toBeLessThan(2000);
  });
});
