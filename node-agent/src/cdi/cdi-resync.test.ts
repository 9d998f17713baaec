import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogger } from '../../../test/support/capture-logger.js';
import { samplePlan } from '../../../test/support/sample-plan.js';
import { resyncCdiSpecs } from './cdi-resync.js';
import { cdiDeviceId } from './cdi-spec.js';
import { cdiSpecText, CdiWriter } from './cdi-writer.js';
import { specForPlan } from './plan-cdi-spec.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'knd-cdi-resync-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const plan = (uid: string) =>
  samplePlan(uid, ['pod-1'], [{ deviceName: 'nic0', cdiDeviceIds: [cdiDeviceId(uid, 'nic0')] }]);

const COMPLETION_DIR = '/var/lib/knd/attached';

describe('resyncCdiSpecs', () => {
  it('writes missing specs, rewrites specs of another rendering, leaves current ones alone', async () => {
    const cdi = new CdiWriter({ dir });
    const [missing, older, current] = [plan('a-missing'), plan('b-older'), plan('c-current')];
    const currentSpec = specForPlan(current, COMPLETION_DIR);
    if (!currentSpec) throw new Error('no spec');
    await cdi.write('c-current', currentSpec);
    // what an earlier agent wrote: no attach guard hook
    await writeFile(
      cdi.path('b-older'),
      JSON.stringify({
        cdiVersion: '0.3.0',
        kind: 'knd.dev/claim',
        devices: [{ name: 'b-older-nic0', containerEdits: {} }],
      }),
    );
    const { logger, entries } = captureLogger();
    expect(await resyncCdiSpecs([missing, older, current], cdi, COMPLETION_DIR, logger)).toEqual({
      rewritten: 2,
      kept: 0,
      failed: 0,
    });
    for (const p of [missing, older, current]) {
      const spec = specForPlan(p, COMPLETION_DIR);
      expect(await readFile(cdi.path(p.claim.uid), 'utf8')).toBe(spec ? cdiSpecText(spec) : '');
    }
    expect(entries.map((e) => [e.claimUid, e.before])).toEqual([
      ['a-missing', 'missing'],
      ['b-older', 'different'],
    ]);
    // idempotent
    expect(await resyncCdiSpecs([missing, older, current], cdi, COMPLETION_DIR, logger)).toEqual({
      rewritten: 0,
      kept: 0,
      failed: 0,
    });
  });

  it('keeps a spec whose ids the plan gave the kubelet would not be defined any more', async () => {
    const cdi = new CdiWriter({ dir });
    const p = samplePlan('u1', [], [{ deviceName: 'nic0', cdiDeviceIds: ['knd.dev/claim=old-naming-nic0'] }]);
    await writeFile(cdi.path('u1'), 'as written by the agent that prepared it');
    const { logger, entries } = captureLogger();
    expect(await resyncCdiSpecs([p], cdi, COMPLETION_DIR, logger)).toEqual({
      rewritten: 0,
      kept: 1,
      failed: 0,
    });
    expect(await readFile(cdi.path('u1'), 'utf8')).toBe('as written by the agent that prepared it');
    expect(entries[0]).toMatchObject({ level: 'error', missing: ['knd.dev/claim=old-naming-nic0'] });
  });

  it('reports a failed write and goes on with the next claim', async () => {
    const cdi = new CdiWriter({ dir: join(dir, 'file') });
    await writeFile(join(dir, 'file'), 'not a directory');
    const { logger, entries } = captureLogger();
    expect(await resyncCdiSpecs([plan('u1'), plan('u2')], cdi, COMPLETION_DIR, logger)).toEqual({
      rewritten: 0,
      kept: 0,
      failed: 2,
    });
    expect(entries.map((e) => e.level)).toEqual(['error', 'error']);
  });
});
