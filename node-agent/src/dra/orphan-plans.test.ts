import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../../../lib/kube/rest-client.js';
import { silentLogger } from '../../../lib/util/logger.js';
import type { AttachPlan } from '../plan-store/plan.js';
import type { ClaimRequest, ResourceClaim } from './claim-types.js';
import { orphanVerdict, sweepOrphanPlans, type ClaimLookup } from './orphan-plans.js';

describe('orphanVerdict', () => {
  it.each<[string, ClaimLookup, 'gone' | 'keep']>([
    ['the claim exists with the plan uid', { kind: 'found', uid: 'u1' }, 'keep'],
    ['a claim of that name with another uid', { kind: 'found', uid: 'u2' }, 'gone'],
    ['no claim of that name (404)', { kind: 'not-found' }, 'gone'],
    ['the apiserver did not answer', { kind: 'error', message: 'ECONNREFUSED' }, 'keep'],
    ['a 403', { kind: 'error', message: 'forbidden' }, 'keep'],
  ])('%s -> %s', (_what, lookup, want) => {
    expect(orphanVerdict('u1', lookup)).toBe(want);
  });
});

describe('sweepOrphanPlans', () => {
  const plan = (name: string, uid: string): AttachPlan =>
    ({ claim: { namespace: 'ns', name, uid }, devices: [] }) as unknown as AttachPlan;

  it('unprepares exactly the plans whose claim is gone, and keeps the rest when unsure', async () => {
    const answers: Record<string, () => Promise<ResourceClaim>> = {
      live: () => Promise.resolve({ metadata: { uid: 'u-live' } } as ResourceClaim),
      deleted: () => Promise.reject(new KubeApiError(404, 'NotFound', 'GET: 404 not found')),
      recreated: () => Promise.resolve({ metadata: { uid: 'u-new' } } as ResourceClaim),
      unreachable: () => Promise.reject(new Error('connect ECONNREFUSED')),
      failing: () => Promise.reject(new KubeApiError(404, 'NotFound', 'GET: 404 not found')),
    };
    const unprepared: ClaimRequest[] = [];
    const result = await sweepOrphanPlans({
      store: {
        listPlans: () =>
          Promise.resolve([
            plan('live', 'u-live'),
            plan('deleted', 'u-deleted'),
            plan('recreated', 'u-old'),
            plan('unreachable', 'u-unreachable'),
            plan('failing', 'u-failing'),
          ]),
      },
      claims: { get: (_ns, name) => (answers[name] ?? (() => Promise.reject(new Error(name))))() },
      unprepare: (reqs) => {
        unprepared.push(...reqs);
        return Promise.resolve(
          new Map(reqs.map((r) => [r.uid, { error: r.uid === 'u-failing' ? 'device busy' : '' }])),
        );
      },
      logger: silentLogger(),
    });
    expect(unprepared.map((r) => `${r.namespace}/${r.name}/${r.uid}`)).toEqual([
      'ns/deleted/u-deleted',
      'ns/recreated/u-old',
      'ns/failing/u-failing',
    ]);
    expect(result).toEqual({ unprepared: ['u-deleted', 'u-old'], kept: 2, failed: ['u-failing'] });
  });
});
