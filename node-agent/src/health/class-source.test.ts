import { describe, expect, it } from '@jest/globals';
import type { NetworkDeviceClassSpec } from '../../../lib/api/network-device-class.js';
import { captureLogger } from '../../../test/support/capture-logger.js';
import type { ClassItem } from '../classes/class-list.js';
import type { InventoryDevice } from '../inventory/build-devices.js';
import { classSource, effectsKey, needsEvaluation } from './class-source.js';

const cls = (name: string, spec: NetworkDeviceClassSpec): ClassItem => ({ name, spec });
const veth = {
  name: 'veth-a',
  attributes: { 'knd.dev/ifName': { string: 'kndv0' }, 'knd.dev/virtual': { bool: true } },
} as unknown as InventoryDevice;

describe('effectsKey', () => {
  const a = cls('a', { selector: { virtual: true }, taintEffect: 'NoExecute' });
  it.each<[string, ClassItem, boolean]>([
    ['the config changed', { ...a, spec: { ...a.spec, config: { interface: { mtu: 9000 } } } }, true],
    ['the share changed', { ...a, spec: { ...a.spec, shared: { maxChildren: 2 } } }, true],
    ['the effect changed', { ...a, spec: { ...a.spec, taintEffect: 'None' } }, false],
    ['the selector changed', { ...a, spec: { ...a.spec, selector: { virtual: false } } }, false],
    ['a CEL selector was added', { ...a, spec: { ...a.spec, cel: ['true'] } }, false],
  ])('%s', (_name, after, same) => {
    expect(effectsKey([a]) === effectsKey([after])).toBe(same);
  });
});

describe('needsEvaluation', () => {
  it.each<[string, NetworkDeviceClassSpec[], boolean]>([
    ['no class', [], false],
    ['only defaults', [{}, { taintEffect: 'NoSchedule' }], false],
    ['one None', [{}, { taintEffect: 'None' }], true],
    ['one NoExecute', [{ taintEffect: 'NoExecute' }], true],
  ])('%s', (_name, specs, want) => {
    expect(needsEvaluation(specs.map((s, i) => cls(`c${i}`, s)))).toBe(want);
  });
});

describe('classSource', () => {
  it('takes the effects of each list that changes them, and tells onChange only then', async () => {
    const { logger } = captureLogger();
    let changes = 0;
    const src = classSource({ logger, onChange: () => changes++ });
    expect(src.effectOf(veth)).toBe('NoSchedule'); // before the first list: the default
    const noExecute = cls('virtual', { selector: { virtual: true }, taintEffect: 'NoExecute' });
    await src.update([noExecute]);
    expect(src.effectOf(veth)).toBe('NoExecute');
    expect(changes).toBe(1);
    await src.update([{ ...noExecute, spec: { ...noExecute.spec, config: { interface: { mtu: 9000 } } } }]);
    expect(changes).toBe(1); // the effects did not change
    await src.update([cls('virtual', { selector: { virtual: true } })]);
    expect(src.effectOf(veth)).toBe('NoSchedule');
    expect(changes).toBe(2);
  });
});
