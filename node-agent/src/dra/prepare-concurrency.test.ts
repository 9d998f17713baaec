// DraHandler under concurrency: the plan lock covers planning and the conflict check only; the
// durable writes run outside it, the decided plan's devices reserved in memory meanwhile.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../lib/util/logger.js';
import { CdiWriter } from '../cdi/cdi-writer.js';
import type { CdiSpec } from '../cdi/cdi-spec.js';
import { PlanStore } from '../plan-store/plan-store.js';
import type { AttachPlan } from '../plan-store/plan.js';
import type { StagedFile } from '../plan-store/durable-file.js';
import type { ResourceClaim } from './claim-types.js';
import { DraHandler } from './prepare-handler.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-dra-conc-'));
  await writeFile(join(dir, 'boot_id'), 'boot-1\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function claim(name: string, uid: string, device: string, pods = ['pod-1']): ResourceClaim {
  return {
    metadata: { namespace: 'default', name, uid },
    status: {
      allocation: { devices: { results: [{ request: 'nic', driver: 'knd.dev', pool: 'node-a', device }] } },
      reservedFor: pods.map((p) => ({ resource: 'pods', name: p, uid: p })),
    },
  };
}
const ref = (name: string, uid: string) => ({ namespace: 'default', name, uid });

/** A CDI writer whose writes of the claims in `gated` wait until `open(uid)`. */
class GatedCdiWriter extends CdiWriter {
  readonly writes: string[] = [];
  private readonly gates = new Map<string, { wait: Promise<void>; open: () => void }>();
  gate(uid: string): void {
    let open!: () => void;
    const wait = new Promise<void>((r) => (open = r));
    this.gates.set(uid, { wait, open });
  }
  open(uid: string): void {
    this.gates.get(uid)?.open();
  }
  override async stage(claimUid: string, spec: CdiSpec): Promise<StagedFile> {
    this.writes.push(claimUid);
    await this.gates.get(claimUid)?.wait;
    return super.stage(claimUid, spec);
  }
}

/**
 * A plan store whose next plan write of a claim in `failFor` fails (once per claim) when it is put
 * in place, i.e. after prepare committed the claim's CDI spec.
 */
async function failingStore(failFor: Set<string>): Promise<PlanStore> {
  const store = await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });
  const stage = store.stagePlan.bind(store);
  store.stagePlan = async (plan: AttachPlan) => {
    const staged = await stage(plan);
    if (!failFor.delete(plan.claim.uid)) return staged;
    return {
      commit: async () => {
        await staged.discard();
        throw new Error('disk full');
      },
      discard: () => staged.discard(),
    };
  };
  return store;
}

