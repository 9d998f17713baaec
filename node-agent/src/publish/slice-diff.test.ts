import { describe, expect, it } from '@jest/globals';
import { buildSlices, type ResourceSlice } from './slice-builder.js';
import { diffSlices, maxGeneration } from './slice-diff.js';

const devices = (n: number): { name: string; attributes: Record<string, { bool: boolean }> }[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `d${String(i).padStart(3, '0')}`,
    attributes: { 'knd.dev/rdma': { bool: false } },
  }));
const slices = (n: number, generation: number, nodeName = 'n1'): ResourceSlice[] =>
  buildSlices({ driverName: 'knd.dev', nodeName, generation, devices: devices(n) }).map((s, i) => ({
    ...s,
    metadata: { ...s.metadata, resourceVersion: `rv${i}` },
  }));
const ops = (a: ReturnType<typeof diffSlices>): string[] =>
  a.map((x) => `${x.op} ${x.op === 'delete' ? x.name : x.slice.metadata.name}`);

describe('diffSlices', () => {
  it.each([
    ['nothing exists', slices(3, 1), [], ['create n1-knd.dev-0']],
    ['identical', slices(3, 1), slices(3, 1), []],
    [
      'generation bump rewrites every slice',
      slices(200, 2),
      slices(200, 1),
      ['replace n1-knd.dev-0', 'replace n1-knd.dev-1'],
    ],
    [
      'shrink: update first, delete the extra slice last',
      slices(5, 2),
      slices(200, 1),
      ['replace n1-knd.dev-0', 'delete n1-knd.dev-1'],
    ],
    ['grow', slices(200, 2), slices(5, 1), ['replace n1-knd.dev-0', 'create n1-knd.dev-1']],
  ])('%s', (_name, desired, existing, want) => {
    expect(ops(diffSlices(desired, existing))).toEqual(want);
  });

  it('passes the resourceVersion of the slice it replaces', () => {
    const [a] = diffSlices(slices(1, 2), slices(1, 1));
    expect(a).toMatchObject({ op: 'replace', resourceVersion: 'rv0' });
  });

  it('deletes and recreates a slice whose immutable fields differ', () => {
    const existing = slices(1, 1).map((s) => ({ ...s, spec: { ...s.spec, nodeName: 'other' } }));
    expect(ops(diffSlices(slices(1, 1), existing))).toEqual(['delete n1-knd.dev-0', 'create n1-knd.dev-0']);
  });

  it('maxGeneration', () => {
    expect(maxGeneration([])).toBe(0);
    expect(maxGeneration([...slices(1, 3), ...slices(1, 9)])).toBe(9);
  });
});
