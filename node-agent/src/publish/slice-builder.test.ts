import { describe, expect, it } from '@jest/globals';
import { buildSlices, canonicalJson, sliceName } from './slice-builder.js';

const dev = (i: number): { name: string; attributes: Record<string, { int: number }> } => ({
  name: `d${String(i).padStart(3, '0')}`,
  attributes: { 'knd.dev/mtu': { int: i } },
});

describe('buildSlices', () => {
  it.each([
    [0, [0]],
    [1, [1]],
    [128, [128]],
    [129, [128, 1]],
    [300, [128, 128, 44]],
  ])('%i devices -> slices of %j with resourceSliceCount and one generation', (n, sizes) => {
    const slices = buildSlices({
      driverName: 'knd.dev',
      nodeName: 'n1',
      generation: 4,
      devices: Array.from({ length: n }, (_, i) => dev(i)),
    });
    expect(slices.map((s) => s.spec.devices.length)).toEqual(sizes);
    for (const [i, s] of slices.entries()) {
      expect(s.metadata.name).toBe(`n1-knd.dev-${i}`);
      expect(s.spec).toMatchObject({
        driver: 'knd.dev',
        nodeName: 'n1',
        pool: { name: 'n1', generation: 4, resourceSliceCount: sizes.length },
      });
    }
  });

  it('sorts devices by name so the split is stable, and sets the Node owner', () => {
    const [s] = buildSlices({
      driverName: 'knd.dev',
      nodeName: 'n1',
      generation: 1,
      devices: [dev(2), dev(1)],
      owner: { name: 'n1', uid: 'u-1' },
    });
    expect(s?.spec.devices.map((d) => d.name)).toEqual(['d001', 'd002']);
    expect(s?.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u-1', controller: true },
    ]);
  });

  it('keeps names within 253 characters and labels within 63 for long node names', () => {
    const long = `${'a'.repeat(120)}.${'b'.repeat(130)}`;
    const [s] = buildSlices({ driverName: 'knd.dev', nodeName: long, generation: 1, devices: [] });
    expect(s?.metadata.name.length).toBeLessThanOrEqual(253);
    expect(s?.metadata.name).toMatch(/-knd\.dev-0$/);
    expect(sliceName(long, 'knd.dev', 0)).not.toBe(sliceName(`${long.slice(0, -1)}c`, 'knd.dev', 0));
    expect(Object.values(s?.metadata.labels ?? {}).every((v) => v.length <= 63)).toBe(true);
  });
});

describe('canonicalJson', () => {
  it('ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: [2, 1] } })).toBe(
      canonicalJson({ a: { c: [2, 1], d: 1 }, b: 1 }),
    );
  });
});
