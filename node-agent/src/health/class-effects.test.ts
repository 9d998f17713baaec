import { describe, expect, it } from '@jest/globals';
import type { NetworkDeviceClassSpec } from '../../../lib/api/network-device-class.js';
import { classEffects, EffectResolver } from './class-effects.js';

const veth = {
  name: 'veth-a',
  attributes: { 'knd.dev/ifName': { string: 'kndv0' }, 'knd.dev/virtual': { bool: true } },
};
const pf = {
  name: 'pci-0000-3b-00-0',
  attributes: { 'knd.dev/ifName': { string: 'ens1f0' }, 'knd.dev/virtual': { bool: false } },
};

const cls = (name: string, spec: NetworkDeviceClassSpec) => ({ name, spec });

describe('class effects', () => {
  it('needs no evaluation when every class keeps the default effect', () => {
    expect(classEffects([cls('a', {}), cls('b', { taintEffect: 'NoSchedule' })])).toEqual([]);
  });

  it.each<[string, NetworkDeviceClassSpec[], string, string]>([
    [
      'no class selects it: default',
      [{ selector: { virtual: false }, taintEffect: 'NoExecute' }],
      'veth',
      'NoSchedule',
    ],
    [
      'one class with NoExecute',
      [{ selector: { virtual: true }, taintEffect: 'NoExecute' }],
      'veth',
      'NoExecute',
    ],
    ['None alone', [{ selector: { interfaceNames: ['kndv*'] }, taintEffect: 'None' }], 'veth', 'None'],
    [
      'None and a default class: the stronger NoSchedule wins',
      [{ selector: { interfaceNames: ['kndv*'] }, taintEffect: 'None' }, { selector: { virtual: true } }],
      'veth',
      'NoSchedule',
    ],
    [
      'NoSchedule and NoExecute: NoExecute',
      [
        { selector: { virtual: true } },
        { cel: ['device.attributes["knd.dev"].ifName == "kndv0"'], taintEffect: 'NoExecute' },
      ],
      'veth',
      'NoExecute',
    ],
    [
      'a selector that errors on the device does not select it',
      [{ cel: ['device.attributes["knd.dev"].numaNode == 0'], taintEffect: 'NoExecute' }],
      'pf',
      'NoSchedule',
    ],
  ])('%s', (_name, specs, which, want) => {
    const effects = classEffects(specs.map((s, i) => cls(`c${i}`, s)));
    expect(new EffectResolver().effectOf(effects, which === 'veth' ? veth : pf)).toBe(want);
  });
});
