// Shared-claim lookup: which plans qualify (pure table), and the lookup against fakes: one read per
// candidate claim, gone/recreated claims skipped, unread claims named in the rejection after the
// others were applied.
import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../../../lib/kube/rest-client.js';
import { PLAN_FORMAT_VERSION, type AttachPlan } from '../plan-store/plan.js';
import type { ResourceClaim } from './claim-types.js';
import { addPodsToSharedPlans, candidatePlans, type PodRef } from './shared-claims.js';

function plan(namespace: string, name: string, uid: string, podUids: string[]): AttachPlan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    claim: { namespace, name, uid },
    bootId: 'b',
    podUids,
    preparedAt: '2026-12-01T00:00:00Z',
    devices: [],
  };
}

function claim(namespace: string, name: string, uid: string, pods: string[]): ResourceClaim {
  return {
    metadata: { namespace, name, uid },
    status: { reservedFor: pods.map((p) => ({ resource: 'pods', name: p, uid: p })) },
  };
}

const pod = (namespace: string, uid: string): PodRef => ({ namespace, uid });

describe('candidatePlans', () => {
  const plans = [
    plan('a', 'c1', 'u1', ['p1']),
    plan('a', 'c2', 'u2', ['p1', 'p2']),
    plan('b', 'c3', 'u3', ['p9']),
  ];
  it.each([
    ['a pod in a namespace without plans', [pod('z', 'p5')], [], []],
    ['a pod listed in every plan of its namespace', [pod('a', 'p1')], [], []],
    ['a pod listed in some plans', [pod('a', 'p2')], [], ['u1']],
    ['a new pod', [pod('a', 'p3')], [], ['u1', 'u2']],
    ['a new pod, claims of this call excluded', [pod('a', 'p3')], ['u1'], ['u2']],
    ['pods of two namespaces', [pod('a', 'p2'), pod('b', 'p4')], [], ['u1', 'u3']],
    ['no pods', [], [], []],
    ['a new pod that names c2 only', [{ ...pod('a', 'p3'), claimNames: new Set(['c2']) }], [], ['u2']],
    ['a new pod that names no prepared claim', [{ ...pod('a', 'p3'), claimNames: new Set(['x']) }], [], []],
    ['a pod that is gone (no names)', [{ ...pod('a', 'p3'), claimNames: new Set<string>() }], [], []],
  ])('%s', (_n, pods, exclude, want) => {
    expect(candidatePlans(plans, pods, new Set(exclude)).map((p) => p.claim.uid)).toEqual(want);
  });
});

function fakes(plans: AttachPlan[], api: Map<string, ResourceClaim | Error>) {
  const reads: string[] = [];
  const refreshed: string[] = [];
  return {
    reads,
    refreshed,
    deps: {
      listPlans: () => Promise.resolve(plans),
      claims: {
        get(namespace: string, name: string): Promise<ResourceClaim> {
          reads.push(`${namespace}/${name}`);
          const v = api.get(`${namespace}/${name}`);
          if (v === undefined) return Promise.reject(new KubeApiError(404, 'NotFound', 'not found'));
          return v instanceof Error ? Promise.reject(v) : Promise.resolve(v);
        },
      },
      refresh(c: ResourceClaim): Promise<boolean> {
        refreshed.push(c.metadata?.uid ?? '');
        return Promise.resolve(true);
      },
    },
  };
}

describe('addPodsToSharedPlans', () => {
  it('makes no API call when no plan qualifies', async () => {
    const f = fakes([plan('a', 'c1', 'u1', ['p1'])], new Map());
    expect(await addPodsToSharedPlans(f.deps, [pod('a', 'p1'), pod('b', 'p2')])).toEqual({
      checked: 0,
      added: [],
    });
    expect(f.reads).toEqual([]);
  });

  it('reads each candidate claim once for many pods and adds only pods its reservedFor lists', async () => {
    const f = fakes(
      [plan('a', 'c1', 'u1', ['p1']), plan('a', 'c2', 'u2', ['p1'])],
      new Map([
        ['a/c1', claim('a', 'c1', 'u1', ['p1', 'p2', 'p3'])],
        ['a/c2', claim('a', 'c2', 'u2', ['p1'])],
      ]),
    );
    const r = await addPodsToSharedPlans(f.deps, [pod('a', 'p2'), pod('a', 'p3'), pod('a', 'p4')]);
    expect(f.reads.sort()).toEqual(['a/c1', 'a/c2']);
    expect(r).toEqual({
      checked: 2,
      added: [{ claim: { namespace: 'a', name: 'c1', uid: 'u1' }, podUids: ['p2', 'p3'] }],
    });
    expect(f.refreshed).toEqual(['u1']);
  });

  it('skips a claim that is gone or was recreated under the same name', async () => {
    const f = fakes(
      [plan('a', 'gone', 'u1', ['p1']), plan('a', 'again', 'u2', ['p1'])],
      new Map([['a/again', claim('a', 'again', 'u-new', ['p1', 'p2'])]]),
    );
    expect(await addPodsToSharedPlans(f.deps, [pod('a', 'p2')])).toEqual({ checked: 2, added: [] });
    expect(f.refreshed).toEqual([]);
  });

  it('applies what it could read, then rejects naming the claims it could not read', async () => {
    const f = fakes(
      [plan('a', 'ok', 'u1', ['p1']), plan('a', 'down', 'u2', ['p1'])],
      new Map<string, ResourceClaim | Error>([
        ['a/ok', claim('a', 'ok', 'u1', ['p1', 'p2'])],
        ['a/down', new Error('GET /apis/…/down: no response within 800 ms')],
      ]),
    );
    await expect(addPodsToSharedPlans(f.deps, [pod('a', 'p2')])).rejects.toThrow(
      'cannot check which claims prepared on this node the pod also uses: claim a/down: GET /apis/…/down: no response within 800 ms',
    );
    expect(f.refreshed).toEqual(['u1']);
  });
});
