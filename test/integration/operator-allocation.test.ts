// The generated objects drive the real kube-scheduler: claims from a generated ResourceClaimTemplate
// are allocated on a fake node whose ResourceSlices hold knd.dev devices, and with alignment every
// allocation pairs a NIC and a GPU (driver gpu.nvidia.com, published by the test) on the same
// PCIe root. Also checks the matched device/node counts the operator computes with CEL.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { KubeRestClient } from '../../lib/kube/rest-client.js';
import {
  adminClient,
  createFakeNode,
  deleteIfExists,
  ensureNamespace,
  inProcessOperator,
  installCrds,
  publishSlice,
  uniq,
  waitFor,
  type CountedOperator,
  type FakeDevice,
} from './operator-harness.js';

const G = '/apis/knd.dev/v1alpha1';
const R = '/apis/resource.k8s.io/v1';
const ROOT = 'resource.kubernetes.io/pcieRoot';

interface Claim {
  metadata: { name: string };
  status?: {
    allocation?: {
      devices: {
        results: { request: string; driver: string; pool: string; device: string }[];
        config?: {
          source: string;
          requests?: string[];
          opaque?: { driver: string; parameters: Record<string, unknown> };
        }[];
      };
    };
  };
}

let c: KubeRestClient;
let op: CountedOperator;
const run = uniq('alloc');
const ns = run;
const node = `${run}-node`;
const ndcName = `${run}-nics`;
const gpuClass = `${run}-gpus`;
// 8 PCIe roots with 2 NICs + 2 GPUs each; root 8 has GPUs only, root 9 NICs only (cannot pair)
const roots = Array.from({ length: 10 }, (_, i) => `pci0000:${i.toString(16).padStart(2, '0')}`);
const rootOf = new Map<string, string>();

function nics(): FakeDevice[] {
  const out: FakeDevice[] = [];
  roots.forEach((root, r) => {
    if (r === 8) return;
    for (let j = 0; j < 2; j++) {
      const name = `nic-${r}-${j}`;
      rootOf.set(`knd.dev/${name}`, root);
      out.push({
        name,
        attributes: {
          ifName: { string: `eth${r * 2 + j}` },
          rdma: { bool: true },
          virtual: { bool: false },
          pciVendor: { string: '0x15b3' },
          linkSpeedMbps: { int: 200000 },
          numaNode: { int: r < 5 ? 0 : 1 },
          testRun: { string: run },
          [ROOT]: { string: root },
        },
      });
    }
  });
  return out;
}

function gpus(): FakeDevice[] {
  const out: FakeDevice[] = [];
  roots.forEach((root, r) => {
    if (r === 9) return;
    for (let j = 0; j < 2; j++) {
      const name = `gpu-${r}-${j}`;
      rootOf.set(`gpu.nvidia.com/${name}`, root);
      out.push({ name, attributes: { productName: { string: 'fake' }, [ROOT]: { string: root } } });
    }
  });
  return out;
}

const pod = (name: string, template: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: {
    nodeSelector: { 'kubernetes.io/hostname': node },
    automountServiceAccountToken: false,
    resourceClaims: [{ name: 'net', resourceClaimTemplateName: template }],
    containers: [{ name: 'c', image: 'localhost/pause:local', resources: { claims: [{ name: 'net' }] } }],
  },
});

async function claimsOf(prefix: string): Promise<Claim[]> {
  const l = await c.list<{ items: Claim[] }>(`${R}/namespaces/${ns}/resourceclaims`);
  return l.items.filter((x) => x.metadata.name.startsWith(prefix));
}

beforeAll(async () => {
  c = adminClient();
  await installCrds(c);
  await ensureNamespace(c, ns);
  await createFakeNode(c, node);
  await publishSlice(c, `${run}-knd`, 'knd.dev', node, nics());
  await publishSlice(c, `${run}-gpu`, 'gpu.nvidia.com', node, gpus());
  await c.apply(`${R}/deviceclasses/${gpuClass}`, {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'DeviceClass',
    metadata: { name: gpuClass },
    spec: { selectors: [{ cel: { expression: 'device.driver == "gpu.nvidia.com"' } }] },
  });
  await c.apply(`${G}/networkdeviceclasses/${ndcName}`, {
    apiVersion: 'knd.dev/v1alpha1',
    kind: 'NetworkDeviceClass',
    metadata: { name: ndcName },
    spec: {
      selector: { rdma: true, vendors: ['0x15b3'], minLinkSpeedMbps: 100000 },
      cel: [`"testRun" in device.attributes["knd.dev"] && device.attributes["knd.dev"].testRun == "${run}"`],
      config: { interface: { mtu: 9000 } },
    },
  });
  // pods need the namespace's default ServiceAccount; KCM creates it, but create it ourselves too in
  // case KCM's serviceaccount controller is slow (e.g. right after an apiserver restart)
  await c.apply(`/api/v1/namespaces/${ns}/serviceaccounts/default`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default', namespace: ns },
  });
  op = await inProcessOperator();
});

