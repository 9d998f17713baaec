import { beforeEach, describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../kube/rest-client.js';
import type { IPAllocation, IPPoolSpec } from '../api/ip-pool.js';
import { FakeIpamApi } from './fake-ipam-api.js';
import {
  IpAllocator,
  IpPoolExhaustedError,
  ipAllocationsPath,
  ipPoolsPath,
  type AllocationRequest,
} from './ip-allocator.js';

const pool = (api: FakeIpamApi, name: string, spec: IPPoolSpec): void => {
  api.put(ipPoolsPath(), { apiVersion: 'knd.dev/v1alpha1', kind: 'IPPool', metadata: { name }, spec });
};
const req = (uid: string, over: Partial<AllocationRequest> = {}): AllocationRequest => ({
  pool: 'fabric',
  family: 'IPv4',
  claim: { namespace: 'ns', name: `c-${uid}`, uid },
  device: 'eth1',
  nodeName: 'node-a',
  ...over,
});
const allocations = (api: FakeIpamApi): IPAllocation[] =>
  api.list(ipAllocationsPath()) as unknown as IPAllocation[];

describe('IpAllocator', () => {
  let api: FakeIpamApi;
  let alloc: IpAllocator;
  beforeEach(() => {
    api = new FakeIpamApi();
    alloc = new IpAllocator(api);
    pool(api, 'fabric', {
      ipv4: {
        cidrs: ['10.0.0.0/29'],
        gateway: '10.0.0.1',
        routes: [{ destination: '10.9.0.0/16', gateway: '10.0.0.1' }],
      },
      ipv6: { cidrs: ['2001:db8::/120'] },
    });
  });

  it('allocates one address with the pool prefix length and routes, named by pool and address', async () => {
    const a = await alloc.allocate(req('u1'));
    expect(a.cidr).toMatch(/^10\.0\.0\.[2-6]\/29$/);
    expect(a.routes).toEqual([{ destination: '10.9.0.0/16', gateway: '10.0.0.1' }]);
    expect(a.reused).toBe(false);
    const [o] = allocations(api);
    expect(o?.metadata.name).toBe(`fabric.v4-${a.cidr.split('/')[0]?.replaceAll('.', '-') ?? ''}`);
    expect(o?.metadata.labels).toEqual({ 'knd.dev/ip-pool': 'fabric', 'knd.dev/claim-uid': 'u1' });
    expect(o?.spec).toMatchObject({
      family: 'IPv4',
      device: 'eth1',
      nodeName: 'node-a',
      claim: { uid: 'u1' },
    });
  });

  it('is idempotent per claim and device: a retry returns the same address without a create', async () => {
    const first = await alloc.allocate(req('u1'));
    const creates = api.calls.filter((c) => c.verb === 'create').length;
    const again = await new IpAllocator(api).allocate(req('u1'));
    expect(again).toMatchObject({ cidr: first.cidr, reused: true });
    expect(api.calls.filter((c) => c.verb === 'create').length).toBe(creates);
    expect(allocations(api)).toHaveLength(1);
  });

  it('a create whose answer was lost is found by the 409 and reused', async () => {
    // the first create is stored, then the "network" fails before the answer
    const real = api.create.bind(api);
    let lost = true;
    api.create = async <T>(path: string, body: unknown): Promise<T> => {
      const r = await real<T>(path, body);
      if (lost) {
        lost = false;
        throw new Error('socket hang up');
      }
      return r;
    };
    await expect(alloc.allocate(req('u1'))).rejects.toThrow(/socket hang up/);
    // the retry finds it by label already; hide that lookup to exercise the 409 path too
    const again = await alloc.allocate(req('u1'), []);
    expect(again.reused).toBe(true);
    expect(allocations(api)).toHaveLength(1);
  });

  it('different devices and families of one claim get their own addresses', async () => {
    const a = await alloc.allocate(req('u1'));
    const b = await alloc.allocate(req('u1', { device: 'eth2' }));
    const c = await alloc.allocate(req('u1', { family: 'IPv6' }));
    expect(new Set([a.cidr, b.cidr]).size).toBe(2);
    expect(c.cidr).toMatch(/^2001:db8::[0-9a-f]+\/120$/);
    expect(allocations(api)).toHaveLength(3);
  });

  it('fills the pool exactly, never twice, then reports it exhausted', async () => {
    const got: string[] = [];
    for (let i = 0; i < 5; i++) got.push((await alloc.allocate(req(`u${String(i)}`))).cidr);
    expect(new Set(got).size).toBe(5);
    expect(got.sort()).toEqual(['10.0.0.2/29', '10.0.0.3/29', '10.0.0.4/29', '10.0.0.5/29', '10.0.0.6/29']);
    await expect(alloc.allocate(req('u9'))).rejects.toThrow(IpPoolExhaustedError);
    await expect(alloc.allocate(req('u9'))).rejects.toThrow(
      'IPPool fabric has no free IPv4 address: all 5 are allocated',
    );
  });

  it('concurrent allocations of many claims never share an address', async () => {
    pool(api, 'big', { ipv4: { cidrs: ['10.1.0.0/24'] } });
    const allocators = Array.from({ length: 8 }, () => new IpAllocator(api));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (allocators[i % 8] as IpAllocator).allocate(req(`c${String(i)}`, { pool: 'big' })),
      ),
    );
    const cidrs = results.map((r) => r.cidr);
    expect(new Set(cidrs).size).toBe(200);
  });

  it('after its probes conflict it lists the pool and takes a free address', async () => {
    pool(api, 'tiny', { ipv4: { cidrs: ['10.2.0.0/29'] } });
    // another writer takes every address the probes aim at
    api.beforeCreate = (_path, name) => {
      if (name.startsWith('tiny.') && !api.objects.has(`${ipAllocationsPath()}/${name}`)) {
        api.put(ipAllocationsPath(), {
          metadata: { name, labels: { 'knd.dev/ip-pool': 'tiny', 'knd.dev/claim-uid': 'other' } },
          spec: {
            pool: 'tiny',
            family: 'IPv4',
            address: `10.2.0.${name.split('-').pop() ?? ''}`,
            prefixLength: 29,
            claim: { namespace: 'x', name: 'y', uid: 'other' },
            device: 'd',
            nodeName: 'n',
          },
        });
      }
    };
    await expect(alloc.allocate(req('u1', { pool: 'tiny' }))).rejects.toThrow(
      'IPPool tiny has no free IPv4 address: all 6 are allocated',
    );
    const tiny = allocations(api).filter((a) => a.spec.pool === 'tiny');
    expect(tiny.map((a) => a.spec.claim.uid)).toEqual(Array(6).fill('other'));
    // 4 blind probes, then lists: each list shows the new conflicts
    expect(api.calls.filter((c) => c.verb === 'list').length).toBe(3);
  });

  it('a missing pool is a clear error', async () => {
    await expect(alloc.allocate(req('u1', { pool: 'nope' }))).rejects.toThrow('IPPool nope does not exist');
  });

  it('a pool without the family, or an invalid pool, is a clear error', async () => {
    pool(api, 'v6only', { ipv6: { cidrs: ['2001:db8::/64'] } });
    pool(api, 'bad', { ipv4: { cidrs: ['10.0.0.1/24'] } });
    await expect(alloc.allocate(req('u1', { pool: 'v6only' }))).rejects.toThrow(
      'IPPool v6only has no spec.ipv4 (IPv4 addresses)',
    );
    await expect(alloc.allocate(req('u1', { pool: 'bad' }))).rejects.toThrow(
      'IPPool bad is invalid: spec.ipv4.cidrs[0]: has host bits set; the prefix is 10.0.0.0/24',
    );
  });

  it('other API errors reject (the kubelet retries prepare)', async () => {
    api.failNext.create = [new KubeApiError(500, 'InternalError', 'POST: 500 etcd timeout')];
    await expect(alloc.allocate(req('u1'))).rejects.toThrow(/etcd timeout/);
  });

  it('release deletes every allocation of the claim and nothing else; twice is fine', async () => {
    await alloc.allocate(req('u1'));
    await alloc.allocate(req('u1', { family: 'IPv6' }));
    await alloc.allocate(req('u2'));
    expect(await alloc.release('u1')).toHaveLength(2);
    expect(allocations(api).map((a) => a.spec.claim.uid)).toEqual(['u2']);
    expect(await alloc.release('u1')).toEqual([]);
  });
});
