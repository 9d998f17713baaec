// The prepare/unprepare handler over a real PlanStore and CdiWriter in a temp dir, with an in-memory
// claim source that counts reads (the gRPC + apiserver path is covered by
// test/integration/dra-plugin.test.ts).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../lib/util/logger.js';
import { CdiWriter } from '../cdi/cdi-writer.js';
import { PlanStore } from '../plan-store/plan-store.js';
import type { ResourceClaim } from './claim-types.js';
import { KubeApiError } from '../../../lib/kube/rest-client.js';
import type { ClaimSource } from './claim-reader.js';
import { DraHandler } from './prepare-handler.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-dra-handler-'));
  await writeFile(join(dir, 'boot_id'), 'boot-1\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const claims = new Map<string, ResourceClaim>();
/** Claims read, as namespace/name, in order. */
const reads: string[] = [];
/** namespace/name -> error the next reads reject with. */
const readErrors = new Map<string, Error>();
beforeEach(() => {
  claims.clear();
  reads.length = 0;
  readErrors.clear();
});
function addClaim(
  name: string,
  uid: string,
  device: string,
  pods: string[] = ['pod-1'],
  namespace = 'default',
): void {
  claims.set(`${namespace}/${name}`, {
    metadata: { namespace, name, uid },
    status: {
      allocation: { devices: { results: [{ request: 'nic', driver: 'knd.dev', pool: 'node-a', device }] } },
      reservedFor: pods.map((uid) => ({ resource: 'pods', name: uid, uid })),
    },
  });
}
const source: ClaimSource = {
  get(namespace, name) {
    reads.push(`${namespace}/${name}`);
    const failure = readErrors.get(`${namespace}/${name}`);
    if (failure) return Promise.reject(failure);
    const c = claims.get(`${namespace}/${name}`);
    return c
      ? Promise.resolve(structuredClone(c))
      : Promise.reject(new KubeApiError(404, 'NotFound', `resourceclaims "${name}" not found`));
  },
};
const pinned = new Set<string>();
const lookup = {
  lookup: (name: string) =>
    name.startsWith('nic')
      ? {
          name,
          ifName: `eth-${name}`,
          charDevices:
            name === 'nic-rdma' ? [{ path: '/dev/infiniband/uverbs0', major: 231, minor: 192 }] : [],
          present: true,
        }
      : undefined,
  pin: (n: string) => pinned.add(n).has(n),
  unpin: (n: string) => void pinned.delete(n),
};

async function handler(
  releaseClaim?: (uid: string) => Promise<unknown>,
  store?: PlanStore,
): Promise<DraHandler> {
  return new DraHandler({
    ...(releaseClaim ? { releaseClaim } : {}),
    driverName: 'knd.dev',
    poolName: 'node-a',
    claims: source,
    devices: lookup,
    store: store ?? (await openStore()),
    cdi: new CdiWriter({ dir: join(dir, 'cdi') }),
    logger: silentLogger(),
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
}
const ref = (name: string, uid: string) => ({ namespace: 'default', name, uid });
const openStore = (): Promise<PlanStore> =>
  PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });

describe('DraHandler', () => {
  it('refuses a device already prepared for another claim, in another call and in the same call', async () => {
    addClaim('a', 'ua', 'nic0');
    addClaim('b', 'ub', 'nic0');
    addClaim('c', 'uc', 'nic1');
    addClaim('d', 'ud', 'nic1');
    const h = await handler();
    expect((await h.prepare([ref('a', 'ua')])).get('ua')?.error).toBe('');
    expect((await h.prepare([ref('b', 'ub')])).get('ub')?.error).toBe(
      'claim default/b: device node-a/nic0 is already prepared for claim default/a (uid ua)',
    );
    const both = await h.prepare([ref('c', 'uc'), ref('d', 'ud')]);
    expect(both.get('uc')?.error).toBe('');
    expect(both.get('ud')?.error).toMatch(/nic1 is already prepared for claim default\/c/);
    // after unprepare of a, b can have the device
    expect((await h.unprepare([ref('a', 'ua')])).get('ua')).toEqual({ error: '' });
    expect((await h.prepare([ref('b', 'ub')])).get('ub')?.error).toBe('');
  });

  it('answers a retry from the stored plan without reading the API, also from a new instance', async () => {
    addClaim('r', 'ur', 'nic-rdma', ['pod-1']);
    const h1 = await handler();
    const first = await h1.prepare([ref('r', 'ur')]);
    expect(first.get('ur')?.devices[0]?.cdi_device_ids).toEqual(['knd.dev/claim=ur-nic-rdma']);
    expect(pinned.has('nic-rdma')).toBe(true);
    expect(reads).toEqual(['default/r']);
    expect(await h1.prepare([ref('r', 'ur')])).toEqual(first);
    // a new process over the same state; the device is gone from the host (moved into the pod)
    const h2 = new DraHandler({
      driverName: 'knd.dev',
      poolName: 'node-a',
      claims: source,
      devices: { lookup: () => undefined },
      store: await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') }),
      cdi: new CdiWriter({ dir: join(dir, 'cdi') }),
      logger: silentLogger(),
    });
    expect(await h2.prepare([ref('r', 'ur')])).toEqual(first);
    expect(reads).toEqual(['default/r']);
    await h2.unprepare([ref('r', 'ur')]);
    expect(await readdir(join(dir, 'cdi'))).toEqual([]);
  });

  it('prepares a recreated claim (new uid) afresh and refuses a stale uid', async () => {
    addClaim('n', 'u-new', 'nic3');
    const h = await handler();
    expect((await h.prepare([ref('n', 'u-old')])).get('u-old')?.error).toBe(
      'claim default/n: uid mismatch: the kubelet asked for u-old, the API has u-new (claim was recreated?)',
    );
    expect((await h.prepare([ref('n', 'u-new')])).get('u-new')?.error).toBe('');
  });

  it('adds the pod of a newly prepared claim to the plans it shares, reading only its namespace', async () => {
    addClaim('s', 'us', 'nic7', ['pod-1']);
    addClaim('t', 'ut', 'nic6', ['pod-9'], 'team-b'); // another namespace: never read for pod-2
    const h = await handler();
    await h.prepare([ref('s', 'us')]);
    await h.prepare([{ namespace: 'team-b', name: 't', uid: 'ut' }]);
    reads.length = 0;
    // pod-2 has its own claim and also uses the shared claim s (no prepare call for s)
    addClaim('s', 'us', 'nic7', ['pod-1', 'pod-2']);
    addClaim('own', 'uown', 'nic8', ['pod-2']);
    expect((await h.prepare([ref('own', 'uown')])).get('uown')?.error).toBe('');
    expect(reads).toEqual(['default/own', 'default/s']);
    const store = await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });
    expect((await store.plansForPod('pod-2')).map((p) => p.claim.uid).sort()).toEqual(['uown', 'us']);
    // pod-3 only uses s: no prepare at all; the NRI hook asks, one GET of the candidate claim
    addClaim('s', 'us', 'nic7', ['pod-1', 'pod-2', 'pod-3']);
    reads.length = 0;
    const r = await h.addPodsToSharedPlans([{ namespace: 'default', uid: 'pod-3' }]);
    expect(r).toEqual({
      checked: 2,
      added: [{ claim: { namespace: 'default', name: 's', uid: 'us' }, podUids: ['pod-3'] }],
    });
    expect(reads.sort()).toEqual(['default/own', 'default/s']);
    expect((await store.plansForPod('pod-3')).length).toBe(0); // that instance loaded before
    const reopened = await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });
    expect((await reopened.plansForPod('pod-3')).map((p) => p.claim.uid)).toEqual(['us']);
    // a pod in a namespace where this node prepared nothing costs no API call
    reads.length = 0;
    expect(await h.addPodsToSharedPlans([{ namespace: 'elsewhere', uid: 'pod-4' }])).toEqual({
      checked: 0,
      added: [],
    });
    expect(reads).toEqual([]);
  });

  it('with a pod reader, reads only the prepared claims the new pod names (one pod GET, not one GET per prepared claim)', async () => {
    for (let i = 0; i < 5; i++) addClaim(`c${i}`, `u${i}`, `nic${i}`, [`pod-${i}`]);
    const podReads: string[] = [];
    const podClaims = new Map<string, string[]>([['pod-9', ['c2']]]);
    const h = new DraHandler({
      driverName: 'knd.dev',
      poolName: 'node-a',
      claims: source,
      pods: {
        claimNames(namespace, name, uid) {
          podReads.push(`${namespace}/${name}/${uid}`);
          return Promise.resolve(new Set(podClaims.get(uid) ?? []));
        },
      },
      devices: lookup,
      store: await openStore(),
      cdi: new CdiWriter({ dir: join(dir, 'cdi') }),
      logger: silentLogger(),
    });
    // the first claim of a namespace: no candidate plans, so no pod read either
    await h.prepare([ref('c0', 'u0')]);
    expect(podReads).toEqual([]);
    for (let i = 1; i < 5; i++) await h.prepare([ref(`c${i}`, `u${i}`)]);
    // pod-9 has its own claim and shares c2 (already prepared): one pod GET, then c2 only
    addClaim('c2', 'u2', 'nic2', ['pod-2', 'pod-9']);
    addClaim('own', 'uown', 'nic8', ['pod-9']);
    reads.length = 0;
    podReads.length = 0;
    expect((await h.prepare([ref('own', 'uown')])).get('uown')?.error).toBe('');
    expect(podReads).toEqual(['default/pod-9/pod-9']);
    expect(reads).toEqual(['default/own', 'default/c2']);
    const store = await openStore();
    expect((await store.plansForPod('pod-9')).map((p) => p.claim.uid).sort()).toEqual(['u2', 'uown']);
  });

  it('without a pod reader, or when the pod cannot be read, reads every prepared claim of the namespace', async () => {
    for (let i = 0; i < 3; i++) addClaim(`c${i}`, `u${i}`, `nic${i}`, [`pod-${i}`]);
    const h = new DraHandler({
      driverName: 'knd.dev',
      poolName: 'node-a',
      claims: source,
      pods: { claimNames: () => Promise.reject(new KubeApiError(403, 'Forbidden', 'pods is forbidden')) },
      devices: lookup,
      store: await openStore(),
      cdi: new CdiWriter({ dir: join(dir, 'cdi') }),
      logger: silentLogger(),
    });
    for (let i = 0; i < 3; i++) await h.prepare([ref(`c${i}`, `u${i}`)]);
    addClaim('c1', 'u1', 'nic1', ['pod-1', 'pod-9']);
    addClaim('own', 'uown', 'nic8', ['pod-9']);
    reads.length = 0;
    expect((await h.prepare([ref('own', 'uown')])).get('uown')?.error).toBe('');
    expect(reads.sort()).toEqual(['default/c0', 'default/c1', 'default/c2', 'default/own']);
    expect((await (await openStore()).plansForPod('pod-9')).map((p) => p.claim.uid).sort()).toEqual([
      'u1',
      'uown',
    ]);
  });

  it('fails a new claim whose pod could not be checked for shared claims; the retry prepares it', async () => {
    addClaim('s', 'us', 'nic7', ['pod-1']);
    const h = await handler();
    await h.prepare([ref('s', 'us')]);
    addClaim('s', 'us', 'nic7', ['pod-1', 'pod-2']);
    addClaim('own', 'uown', 'nic8', ['pod-2']);
    readErrors.set('default/s', new KubeApiError(503, 'ServiceUnavailable', 'GET …/s: 503 etcd timeout'));
    const failed = (await h.prepare([ref('own', 'uown')])).get('uown');
    expect(failed).toEqual({
      devices: [],
      error:
        'claim default/own: cannot check which claims prepared on this node the pod also uses: claim default/s: GET …/s: 503 etcd timeout',
    });
    const store = await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });
    expect(await store.getPlan('uown')).toBeUndefined();
    readErrors.clear();
    expect((await h.prepare([ref('own', 'uown')])).get('uown')?.error).toBe('');
    const after = await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });
    expect((await after.plansForPod('pod-2')).map((p) => p.claim.uid).sort()).toEqual(['uown', 'us']);
  });

  it('refreshReservations only adds pods, only to plans of this node', async () => {
    addClaim('s', 'us', 'nic7', ['pod-1']);
    const h = await handler();
    await h.prepare([ref('s', 'us')]);
    addClaim('s', 'us', 'nic7', ['pod-3']);
    const changed = claims.get('default/s');
    if (!changed) throw new Error('claim missing');
    expect(await h.refreshReservations(changed)).toBe(true);
    expect(await h.refreshReservations(changed)).toBe(false);
    const store = await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });
    expect((await store.getPlan('us'))?.podUids).toEqual(['pod-1', 'pod-3']);
    // a claim without a plan, or allocated in another node's pool, is ignored
    addClaim('x', 'ux', 'nic8');
    expect(await h.refreshReservations(claims.get('default/x') ?? {})).toBe(false);
    const foreign = structuredClone(changed);
    for (const r of foreign.status?.allocation?.devices?.results ?? []) r.pool = 'node-b';
    expect(await h.refreshReservations(foreign)).toBe(false);
  });

  it('reports an unreadable claim as that claim’s error only', async () => {
    addClaim('ok', 'uok', 'nic5');
    const h = await handler();
    const res = await h.prepare([ref('missing', 'um'), ref('ok', 'uok')]);
    expect(res.get('um')?.error).toBe(
      'claim default/missing: cannot read the ResourceClaim: resourceclaims "missing" not found',
    );
    expect(res.get('uok')?.error).toBe('');
  });

  it.each([
    ['a uid that is not a safe key', () => ref('evil', '../../etc/x'), /^claim default\/evil: /],
    [
      'an allocation that is not a list',
      () => {
        claims.set('default/odd', {
          metadata: { namespace: 'default', name: 'odd', uid: 'uodd' },
          status: { allocation: { devices: { results: 'nic0' as unknown as [] } } },
        });
        return ref('odd', 'uodd');
      },
      /^claim default\/odd: /,
    ],
    [
      'a result that is null',
      () => {
        claims.set('default/nul', {
          metadata: { namespace: 'default', name: 'nul', uid: 'unul' },
          status: { allocation: { devices: { results: [null as unknown as never] } } },
        });
        return ref('nul', 'unul');
      },
      /^claim default\/nul: /,
    ],
    [
      'no name (the wire claim had none)',
      () => ({ namespace: 'default', name: '', uid: 'unoname' }),
      /^claim default\/: name required \(uid unoname\)$/,
    ],
  ])(
    'one malformed claim in a batch (%s) fails that claim only; the others prepare',
    async (_n, bad, error) => {
      addClaim('good1', 'ug1', 'nic11');
      addClaim('good2', 'ug2', 'nic12');
      const h = await handler();
      const badRef = bad();
      const res = await h.prepare([ref('good1', 'ug1'), badRef, ref('good2', 'ug2')]);
      expect(res.get(badRef.uid)?.error).toMatch(error);
      expect(res.get(badRef.uid)?.devices).toEqual([]);
      expect(res.get('ug1')?.error).toBe('');
      expect(res.get('ug2')?.error).toBe('');
      expect(res.get('ug1')?.devices.map((d) => d.device_name)).toEqual(['nic11']);
      const un = await h.unprepare([ref('good1', 'ug1'), badRef, ref('good2', 'ug2')]);
      expect(un.get('ug1')).toEqual({ error: '' });
      expect(un.get('ug2')).toEqual({ error: '' });
    },
  );

  it('unprepare gives back attachments left behind before deleting the plan, and keeps the plan when that fails', async () => {
    addClaim('u', 'uu', 'nic9');
    const released: string[] = [];
    let fail = true;
    const h = await handler((uid) => {
      released.push(uid);
      return fail ? Promise.reject(new Error('detach eth-nic9: EBUSY')) : Promise.resolve(1);
    });
    expect((await h.prepare([ref('u', 'uu')])).get('uu')?.error).toBe('');
    expect((await h.unprepare([ref('u', 'uu')])).get('uu')).toEqual({
      error: 'claim default/u: unprepare failed: detach eth-nic9: EBUSY',
    });
    const store = await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });
    expect(await store.getPlan('uu')).toBeDefined();
    expect(pinned.has('nic9')).toBe(true);
    fail = false;
    expect((await h.unprepare([ref('u', 'uu')])).get('uu')).toEqual({ error: '' });
    const reopened = await PlanStore.open({ dir: join(dir, 'state'), bootIdPath: join(dir, 'boot_id') });
    expect(await reopened.getPlan('uu')).toBeUndefined();
    expect(released).toEqual(['uu', 'uu']);
  });

  it('refuses a device named by a plan a newer agent wrote (kept untouched, never reused)', async () => {
    await mkdir(join(dir, 'state', 'plans'), { recursive: true });
    const newer = JSON.stringify({ formatVersion: 99, bootId: 'boot-1', devices: [{ deviceName: 'nic3' }] });
    await writeFile(join(dir, 'state', 'plans', 'u-newer.json'), newer);
    addClaim('n', 'un', 'nic3');
    const h = await handler();
    expect((await h.prepare([ref('n', 'un')])).get('un')?.error).toBe(
      'claim default/n: device node-a/nic3 is held by plans/u-newer.json, which this agent keeps but cannot use ' +
        '(format version 99 was written by a newer knd agent; this agent reads versions up to 2); it is not handed out again',
    );
    expect(await readFile(join(dir, 'state', 'plans', 'u-newer.json'), 'utf8')).toBe(newer);
  });

  it('leaves a claim whose own plan a newer agent wrote alone: prepare and unprepare fail, nothing is touched', async () => {
    await mkdir(join(dir, 'state', 'plans'), { recursive: true });
    await mkdir(join(dir, 'cdi'), { recursive: true });
    const newer = JSON.stringify({ formatVersion: 99, bootId: 'boot-1', devices: [] });
    await writeFile(join(dir, 'state', 'plans', 'uk.json'), newer);
    const spec = join(dir, 'cdi', 'knd.dev-claim_uk.json');
    await writeFile(spec, 'the guard a newer agent wrote');
    addClaim('k', 'uk', 'nic4');
    const h = await handler();
    const why =
      'plans/uk.json is kept untouched because this agent cannot use it (format version 99 was written by a ' +
      'newer knd agent; this agent reads versions up to 2); it is not overwritten or deleted';
    expect((await h.prepare([ref('k', 'uk')])).get('uk')?.error).toBe(`claim default/k: ${why}`);
    expect((await h.unprepare([ref('k', 'uk')])).get('uk')?.error).toBe(
      `claim default/k: unprepare failed: ${why}`,
    );
    expect(await readFile(join(dir, 'state', 'plans', 'uk.json'), 'utf8')).toBe(newer);
    expect(await readFile(spec, 'utf8')).toBe('the guard a newer agent wrote');
  });

  it('unprepare never holds the plan lock while it waits for a pod lock: other claims still prepare', async () => {
    addClaim('held', 'uh', 'nic10');
    addClaim('other', 'uo', 'nic11');
    // releaseClaim waits for the pod lock of a pod whose RunPodSandbox is still in the kernel
    let podLockFree: () => void = () => undefined;
    const podLock = new Promise<void>((r) => (podLockFree = r));
    const h = await handler(() => podLock);
    expect((await h.prepare([ref('held', 'uh')])).get('uh')?.error).toBe('');
    const unprepared = h.unprepare([ref('held', 'uh')]);
    const blocked = Symbol('blocked');
    const prepared = await Promise.race([
      h.prepare([ref('other', 'uo')]),
      new Promise<typeof blocked>((r) =>
        setTimeout(() => {
          r(blocked);
        }, 3000).unref(),
      ),
    ]);
    expect(prepared).not.toBe(blocked);
    expect(prepared !== blocked && prepared.get('uo')?.error).toBe('');
    podLockFree();
    expect((await unprepared).get('uh')).toEqual({ error: '' });
  });

  it('unprepare keeps the plan when a device was attached again after the release', async () => {
    addClaim('race', 'ur2', 'nic12', ['pod-9']);
    const store = await openStore();
    // a RunPodSandbox that read the plan before it was deleted attaches after the release
    const h = await handler(
      () =>
        store.putAttachRecord({
          claimUid: 'ur2',
          podUid: 'pod-9',
          deviceName: 'nic12',
          netnsPath: '/var/run/netns/p9',
          podIfName: 'net1',
          host: { ifName: 'eth-nic12', mtu: 0, mac: '', up: false, addresses: [], routes: [] },
        }),
      store,
    );
    expect((await h.prepare([ref('race', 'ur2')])).get('ur2')?.error).toBe('');
    expect((await h.unprepare([ref('race', 'ur2')])).get('ur2')?.error).toBe(
      'claim default/race: unprepare failed: device(s) nic12 (pod pod-9) attached again while unpreparing; the plan is kept',
    );
    expect(await store.getPlan('ur2')).toBeDefined();
    expect(pinned.has('nic12')).toBe(true);
  });
});
