// persistPlan's order of durable steps, against recording fakes: both files staged (fsync'd under
// temp names) before either is put in place; the CDI spec committed before the plan; a failed
// staging or commit leaves no temp file and undoes what was committed.
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../lib/util/logger.js';
import { samplePlan } from '../../../test/support/sample-plan.js';
import type { CdiWriter } from '../cdi/cdi-writer.js';
import type { StagedFile } from '../plan-store/durable-file.js';
import type { PlanStore } from '../plan-store/plan-store.js';
import { persistPlan, type PersistDeps } from './persist-plan.js';

function deps(fail: { stage?: 'cdi' | 'plan'; commit?: 'cdi' | 'plan' } = {}) {
  const steps: string[] = [];
  const staged = (what: 'cdi' | 'plan'): Promise<StagedFile> => {
    if (fail.stage === what) {
      steps.push(`${what} stage failed`);
      return Promise.reject(new Error(`${what}: disk full`));
    }
    steps.push(`${what} staged`);
    return Promise.resolve({
      commit: () => {
        if (fail.commit === what) return Promise.reject(new Error(`${what}: rename failed`));
        steps.push(`${what} committed`);
        return Promise.resolve();
      },
      discard: () => {
        steps.push(`${what} discarded`);
        return Promise.resolve();
      },
    });
  };
  const d: PersistDeps = {
    cdi: {
      stage: () => staged('cdi'),
      remove: () => {
        steps.push('cdi removed');
        return Promise.resolve();
      },
    } as unknown as CdiWriter,
    store: {
      stagePlan: () => staged('plan'),
      deletePlan: () => {
        steps.push('plan deleted');
        return Promise.resolve(true);
      },
    } as unknown as PlanStore,
    devices: {
      lookup: () => undefined,
      pin: (name: string) => {
        steps.push(`pinned ${name}`);
        return true;
      },
    },
    completionDir: '/run/knd/attached',
    logger: silentLogger(),
  };
  return { d, steps };
}

const plan = samplePlan('u1', ['pod-1'], [{}]);

describe('persistPlan', () => {
  it('stages both files, then commits the CDI spec before the plan, then pins', async () => {
    const { d, steps } = deps();
    expect(await persistPlan(d, plan)).toBeUndefined();
    expect(steps.slice(0, 2).sort()).toEqual(['cdi staged', 'plan staged']);
    expect(steps.slice(2)).toEqual(['cdi committed', 'plan committed', 'pinned dev-0']);
  });

  it.each<[string, { stage?: 'cdi' | 'plan'; commit?: 'cdi' | 'plan' }, string, string[]]>([
    ['the plan cannot be staged', { stage: 'plan' }, 'plan: disk full', ['cdi discarded']],
    ['the CDI spec cannot be staged', { stage: 'cdi' }, 'cdi: disk full', ['plan discarded']],
    [
      'the CDI spec cannot be put in place',
      { commit: 'cdi' },
      'cdi: rename failed',
      ['cdi discarded', 'plan discarded'],
    ],
    [
      'the plan cannot be put in place',
      { commit: 'plan' },
      'plan: rename failed',
      ['cdi committed', 'plan discarded'],
    ],
  ])('when %s: the error, temp files removed, nothing committed kept', async (_n, fail, error, expected) => {
    const { d, steps } = deps(fail);
    expect(await persistPlan(d, plan)).toBe(error);
    for (const s of expected) expect(steps).toContain(s);
    expect(steps.slice(-2)).toEqual(['cdi removed', 'plan deleted']);
    expect(steps.filter((s) => s.startsWith('pinned'))).toEqual([]);
    expect(steps).not.toContain('plan committed');
  });
});
