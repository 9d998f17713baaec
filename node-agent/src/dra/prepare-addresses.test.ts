// DraHandler with IPPool addresses: the plan carries the allocated address, a retry and a new agent
// instance keep it, unprepare releases it, an exhausted pool fails only that claim (Ready=False
// reported) and never prepares it without an address.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../lib/util/logger.js';
import { FakeIpamApi } from '../../../lib/ipam/fake-ipam-api.js';
import { KubeApiError } from '../../../lib/kube/rest-client.js';
import { IpAllocator, ipAllocationsPath, ipPoolsPath } from '../../../lib/ipam/ip-allocator.js';
import { CdiWriter } from '../cdi/cdi-writer.js';
import { PlanStore } from '../plan-store/plan-store.js';
import type { ResourceClaim } from './claim-types.js';
import type { ClaimSource } from './claim-reader.js';
import { ClaimAddresses } from './claim-addresses.js';
import { DraHandler, type DraHandlerOptions } from './prepare-handler.js';

let dir: string;
let api: FakeIpamApi;
const claims = new Map<string, ResourceClaim>();
const failures: string[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-dra-ipam-'));
  await writeFile(join(dir, 'boot_id'), 'boot-1\n');
  api = new FakeIpamApi();
  api.put(ipPoolsPath(), { metadata: { name: 'fabric' }, spec: { ipv4: { cidrs: ['10.10.0.0/30'] } } });
  claims.clear();
  failures.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function addClaim(name: string, uid: string, device: string, pool = 'fabric'): void {
  claims.set(`default/${name}`, {
    metadata: { namespace: 'default', name, uid },
    status: {
      allocation: {
        devices: {
          results: [{ request: 'nic', driver: 'knd.dev', pool: 'node-a', device }],
          config: [
            { source: 'FromClaim', opaque: { driver: 'knd.dev', parameters: { ipam: { ipv4Pool: pool } } } },
          ],
        },
      },
      reservedFor: [{ resource: 'pods', name: 'p', uid: `pod-${uid}` }],
    },
  });
}
const source: ClaimSource = {
  get: (namespace, name) => {
    const c = claims.get(`${namespace}/${name}`);
    return c ? Promise.resolve(structuredClone(c)) : Promise.reject(new Error('not found'));
  },
};
const ref = (name: string, uid: string) => ({ namespace: 'default', name, uid });

async function handler(over: { withIpam?: boolean } = {}): Promise<DraHandler> {
  return new DraHandler({
    driverName: 'knd.dev',
    poolName: 'node-a',
    claims: source,
    devices: { lookup: (name) => ({ name, ifName: `eth-${name}`, charDevices: [], present: true }) },
    store: await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') }),
    cdi: new CdiWriter({ dir: join(dir, 'cdi') }),
    logger: silentLogger(),
    ...(over.withIpam === false ? {} : { addresses: new ClaimAddresses(new IpAllocator(api), 'node-a') }),
    onAddressFailure: (claim, devices, reason, message) => {
      failures.push(`${claim.name} ${devices.map((d) => d.deviceName).join(',')} ${reason}: ${message}`);
    },
  });
}
const planAddresses = async (h: DraHandler, uid: string): Promise<string[] | undefined> => {
  const store = (h as unknown as { o: DraHandlerOptions }).o.store;
  return (await store.getPlan(uid))?.devices[0]?.addresses;
};

describe('DraHandler with IPPool addresses', () => {
  it('plans the allocated address; retries and a new instance keep it; unprepare releases it', async () => {
    addClaim('a', 'ua', 'nic0');
    const h = await handler();
    expect((await h.prepare([ref('a', 'ua')])).get('ua')?.error).toBe('');
    const addrs = await planAddresses(h, 'ua');
    expect(addrs).toEqual([expect.stringMatching(/^10\.10\.0\.[12]\/30$/)]);
    expect(api.list(ipAllocationsPath())).toHaveLength(1);
    // a new agent process whose plan was lost before it was written: same address
    await rm(join(dir, 'state'), { recursive: true, force: true });
    const h2 = await handler();
    expect((await h2.prepare([ref('a', 'ua')])).get('ua')?.error).toBe('');
    expect(await planAddresses(h2, 'ua')).toEqual(addrs);
    expect(api.list(ipAllocationsPath())).toHaveLength(1);
    expect((await h2.unprepare([ref('a', 'ua')])).get('ua')).toEqual({ error: '' });
    expect(api.list(ipAllocationsPath())).toHaveLength(0);
  });

  it('two claims get distinct addresses; a third fails with the pool message and Ready=False, the others stay', async () => {
    addClaim('a', 'ua', 'nic0');
    addClaim('b', 'ub', 'nic1');
    addClaim('c', 'uc', 'nic2');
    const h = await handler();
    const r = await h.prepare([ref('a', 'ua'), ref('b', 'ub')]);
    expect([r.get('ua')?.error, r.get('ub')?.error]).toEqual(['', '']);
    expect(
      new Set([...((await planAddresses(h, 'ua')) ?? []), ...((await planAddresses(h, 'ub')) ?? [])]).size,
    ).toBe(2);
    const c = await h.prepare([ref('c', 'uc')]);
    expect(c.get('uc')).toEqual({
      devices: [],
      error:
        'claim default/c: no IPv4 address from IPPool fabric for device nic2: IPPool fabric has no free IPv4 address: all 2 are allocated',
    });
    expect(await planAddresses(h, 'uc')).toBeUndefined();
    expect(failures).toEqual([
      'c nic2 AddressPoolExhausted: no IPv4 address from IPPool fabric for device nic2: IPPool fabric has no free IPv4 address: all 2 are allocated',
    ]);
    // a freed address lets the kubelet's retry succeed
    await h.unprepare([ref('a', 'ua')]);
    expect((await h.prepare([ref('c', 'uc')])).get('uc')?.error).toBe('');
  });

  it('a missing pool, or no IPAM client, fails the claim with a clear message', async () => {
    addClaim('m', 'um', 'nic0', 'nope');
    expect((await (await handler()).prepare([ref('m', 'um')])).get('um')?.error).toBe(
      'claim default/m: no IPv4 address from IPPool nope for device nic0: IPPool nope does not exist',
    );
    expect(failures[0]).toMatch(/^m nic0 AddressAllocationFailed: /);
    addClaim('n', 'un', 'nic1');
    const noIpam = await handler({ withIpam: false });
    expect((await noIpam.prepare([ref('n', 'un')])).get('un')?.error).toBe(
      'claim default/n: the config asks for IPPool addresses but this agent has no IPAM client',
    );
  });

  it('a transient apiserver answer during release is retried, not reported to the kubelet', async () => {
    addClaim('t', 'ut', 'nic0');
    const h = await handler();
    await h.prepare([ref('t', 'ut')]);
    expect(api.list(ipAllocationsPath())).toHaveLength(1);
    api.failNext.list = [new KubeApiError(429, 'TooManyRequests', 'storage is (re)initializing')];
    expect((await h.unprepare([ref('t', 'ut')])).get('ut')).toEqual({ error: '' });
    expect(api.list(ipAllocationsPath())).toHaveLength(0);
  });

  it('a release that keeps failing fails the unprepare (the kubelet retries) after the plan is gone', async () => {
    addClaim('a', 'ua', 'nic0');
    const h = await handler();
    await h.prepare([ref('a', 'ua')]);
    api.failNext.list = Array.from({ length: 6 }, () => new Error('apiserver unreachable'));
    expect((await h.unprepare([ref('a', 'ua')])).get('ua')?.error).toBe(
      'claim default/a: unprepare failed: apiserver unreachable',
    );
    expect(await planAddresses(h, 'ua')).toBeUndefined();
    expect((await h.unprepare([ref('a', 'ua')])).get('ua')).toEqual({ error: '' });
    expect(api.list(ipAllocationsPath())).toHaveLength(0);
  });
});
