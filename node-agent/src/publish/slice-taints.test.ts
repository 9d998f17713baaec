import { describe, expect, it } from '@jest/globals';
import type { DeviceTaint } from '../../../lib/api/device-taints.js';
import { buildSlices, type SliceDevice } from './slice-builder.js';
import { decodeManagedSlice } from './slice-decode.js';
import { diffSlices } from './slice-diff.js';
import { labelUnsupported, taintSupportFromWrite, withoutTaints } from './taint-support.js';

const taint: DeviceTaint = {
  key: 'knd.dev/unhealthy',
  value: 'NoCarrier',
  effect: 'NoSchedule',
  timeAdded: '2026-12-07T10:00:00Z',
};
const dev = (i: number, taints?: DeviceTaint[]): SliceDevice => ({
  name: `d${String(i).padStart(3, '0')}`,
  attributes: { 'knd.dev/mtu': { int: i } },
  ...(taints ? { taints } : {}),
});
const build = (devices: SliceDevice[]) =>
  buildSlices({ driverName: 'knd.dev', nodeName: 'n1', generation: 2, devices });

describe('slices with device taints', () => {
  it.each([
    ['no taints: 128 per slice', 100, false, [100]],
    ['a taint anywhere: 64 per slice (API limit)', 100, true, [64, 36]],
    ['empty taint lists count as none', 100, 'empty', [100]],
  ] as const)('%s', (_name, n, tainted, sizes) => {
    const devices = Array.from({ length: n }, (_, i) =>
      dev(i, i === 7 ? (tainted === 'empty' ? [] : tainted ? [taint] : undefined) : undefined),
    );
    const slices = build(devices);
    expect(slices.map((s) => s.spec.devices.length)).toEqual(sizes);
    const all = slices.flatMap((s) => s.spec.devices);
    expect(all.filter((d) => 'taints' in d).map((d) => d.name)).toEqual(tainted === true ? ['d007'] : []);
  });

  it('reads taints back so an unchanged tainted slice needs no write, and a changed one does', () => {
    const [s] = build([dev(1, [taint]), dev(2)]);
    if (!s) throw new Error('no slice');
    const live = decodeManagedSlice({ ...s, metadata: { ...s.metadata, resourceVersion: '5' } });
    expect(live.spec.devices[0]?.taints).toEqual([taint]);
    expect(diffSlices([s], [live])).toEqual([]);
    const [healed] = build([dev(1), dev(2)]);
    if (!healed) throw new Error('no slice');
    expect(diffSlices([healed], [live]).map((a) => a.op)).toEqual(['replace']);
  });

  it('decodes an unknown effect as None and rejects a malformed taint list with its path', () => {
    const [s] = build([dev(1)]);
    const raw = JSON.parse(JSON.stringify(s)) as { spec: { devices: Record<string, unknown>[] } };
    raw.spec.devices[0] = { ...raw.spec.devices[0], taints: [{ key: 'k', effect: 'Later' }] };
    expect(decodeManagedSlice(raw).spec.devices[0]?.taints).toEqual([
      { key: 'k', value: '', effect: 'None', timeAdded: '' },
    ]);
    raw.spec.devices[0] = { ...raw.spec.devices[0], taints: 'x' };
    expect(() => decodeManagedSlice(raw)).toThrow('spec.devices[0].taints: must be a list');
  });

  it.each([
    ['no taints sent: tells nothing', [dev(1)], [{ name: 'd001' }], undefined],
    ['sent and returned', [dev(1, [taint])], [{ name: 'd001', taints: [taint] }], 'served'],
    ['sent and dropped by the apiserver', [dev(1, [taint])], [{ name: 'd001' }], 'dropped'],
  ] as const)('write result: %s', (_name, devices, returned, want) => {
    const [s] = build([...devices]);
    if (!s) throw new Error('no slice');
    expect(taintSupportFromWrite(s, { spec: { devices: returned } })).toBe(want);
  });

  it('strips taints and labels slices on a cluster that drops them', () => {
    const [s] = build(withoutTaints([dev(1, [taint])]));
    if (!s) throw new Error('no slice');
    expect(s.spec.devices[0]).toEqual({ name: 'd001', attributes: { 'knd.dev/mtu': { int: 1 } } });
    expect(labelUnsupported([s])[0]?.metadata.labels['knd.dev/device-taints']).toBe('unsupported');
  });
});
