// The operator's IPAM loop on the real apiserver: the garbage collector restarted in the middle of
// releasing orphans finishes the job after the restart and never touches a live claim's address;
// a pool resized while in use (grown when exhausted, then shrunk) keeps every existing address and
// reports size/allocated/free and the Exhausted condition.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IPPool } from '../../lib/api/ip-pool.js';
import { IpAllocator, ipPoolsPath } from '../../lib/ipam/ip-allocator.js';
import { KubeRestClient } from '../../lib/kube/rest-client.js';
import { silentLogger } from '../../lib/util/logger.js';
import { ClaimAddresses } from '../../node-agent/src/dra/claim-addresses.js';
import { IpamController } from '../../operator/src/ipam/ipam-controller.js';
import { installCrds, operatorKubeConfig, uniq, waitFor } from './operator-harness.js';
import { applyPool, createClaims, deleteClaims, deletePool, poolAllocations } from './ipam-harness.js';

const kc = operatorKubeConfig();
const c = new KubeRestClient(kc, { fieldManager: 'knd-test' });
const ns = uniq('ipam-gc');
const pools: string[] = [];
const agent = new ClaimAddresses(new IpAllocator(c), 'ipam-gc-node');

beforeAll(async () => {
  await installCrds(c);
  await c.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}, 120_000);

afterAll(async () => {
  for (const p of pools) await deletePool(c, p);
  await c.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
}, 120_000);

const need = (pool: string) => [{ device: 'nic0', family: 'IPv4' as const, pool }];

describe('IPAM garbage collector and pool status', () => {
  it('an operator restarted during GC releases every orphan after the restart and no live claim’s address', async () => {
    const pool = uniq('pool-g');
    pools.push(pool);
    await applyPool(c, pool, { ipv4: { cidrs: ['10.202.0.0/24'] } });
    const claims = await createClaims(c, ns, 'g', 240);
    await Promise.all(claims.map((x) => agent.allocate(x, need(pool))));
    const orphans = claims.slice(0, 200);
    const live = new Set(claims.slice(200).map((x) => x.uid));
    await deleteClaims(c, orphans);
    // the first operator starts releasing and is stopped (a restart, a lost lease) part-way
    const first = new IpamController({ client: c, logger: silentLogger(), periodMs: 60_000, graceMs: 0 });
    await first.start();
    await waitFor(
      'the first operator to release some orphans',
      async () => (await poolAllocations(c, pool)).length <= 230,
      60_000,
      20,
    );
    await first.stop();
    const between = (await poolAllocations(c, pool)).length;
    expect(between).toBeGreaterThan(40);
    // the second one picks up from fresh lists
    const second = new IpamController({ client: c, logger: silentLogger(), periodMs: 500, graceMs: 0 });
    await second.start();
    try {
      const left = await waitFor(
        'the restarted operator to release the rest',
        async () => {
          const a = await poolAllocations(c, pool);
          return a.length === 40 ? a : undefined;
        },
        60_000,
        200,
      );
      expect(left.every((a) => live.has(a.spec.claim.uid))).toBe(true);
      // and more passes change nothing
      expect((await second.pass()).released).toEqual([]);
      expect(await poolAllocations(c, pool)).toHaveLength(40);
    } finally {
      await second.stop();
    }
    await deleteClaims(c, claims.slice(200));
  }, 300_000);

  it('a pool grown when exhausted and shrunk while in use keeps every address; status follows', async () => {
    const pool = uniq('pool-r');
    pools.push(pool);
    await applyPool(c, pool, { ipv4: { cidrs: ['10.203.0.0/29'] } }); // 6 addresses
    const claims = await createClaims(c, ns, 'r', 9);
    const first6 = await Promise.all(claims.slice(0, 6).map((x) => agent.allocate(x, need(pool))));
    expect(new Set(first6.map((m) => m.get('nic0')?.addresses[0])).size).toBe(6);
    const seventh = claims[6] as (typeof claims)[number];
    await expect(agent.allocate(seventh, need(pool))).rejects.toThrow(
      `no IPv4 address from IPPool ${pool} for device nic0: IPPool ${pool} has no free IPv4 address: all 6 are allocated`,
    );
    const op = new IpamController({ client: c, logger: silentLogger(), periodMs: 300, graceMs: 60_000 });
    await op.start();
    const status = (want: object) =>
      waitFor(
        `pool status ${JSON.stringify(want)}`,
        async () => {
          const p = await c.get<IPPool>(ipPoolsPath(pool));
          try {
            expect(p.status).toMatchObject(want);
            return p;
          } catch {
            return undefined;
          }
        },
        30_000,
        200,
      );
    try {
      await status({
        ipv4: { size: 6, allocated: 6, free: 0 },
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Exhausted', status: 'True', reason: 'NoFreeAddress' },
        ],
      });
      // grow: the waiting claim gets an address from the new CIDR
      await applyPool(c, pool, { ipv4: { cidrs: ['10.203.0.0/29', '10.203.1.0/29'] } });
      const got = await agent.allocate(seventh, need(pool));
      expect(got.get('nic0')?.addresses[0]).toMatch(/^10\.203\.1\.[1-6]\/29$/);
      await status({ ipv4: { size: 12, allocated: 7, free: 5 }, conditions: [{}, { status: 'False' }] });
      // shrink: the first CIDR goes; its six addresses stay with their claims, new ones come from the second
      await applyPool(c, pool, { ipv4: { cidrs: ['10.203.1.0/29'] } });
      await status({ ipv4: { size: 6, allocated: 7, free: 5 } });
      const eighth = await agent.allocate(claims[7] as (typeof claims)[number], need(pool));
      expect(eighth.get('nic0')?.addresses[0]).toMatch(/^10\.203\.1\.[1-6]\/29$/);
      const again = await agent.allocate(claims[0] as (typeof claims)[number], need(pool));
      expect(again).toEqual(first6[0]);
      expect(await poolAllocations(c, pool)).toHaveLength(8);
      await status({ ipv4: { size: 6, allocated: 8, free: 4 } });
    } finally {
      await op.stop();
    }
    for (const x of claims) await agent.release(x.uid);
    expect(await poolAllocations(c, pool)).toHaveLength(0);
    await deleteClaims(c, claims);
  }, 300_000);
});
