// IPPool allocation on the real apiserver, many agents at once: 1,000 claims over 8 separate agent
// processes (the agent's own allocation code, test/support/ipam-agent-worker.ts) get 1,000 distinct
// addresses, a retry keeps every address, and releasing leaves nothing; an agent SIGKILLed in the
// middle of allocating leaves no duplicate, its retry reuses what it had created, and the operator's
// garbage collector returns the addresses of the claims deleted meanwhile, and only those.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeRestClient } from '../../lib/kube/rest-client.js';
import { silentLogger } from '../../lib/util/logger.js';
import { IpamController } from '../../operator/src/ipam/ipam-controller.js';
import { installCrds, operatorKubeConfig, uniq, waitFor } from './operator-harness.js';
import {
  applyPool,
  buildWorker,
  createClaims,
  deleteClaims,
  deletePool,
  poolAllocations,
  runWorkers,
  startWorker,
} from './ipam-harness.js';

const kc = operatorKubeConfig();
const c = new KubeRestClient(kc, { fieldManager: 'knd-test' });
const kubeconfig = process.env['KND_KUBECONFIG'] ?? '';
const ns = uniq('ipam');
const pools: string[] = [];

beforeAll(async () => {
  await installCrds(c);
  await c.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await buildWorker();
}, 180_000);

afterAll(async () => {
  for (const p of pools) await deletePool(c, p);
  await c.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
}, 120_000);

const addressOf = (cidr: string | undefined): string => (cidr ?? '').split('/')[0] ?? '';

describe('IPPool allocation with many agents', () => {
  it('1,000 claims over 8 agent processes: 0 duplicates, a retry keeps every address, 0 left after release', async () => {
    const pool = uniq('pool-k');
    pools.push(pool);
    await applyPool(c, pool, { ipv4: { cidrs: ['10.200.0.0/22'], gateway: '10.200.0.1' } }); // 1,021 addresses
    const claims = await createClaims(c, ns, 'k', 1000);
    const job = { mode: 'allocate' as const, pool, family: 'IPv4' as const, concurrency: 8 };
    const lines = await runWorkers(kubeconfig, 8, job, claims);
    expect(lines.filter((l) => l.error)).toEqual([]);
    expect(lines).toHaveLength(1000);
    const byClaim = new Map(lines.map((l) => [l.uid, l.cidr]));
    expect(new Set(byClaim.values()).size).toBe(1000);
    // the apiserver holds exactly one allocation per claim, every address once
    const stored = await poolAllocations(c, pool);
    expect(stored).toHaveLength(1000);
    expect(new Set(stored.map((a) => a.spec.address)).size).toBe(1000);
    expect(new Set(stored.map((a) => a.spec.claim.uid)).size).toBe(1000);
    expect(new Set(stored.map((a) => a.spec.nodeName)).size).toBe(8);
    for (const a of stored) expect(addressOf(byClaim.get(a.spec.claim.uid))).toBe(a.spec.address);
    // a retried prepare of every claim, from other agents: the same addresses, nothing new
    const retry = await runWorkers(kubeconfig, 8, job, [...claims].reverse());
    expect(retry.filter((l) => l.error)).toEqual([]);
    for (const l of retry) expect(l.cidr).toBe(byClaim.get(l.uid));
    expect(await poolAllocations(c, pool)).toHaveLength(1000);
    // unprepare everywhere
    const released = await runWorkers(kubeconfig, 8, { ...job, mode: 'release' }, claims);
    expect(released.filter((l) => l.error)).toEqual([]);
    expect(released.reduce((n, l) => n + (l.released ?? 0), 0)).toBe(1000);
    expect(await poolAllocations(c, pool)).toHaveLength(0);
    await deleteClaims(c, claims);
  }, 600_000);

  it('an agent SIGKILLed mid-allocation: no duplicate, the retry reuses, the GC returns only deleted claims', async () => {
    const pool = uniq('pool-s');
    pools.push(pool);
    await applyPool(c, pool, { ipv4: { cidrs: ['10.201.0.0/23'] } });
    const claims = await createClaims(c, ns, 's', 300);
    const job = { mode: 'allocate' as const, pool, family: 'IPv4' as const, concurrency: 16 };
    const w = await startWorker(kubeconfig, 'ipam-killed', { ...job, claims });
    await waitFor(
      '60 claims allocated before the kill',
      () => Promise.resolve(w.lines.length >= 60),
      60_000,
      5,
    );
    w.proc.kill('SIGKILL');
    const { signal } = await w.exited;
    expect(signal).toBe('SIGKILL');
    const reported = new Map(w.lines.map((l) => [l.uid, l.cidr]));
    const afterKill = await poolAllocations(c, pool);
    // some creates may have landed without being reported: still one per claim, each address once
    expect(afterKill.length).toBeGreaterThanOrEqual(w.lines.length);
    expect(afterKill.length).toBeLessThan(300);
    expect(new Set(afterKill.map((a) => a.spec.claim.uid)).size).toBe(afterKill.length);
    expect(new Set(afterKill.map((a) => a.spec.address)).size).toBe(afterKill.length);
    // the kubelet retries prepare for every claim (through a restarted agent, another name here)
    const retry = await runWorkers(kubeconfig, 2, job, claims);
    expect(retry.filter((l) => l.error)).toEqual([]);
    for (const a of afterKill) {
      expect(addressOf(retry.find((l) => l.uid === a.spec.claim.uid)?.cidr)).toBe(a.spec.address);
    }
    for (const [uid, cidr] of reported) expect(retry.find((l) => l.uid === uid)?.cidr).toBe(cidr);
    expect(await poolAllocations(c, pool)).toHaveLength(300);
    // half the claims are deleted (their pods gone while the agent was down): the GC returns theirs
    const gone = claims.slice(0, 150);
    const kept = new Set(claims.slice(150).map((x) => x.uid));
    await deleteClaims(c, gone);
    const gc = new IpamController({ client: c, logger: silentLogger(), periodMs: 500, graceMs: 1000 });
    await gc.start();
    try {
      const left = await waitFor(
        'the GC to release the deleted claims’ addresses',
        async () => {
          const a = await poolAllocations(c, pool);
          return a.length === 150 ? a : undefined;
        },
        60_000,
        250,
      );
      expect(left.every((a) => kept.has(a.spec.claim.uid))).toBe(true);
    } finally {
      await gc.stop();
    }
    await deleteClaims(c, claims.slice(150));
  }, 600_000);
});