async function setup(
  claims: ResourceClaim[],
  opts: { failPutFor?: Set<string>; releaseClaim?: () => Promise<unknown> } = {},
) {
  const byName = new Map(claims.map((c) => [c.metadata?.name ?? '', c]));
  const pinned = new Set<string>();
  const cdi = new GatedCdiWriter({ dir: join(dir, 'cdi') });
  const store = await failingStore(opts.failPutFor ?? new Set());
  const h = new DraHandler({
    driverName: 'knd.dev',
    poolName: 'node-a',
    claims: {
      get: (_ns, name) => {
        const c = byName.get(name);
        return c ? Promise.resolve(structuredClone(c)) : Promise.reject(new Error(`no claim ${name}`));
      },
    },
    devices: {
      lookup: (name) => ({ name, ifName: `eth-${name}`, charDevices: [], present: true }),
      pin: (n) => pinned.add(n).has(n),
      unpin: (n) => void pinned.delete(n),
    },
    store,
    cdi,
    logger: silentLogger(),
    ...(opts.releaseClaim ? { releaseClaim: opts.releaseClaim } : {}),
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  return { h, cdi, store, pinned, byName };
}

/** `p`'s value, or 'pending' when it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms = 2000): Promise<T | 'pending'> {
  return Promise.race([
    p,
    new Promise<'pending'>((r) => {
      setTimeout(() => {
        r('pending');
      }, ms).unref();
    }),
  ]);
}

describe('DraHandler concurrency (plan lock covers planning only)', () => {
  it('a prepare does not wait for another prepare’s durable writes', async () => {
    const { h, cdi } = await setup([claim('slow', 'us', 'nic0'), claim('fast', 'uf', 'nic1')]);
    cdi.gate('us');
    const slow = h.prepare([ref('slow', 'us')]);
    // the fast one completes while the slow one's CDI write is still blocked
    const fast = await within(h.prepare([ref('fast', 'uf')]));
    expect(fast).not.toBe('pending');
    expect(fast !== 'pending' && fast.get('uf')?.error).toBe('');
    cdi.open('us');
    expect((await slow).get('us')?.error).toBe('');
  });

  it('two concurrent prepares of one device: the second is refused while the first is persisting', async () => {
    const { h, cdi, store } = await setup([claim('a', 'ua', 'nic0'), claim('b', 'ub', 'nic0')]);
    cdi.gate('ua');
    const a = h.prepare([ref('a', 'ua')]);
    const b = await within(h.prepare([ref('b', 'ub')]));
    expect(b !== 'pending' && b.get('ub')?.error).toBe(
      'claim default/b: device node-a/nic0 is already prepared for claim default/a (uid ua)',
    );
    expect(await store.getPlan('ua')).toBeUndefined(); // a's plan is not durable yet...
    cdi.open('ua');
    expect((await a).get('ua')?.error).toBe(''); // ...and a answers only once it is
    expect((await store.getPlan('ua'))?.devices.map((d) => d.deviceName)).toEqual(['nic0']);
    expect(cdi.writes).toEqual(['ua']);
  });

  it('the same claim in two concurrent calls is written once and both get the same answer', async () => {
    const { h, cdi } = await setup([claim('a', 'ua', 'nic0')]);
    cdi.gate('ua');
    const first = h.prepare([ref('a', 'ua')]);
    const second = h.prepare([ref('a', 'ua')]);
    expect(await within(second, 300)).toBe('pending'); // it waits for the first one's outcome
    cdi.open('ua');
    const [r1, r2] = await Promise.all([first, second]);
    expect(r1.get('ua')?.error).toBe('');
    expect(r2.get('ua')).toEqual(r1.get('ua'));
    expect(cdi.writes).toEqual(['ua']);
  });

  it('a failed persist releases the reservation and removes the CDI spec it wrote', async () => {
    const failPutFor = new Set(['ua']);
    const { h, cdi, store, pinned } = await setup([claim('a', 'ua', 'nic0'), claim('b', 'ub', 'nic0')], {
      failPutFor,
    });
    const a = await h.prepare([ref('a', 'ua')]);
    expect(a.get('ua')?.error).toBe('claim default/a: cannot persist the attach plan: disk full');
    expect(await cdi.read('ua')).toBeUndefined();
    expect(await readdir(join(dir, 'state', 'plans'))).toEqual([]);
    expect(pinned.has('nic0')).toBe(false);
    // the device is free again
    expect((await h.prepare([ref('b', 'ub')])).get('ub')?.error).toBe('');
    expect(pinned.has('nic0')).toBe(true);
    expect(await store.getPlan('ub')).toBeDefined();
  });

  it('a claim waiting on a persist that fails gets an error, and its retry prepares it', async () => {
    const failPutFor = new Set(['ua']);
    const { h, cdi } = await setup([claim('a', 'ua', 'nic0')], { failPutFor });
    cdi.gate('ua');
    const first = h.prepare([ref('a', 'ua')]);
    const second = h.prepare([ref('a', 'ua')]);
    await within(second, 100);
    cdi.open('ua');
    expect((await first).get('ua')?.error).toMatch(/disk full/);
    expect((await second).get('ua')?.error).toBe(
      'claim default/a: a concurrent prepare of this claim failed',
    );
    expect((await h.prepare([ref('a', 'ua')])).get('ua')?.error).toBe('');
  });

  it('unprepare racing a persisting prepare waits for it, then removes its plan and spec', async () => {
    const { h, cdi, store, pinned } = await setup([claim('a', 'ua', 'nic0')], {
      releaseClaim: () => Promise.resolve(),
    });
    cdi.gate('ua');
    const prepared = h.prepare([ref('a', 'ua')]);
    await within(prepared, 100); // prepare decided and is writing
    const unprepared = h.unprepare([ref('a', 'ua')]);
    expect(await within(unprepared, 300)).toBe('pending');
    cdi.open('ua');
    expect((await prepared).get('ua')?.error).toBe('');
    expect((await unprepared).get('ua')).toEqual({ error: '' });
    // nothing of the claim is left behind the kubelet's back
    expect(await store.getPlan('ua')).toBeUndefined();
    expect(await readdir(join(dir, 'state', 'plans'))).toEqual([]);
    expect(await cdi.read('ua')).toBeUndefined();
    expect(pinned.has('nic0')).toBe(false);
  });

  it('refreshReservations racing a persisting prepare adds the pods to what it wrote', async () => {
    const { h, cdi, store } = await setup([claim('a', 'ua', 'nic0', ['pod-1'])]);
    cdi.gate('ua');
    const prepared = h.prepare([ref('a', 'ua')]);
    await within(prepared, 100);
    const refreshed = h.refreshReservations(claim('a', 'ua', 'nic0', ['pod-1', 'pod-2']));
    cdi.open('ua');
    expect((await prepared).get('ua')?.error).toBe('');
    expect(await refreshed).toBe(true);
    expect((await store.getPlan('ua'))?.podUids).toEqual(['pod-1', 'pod-2']);
  });
});
