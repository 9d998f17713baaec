import { describe, expect, it } from '@jest/globals';
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import { ATTR } from '../inventory/attributes.js';
import { applySharedClasses, compileSharedClass, type SharedClassView } from './shared-devices.js';
import type { SliceDevice } from './slice-builder.js';

const ndc = (name: string, spec: NetworkDeviceClass['spec']): NetworkDeviceClass => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkDeviceClass',
  metadata: { name },
  spec,
});

function view(c: NetworkDeviceClass): SharedClassView {
  const r = compileSharedClass(c);
  if (!r.ok || r.value === undefined) throw new Error(`class ${c.metadata.name} did not compile`);
  return r.value;
}

const dev = (name: string, speed?: number): SliceDevice => ({
  name,
  attributes: {
    [ATTR.ifName]: { string: name },
    ...(speed === undefined ? {} : { [ATTR.linkSpeedMbps]: { int: speed } }),
  },
});

const storage = view(ndc('storage', { selector: { interfaceNames: ['stor*'] }, shared: { maxChildren: 8 } }));
const fixed = view(
  ndc('fixed', { selector: { interfaceNames: ['fix*'] }, shared: { maxChildren: 2, bandwidthMbps: 200 } }),
);
const overlap = view(ndc('overlap', { selector: { interfaceNames: ['stor1'] }, shared: { maxChildren: 4 } }));

describe('applySharedClasses', () => {
  it('shares the devices one shared class selects; others stay whole', () => {
    const { devices, notes, modes } = applySharedClasses(
      [dev('stor0', 10_000), dev('fix0'), dev('eth0', 25_000)],
      [storage, fixed],
      true,
    );
    expect(notes).toEqual([]);
    expect(
      devices.map((d) => [d.name, d.allowMultipleAllocations ?? false, d.capacity?.['bandwidth']?.value]),
    ).toEqual([
      ['stor0', true, '10G'],
      ['fix0', true, '200M'],
      ['eth0', false, undefined],
    ]);
    expect(devices[1]?.capacity?.['children']?.value).toBe('2');
    expect(devices.map((d) => d.attributes[ATTR.shared])).toEqual([
      { bool: true },
      { bool: true },
      undefined,
    ]);
    expect([...modes]).toEqual([
      ['stor0', 'bridge'],
      ['fix0', 'bridge'],
    ]);
  });

  it('publishes nothing as shared when the apiserver does not serve consumable capacity', () => {
    const input = [dev('stor0', 10_000)];
    expect(applySharedClasses(input, [storage], false)).toEqual({
      devices: input,
      notes: [],
      modes: new Map(),
    });
  });

  it.each<[string, SliceDevice, SharedClassView[], RegExp]>([
    [
      'two shared classes',
      dev('stor1', 1000),
      [storage, overlap],
      /selected by shared classes storage, overlap/,
    ],
    ['no bandwidth known', dev('stor2'), [storage], /class storage: .*no link speed; published whole/],
  ])('publishes whole and reports a device with %s', (_n, d, classes, why) => {
    const { devices, notes } = applySharedClasses([d], classes, true);
    expect(devices).toEqual([d]);
    expect(notes).toEqual([{ device: d.name, message: expect.stringMatching(why) as unknown as string }]);
  });
});

describe('compileSharedClass', () => {
  it('is undefined for a class without spec.shared', () => {
    expect(compileSharedClass(ndc('whole', { selector: { rdma: true } }))).toEqual({
      ok: true,
      value: undefined,
    });
  });

  it('names the class and selector of a CEL that does not compile', () => {
    const r = compileSharedClass(ndc('bad', { cel: ['device.attributes['], shared: { maxChildren: 1 } }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/NetworkDeviceClass bad: selector \d+: CEL does not compile/);
  });
});