afterAll(async () => {
  await op?.stop();
  await deleteIfExists(c, `/api/v1/namespaces/${ns}`);
  await deleteIfExists(c, `${G}/networkdeviceclasses/${ndcName}`);
  await deleteIfExists(c, `${R}/deviceclasses/${gpuClass}`);
  await deleteIfExists(c, `${R}/resourceslices/${run}-knd`);
  await deleteIfExists(c, `${R}/resourceslices/${run}-gpu`);
  await deleteIfExists(c, `/api/v1/nodes/${node}`);
});

describe('allocation by the real scheduler', () => {
  it('the class status counts the matching devices and nodes (CEL over the ResourceSlices)', async () => {
    const o = await waitFor('ndc counts', async () => {
      const x = await c.get<{ status?: { matchedDevices?: number; matchedNodes?: number } }>(
        `${G}/networkdeviceclasses/${ndcName}`,
      );
      return x.status?.matchedDevices === 18 ? x : undefined;
    });
    expect(o.status).toMatchObject({ matchedDevices: 18, matchedNodes: 1 });
  });

  it('a profile narrowing by CEL reports fewer matches', async () => {
    await c.apply(`${G}/namespaces/${ns}/networkprofiles/numa1`, {
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'NetworkProfile',
      metadata: { name: 'numa1', namespace: ns },
      spec: { deviceClassName: ndcName, selectors: ['device.attributes["knd.dev"].numaNode == 1'] },
    });
    // roots 5,6,7,9 are NUMA 1: 4 roots x 2 NICs
    await waitFor('profile counts', async () => {
      const x = await c.get<{ status?: { matchedDevices?: number } }>(
        `${G}/namespaces/${ns}/networkprofiles/numa1`,
      );
      return x.status?.matchedDevices === 8;
    });
  });

  it('a claim from the generated template is allocated a knd.dev device with class and profile config', async () => {
    await c.apply(`${G}/namespaces/${ns}/networkprofiles/single`, {
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'NetworkProfile',
      metadata: { name: 'single', namespace: ns },
      spec: {
        deviceClassName: ndcName,
        config: { interface: { name: 'net1', addresses: ['198.51.100.10/24'] } },
      },
    });
    await waitFor('template', () =>
      c.get(`${R}/namespaces/${ns}/resourceclaimtemplates/single`).catch(() => undefined),
    );
    await c.create(`/api/v1/namespaces/${ns}/pods`, pod('single-0', 'single'));
    const [claim] = await waitFor(
      'allocated claim',
      async () => {
        const cs = await claimsOf('single-0');
        return cs.length === 1 && cs[0]?.status?.allocation ? cs : undefined;
      },
      120_000,
      250,
    );
    const alloc = claim?.status?.allocation?.devices;
    expect(alloc?.results).toHaveLength(1);
    expect(alloc?.results[0]).toMatchObject({ request: 'nic', driver: 'knd.dev', pool: node });
    const sources = (alloc?.config ?? []).map((x) => [
      x.source,
      x.opaque?.driver,
      x.opaque?.parameters['kind'],
    ]);
    expect(sources).toEqual([
      ['FromClass', 'knd.dev', 'NetworkConfig'],
      ['FromClaim', 'knd.dev', 'NetworkConfig'],
    ]);
  }, 150_000);

  it('alignment: over 15 claims (every pair the topology allows) each allocation pairs a NIC and a GPU on the same PCIe root', async () => {
    await c.apply(`${G}/namespaces/${ns}/networkprofiles/aligned`, {
      apiVersion: 'knd.dev/v1alpha1',
      kind: 'NetworkProfile',
      metadata: { name: 'aligned', namespace: ns },
      spec: { deviceClassName: ndcName, alignment: { deviceClassName: gpuClass } },
    });
    await waitFor('template', () =>
      c.get(`${R}/namespaces/${ns}/resourceclaimtemplates/aligned`).catch(() => undefined),
    );
    // 16 pairs exist (roots 0-7); one NIC is already taken by the previous test, so 15 can pair
    const want = 15;
    for (let i = 0; i < want; i++)
      await c.create(`/api/v1/namespaces/${ns}/pods`, pod(`aligned-${i}`, 'aligned'));
    const claims = await waitFor(
      'all aligned claims allocated',
      async () => {
        const cs = await claimsOf('aligned-');
        return cs.length === want && cs.every((x) => x.status?.allocation) ? cs : undefined;
      },
      120_000,
      250,
    );
    const usedGpus = new Set<string>();
    for (const cl of claims) {
      const results = cl.status?.allocation?.devices.results ?? [];
      const nic = results.find((r) => r.request === 'nic');
      const gpu = results.find((r) => r.request === 'aligned');
      expect(nic?.driver).toBe('knd.dev');
      expect(gpu?.driver).toBe('gpu.nvidia.com');
      const nicRoot = rootOf.get(`knd.dev/${nic?.device ?? ''}`);
      const gpuRoot = rootOf.get(`gpu.nvidia.com/${gpu?.device ?? ''}`);
      expect(nicRoot).toBeDefined();
      expect(gpuRoot).toBe(nicRoot);
      usedGpus.add(gpu?.device ?? '');
    }
    expect(usedGpus.size).toBe(want);
  }, 180_000);
});
