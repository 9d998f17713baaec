import { describe, it, expect } from '@jest/globals';
import type { DeviceSelectorSpec } from '../../../lib/api/network-device-class.js';
import type { DeviceAttributeJson } from '../../../lib/cel/device-model.js';
import { DeviceMatcher } from '../match/device-matcher.js';
import { globToRegex, selectorToCel } from '../../../lib/cel/selector-cel.js';

const K = 'device.attributes["knd.dev"]';

describe('globToRegex', () => {
  it.each([
    ['eth*', '^eth.*$'],
    ['ens?f0', '^ens.f0$'],
    ['eth0.100', '^eth0\\.100$'],
    ['*', '^.*$'],
  ])('%s -> %s', (glob, re) => {
    expect(globToRegex(glob)).toBe(re);
  });
});

describe('selectorToCel', () => {
  it.each<[string, DeviceSelectorSpec | undefined, string[]]>([
    ['no selector: driver pin only', undefined, []],
    [
      'vendors',
      { vendors: ['0x15b3', '0x8086'] },
      [`"pciVendor" in ${K} && ${K}.pciVendor in ["0x15b3", "0x8086"]`],
    ],
    ['drivers', { drivers: ['mlx5_core'] }, [`"driver" in ${K} && ${K}.driver in ["mlx5_core"]`]],
    ['one glob', { interfaceNames: ['eth*'] }, [`"ifName" in ${K} && ${K}.ifName.matches("^eth.*$")`]],
    [
      'two globs',
      { interfaceNames: ['eth*', 'ens?'] },
      [`"ifName" in ${K} && (${K}.ifName.matches("^eth.*$") || ${K}.ifName.matches("^ens.$"))`],
    ],
    ['rdma true', { rdma: true }, [`"rdma" in ${K} && ${K}.rdma == true`]],
    ['rdma false', { rdma: false }, [`"rdma" in ${K} && ${K}.rdma == false`]],
    ['virtual', { virtual: true }, [`"virtual" in ${K} && ${K}.virtual == true`]],
    ['pf', { sriovRole: 'pf' }, [`"sriov" in ${K} && ${K}.sriov == true`]],
    ['vf', { sriovRole: 'vf' }, [`"isSriovVf" in ${K} && ${K}.isSriovVf == true`]],
    ['speed', { minLinkSpeedMbps: 100000 }, [`"linkSpeedMbps" in ${K} && ${K}.linkSpeedMbps >= 100000`]],
    ['numa', { numaNode: 1 }, [`"numaNode" in ${K} && ${K}.numaNode == 1`]],
  ])('%s', (_name, sel, extra) => {
    expect(selectorToCel(sel)).toEqual(['device.driver == "knd.dev"', ...extra]);
  });
});

const rich = {
  ifName: { string: 'eth1' },
  pciVendor: { string: '0x15b3' },
  driver: { string: 'mlx5_core' },
  rdma: { bool: true },
  virtual: { bool: false },
  sriov: { bool: true },
  isSriovVf: { bool: false },
  linkSpeedMbps: { int: 200000 },
  numaNode: { int: 1 },
  'resource.kubernetes.io/pcieRoot': { string: 'pci0000:00' },
};
const veth = { ifName: { string: 'veth9' }, virtual: { bool: true }, rdma: { bool: false } };

describe('generated CEL evaluated by a real CEL engine', () => {
  const m = new DeviceMatcher();
  it.each<[string, DeviceSelectorSpec, Record<string, DeviceAttributeJson>, boolean]>([
    ['vendor match', { vendors: ['0x15b3'] }, rich, true],
    ['vendor mismatch', { vendors: ['0x8086'] }, rich, false],
    ['vendor attribute missing -> no match, no error', { vendors: ['0x15b3'] }, veth, false],
    ['driver', { drivers: ['ice', 'mlx5_core'] }, rich, true],
    ['glob', { interfaceNames: ['eth*'] }, rich, true],
    ['glob anchored', { interfaceNames: ['th1'] }, rich, false],
    ['glob ?', { interfaceNames: ['veth?'] }, veth, true],
    ['rdma', { rdma: true }, rich, true],
    ['rdma false', { rdma: false }, veth, true],
    ['virtual', { virtual: true }, veth, true],
    ['virtual on physical', { virtual: true }, rich, false],
    ['pf', { sriovRole: 'pf' }, rich, true],
    ['vf', { sriovRole: 'vf' }, rich, false],
    ['speed ok', { minLinkSpeedMbps: 100000 }, rich, true],
    ['speed too low', { minLinkSpeedMbps: 400000 }, rich, false],
    ['speed missing', { minLinkSpeedMbps: 1 }, veth, false],
    ['numa', { numaNode: 1 }, rich, true],
    ['numa other', { numaNode: 0 }, rich, false],
    [
      'all together',
      { vendors: ['0x15b3'], rdma: true, numaNode: 1, sriovRole: 'pf', interfaceNames: ['eth?'] },
      rich,
      true,
    ],
  ])('%s', (_n, sel, attrs, want) => {
    expect(m.matches(selectorToCel(sel), 'knd.dev', { attributes: attrs })).toBe(want);
  });

  it('never selects another driver', () => {
    expect(m.matches(selectorToCel({}), 'gpu.nvidia.com', { attributes: rich })).toBe(false);
  });

  it('unknown attribute domain reads as an empty map (Kubernetes semantics)', () => {
    expect(m.matches(['!("x" in device.attributes["other.example"])'], 'knd.dev', { attributes: rich })).toBe(
      true,
    );
  });

  it('qualified standard attribute is reachable by domain', () => {
    expect(
      m.matches(['device.attributes["resource.kubernetes.io"].pcieRoot == "pci0000:00"'], 'knd.dev', {
        attributes: rich,
      }),
    ).toBe(true);
  });

  it('a selector that errors or is not a bool does not match', () => {
    expect(m.matches(['device.attributes["knd.dev"].nope == 1'], 'knd.dev', { attributes: rich })).toBe(
      false,
    );
    expect(m.matches(['device.driver'], 'knd.dev', { attributes: rich })).toBe(false);
    expect(m.matches(['device.driver =='], 'knd.dev', { attributes: rich })).toBe(false);
  });

  it('counts devices and distinct nodes over slices', () => {
    const slice = (node: string, driver: string, n: number) => ({
      spec: {
        driver,
        nodeName: node,
        devices: Array.from({ length: n }, (_, i) => ({ name: `d${i}`, attributes: rich })),
      },
    });
    const r = m.count(selectorToCel({ rdma: true }), [
      slice('a', 'knd.dev', 3),
      slice('b', 'knd.dev', 2),
      slice('c', 'gpu.nvidia.com', 4),
    ]);
    expect(r).toEqual({ devices: 5, nodes: 2 });
  });
});
