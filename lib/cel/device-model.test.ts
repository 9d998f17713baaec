import { describe, expect, it } from '@jest/globals';
import {
  celDevice,
  compileSelector,
  parseQualifiedName,
  SelectorCache,
  type DraDeviceJson,
  type SelectorVerdict,
} from './device-model.js';

const DRIVER = 'knd.dev';
const nic: DraDeviceJson = {
  name: 'nic0',
  attributes: {
    ifName: { string: 'eth1' },
    'knd.dev/mtu': { int: 9000 },
    rdma: { bool: true },
    fw: { version: '1.2.3-rc.1+build.7' },
    'resource.kubernetes.io/pcieRoot': { string: 'pci0000:00' },
    'gpu.example.com/model': { string: 'H100' },
  },
  capacity: { bandwidth: { value: '100G' }, 'mem.example.com/size': { value: '1Gi' } },
};

const verdict = (exprs: string[], device: DraDeviceJson = nic, driver = DRIVER): SelectorVerdict =>
  new SelectorCache().evaluate(exprs, driver, device);
const kind = (exprs: string[], device?: DraDeviceJson, driver?: string): string =>
  verdict(exprs, device, driver).kind;

const A = 'device.attributes["knd.dev"]';

describe('device model: the scheduler semantics of `device`', () => {
  it.each<[string, string, 'match' | 'no-match' | 'error']>([
    ['driver', 'device.driver == "knd.dev"', 'match'],
    ['unqualified name lands in the driver domain', `${A}.ifName == "eth1"`, 'match'],
    ['qualified name in the driver domain', `${A}.mtu == 9000`, 'match'],
    ['int attribute is an int', `${A}.mtu > 1500`, 'match'],
    ['int compares with a double', `${A}.mtu < 9000.5`, 'match'],
    ['bool attribute', `${A}.rdma`, 'match'],
    ['standard domain', 'device.attributes["resource.kubernetes.io"].pcieRoot == "pci0000:00"', 'match'],
    ['another driver domain on this device', 'device.attributes["gpu.example.com"].model == "H100"', 'match'],
    ['missing attribute: error', `${A}.nope == 1`, 'error'],
    ['missing attribute guarded by in', `"nope" in ${A} && ${A}.nope == 1`, 'no-match'],
    ['missing attribute guarded by has()', `has(${A}.nope) && ${A}.nope == 1`, 'no-match'],
    ['present attribute by has()', `has(${A}.ifName)`, 'match'],
    ['unknown domain reads as an empty map', '!("x" in device.attributes["other.example.com"])', 'match'],
    ['unknown domain attribute: error', 'device.attributes["other.example.com"].x == 1', 'error'],
    ['unknown domain is not `in` the attributes', '"other.example.com" in device.attributes', 'no-match'],
    ['known domain is `in` the attributes', '"knd.dev" in device.attributes', 'match'],
    ['size counts real domains', 'size(device.attributes) == 3', 'match'],
    ['type mismatch is an error', `${A}.ifName > 1`, 'error'],
    ['heterogeneous equality is false', `${A}.ifName == 1`, 'no-match'],
    ['non-bool result is an error', 'device.driver', 'error'],
    ['version equality ignores build metadata', `${A}.fw == semver("1.2.3-rc.1")`, 'match'],
    ['version ordering: pre-release before release', `${A}.fw.isLessThan(semver("1.2.3"))`, 'match'],
    ['version ordering: numeric pre-release ids', `${A}.fw.isGreaterThan(semver("1.2.3-rc.0"))`, 'match'],
    ['version compareTo', `${A}.fw.compareTo(semver("1.10.0")) == -1`, 'match'],
    ['version parts', `${A}.fw.major() == 1 && ${A}.fw.minor() == 2 && ${A}.fw.patch() == 3`, 'match'],
    ['normalized semver', 'semver("v1.2", true) == semver("1.2.0")', 'match'],
    ['isSemver', '!isSemver("1.2") && isSemver("1.2", true) && isSemver("1.0.0-alpha")', 'match'],
    ['semver of garbage is an error', 'semver("x") == semver("1.0.0")', 'error'],
    ['version == string is an error (cel-go asks the left operand)', `${A}.fw == "1.2.3-rc.1"`, 'error'],
    ['version != string is an error too', `${A}.fw != "1.2.3-rc.1"`, 'error'],
    ['string == version is false', `"1.2.3-rc.1" == ${A}.fw`, 'no-match'],
    ['version == null is false', `${A}.fw == null`, 'no-match'],
    ['quantity == int is an error', 'quantity("1") == 1', 'error'],
    [
      'plain equality is unchanged',
      `${A}.ifName == "eth1" && ${A}.mtu != 1 && [1, "a"] == [1, "a"]`,
      'match',
    ],
    [
      'capacity is a quantity',
      'device.capacity["knd.dev"].bandwidth.isGreaterThan(quantity("10G"))',
      'match',
    ],
    [
      'quantity equality is by value',
      'device.capacity["mem.example.com"].size == quantity("1024Mi")',
      'match',
    ],
    [
      'quantity compareTo',
      'device.capacity["knd.dev"].bandwidth.compareTo(quantity("100000M")) == 0',
      'match',
    ],
    ['quantity asInteger', 'device.capacity["mem.example.com"].size.asInteger() == 1073741824', 'match'],
    ['quantity asInteger of a fraction', 'quantity("1500m").asInteger() == 1', 'error'],
    ['quantity arithmetic', 'quantity("1").add(quantity("500m")).sub(1) == quantity("0.5")', 'match'],
    ['quantity sign and isInteger', 'sign(quantity("-2k")) == -1 && quantity("2k").isInteger()', 'match'],
    ['isQuantity', 'isQuantity("10Gi") && !isQuantity("10GB")', 'match'],
    [
      'string functions',
      `${A}.ifName.startsWith("eth") && ${A}.ifName.endsWith("1") && ${A}.ifName.contains("th")`,
      'match',
    ],
    ['matches is RE2 and unanchored', `${A}.ifName.matches("th[0-9]")`, 'match'],
    ['strings extension', `${A}.ifName.upperAscii() == "ETH1" && ${A}.ifName.indexOf("h") == 2`, 'match'],
    ['cel.bind', `cel.bind(k, ${A}, k.rdma && k.mtu == 9000)`, 'match'],
    ['nested cel.bind', `cel.bind(k, ${A}, cel.bind(m, k.mtu, m > 1 && k.rdma))`, 'match'],
    ['allowMultipleAllocations defaults to false', '!device.allowMultipleAllocations', 'match'],
    ['exists over domains', 'device.attributes.exists(d, d == "gpu.example.com")', 'match'],
  ])('%s', (_name, expr, want) => {
    expect(kind([expr])).toBe(want);
  });

  it('stops at the first false: a later error is never reached', () => {
    expect(kind(['false', `${A}.nope == 1`])).toBe('no-match');
    expect(kind([`${A}.nope == 1`, 'false'])).toBe('error');
  });

  it('no selectors select every device, even one with a broken version', () => {
    expect(kind([], { attributes: { v: { version: '1.0' } } })).toBe('match');
  });

  it('an invalid version attribute makes every selector an error on that device', () => {
    const v = verdict(['true'], { attributes: { v: { version: '1.0' } } });
    expect(v).toEqual({ kind: 'error', message: expect.stringContaining('attribute v') as unknown });
  });

  it('a syntax error is an error verdict with the compiler message', () => {
    expect(verdict(['device.driver =='])).toEqual({
      kind: 'error',
      message: expect.stringContaining('CEL does not compile') as unknown,
    });
    expect(compileSelector('device.driver ==').ok).toBe(false);
  });

  it('unqualified attributes follow the device driver', () => {
    expect(kind(['device.attributes["other.io"].ifName == "eth1"'], nic, 'other.io')).toBe('match');
    expect(kind([`${A}.ifName == "eth1"`], nic, 'other.io')).toBe('error');
  });

  it('allowMultipleAllocations is read from the device', () => {
    expect(kind(['device.allowMultipleAllocations'], { allowMultipleAllocations: true })).toBe('match');
  });

  it('a capacity that is not a quantity fails the device', () => {
    expect(kind(['true'], { capacity: { x: { value: '1GB' } } })).toBe('error');
  });

  it('builds the device without error for good input', () => {
    expect(celDevice(DRIVER, nic).ok).toBe(true);
  });
});

describe('parseQualifiedName', () => {
  it.each<[string, [string, string]]>([
    ['ifName', [DRIVER, 'ifName']],
    ['knd.dev/ifName', ['knd.dev', 'ifName']],
    ['resource.kubernetes.io/pcieRoot', ['resource.kubernetes.io', 'pcieRoot']],
    ['a/b/c', ['a', 'b/c']],
  ])('%s', (name, want) => {
    expect(parseQualifiedName(name, DRIVER)).toEqual(want);
  });
});
