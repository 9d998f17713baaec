// The devices and selectors of the CEL conformance test (cel-conformance.test.ts): a handful of
// devices under two drivers of the test's own, and selectors covering the CEL the operator
// generates from NetworkDeviceClass selectors plus hand-written edge cases. Every selector is one
// the apiserver accepts. `A` and `B` stand for the two driver names (unique per run) and are
// substituted before use.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { DeviceSelectorSpec } from '../../lib/api/network-device-class.js';
import { DRIVER_NAME } from '../../lib/api/constants.js';
import type { DraDeviceJson } from '../../lib/cel/device-model.js';
import { renderDocuments } from '../../operator/src/render/render-documents.js';
import { celString, selectorToCel } from '../../lib/cel/selector-cel.js';

export interface CorpusDevice extends DraDeviceJson {
  name: string;
  driver: 'A' | 'B';
}

/** The devices, in slice order. */
export const DEVICES: CorpusDevice[] = [
  {
    name: 'd0',
    driver: 'A',
    attributes: {
      ifName: { string: 'eth0' },
      mtu: { int: 9000 },
      rdma: { bool: true },
      virtual: { bool: false },
      pciVendor: { string: '0x15b3' },
      driver: { string: 'mlx5_core' },
      linkSpeedMbps: { int: 100000 },
      numaNode: { int: 0 },
      sriov: { bool: true },
      fw: { version: '1.2.3' },
      'resource.kubernetes.io/pcieRoot': { string: 'pci0000:00' },
    },
    capacity: { bandwidth: { value: '100G' } },
  },
  {
    name: 'd1',
    driver: 'A',
    attributes: {
      'A/ifName': { string: 'eth1' },
      'A/mtu': { int: 1500 },
      'A/rdma': { bool: false },
      'A/virtual': { bool: false },
      'A/pciVendor': { string: '0x8086' },
      'A/driver': { string: 'ice' },
      'A/linkSpeedMbps': { int: 25000 },
      'A/numaNode': { int: 1 },
      'A/isSriovVf': { bool: true },
      'A/state': { string: 'up' },
      'A/fw': { version: '1.10.0-rc.1' },
    },
    capacity: { bandwidth: { value: '25G' } },
  },
  {
    name: 'd2',
    driver: 'A',
    attributes: { ifName: { string: 'veth9' }, virtual: { bool: true }, rdma: { bool: false } },
  },
  {
    name: 'd3',
    driver: 'A',
    attributes: {
      ifName: { string: 'ens1f0' },
      mtu: { int: 9000 },
      rdma: { bool: false },
      fw: { version: '2.0.0+build.7' },
      'gpu.example.com/model': { string: 'H100' },
    },
  },
  { name: 'd4', driver: 'B', attributes: { ifName: { string: 'eth0' }, rdma: { bool: true } } },
  { name: 'd5', driver: 'B' },
];

export interface CorpusEntry {
  name: string;
  /** Request selectors, in order (after the DeviceClass's driver pin). */
  selectors: string[];
}

const generated: [string, DeviceSelectorSpec][] = [
  ['no selector', {}],
  ['rdma', { rdma: true }],
  ['not rdma', { rdma: false }],
  ['vendors', { vendors: ['0x15b3'] }],
  ['drivers', { drivers: ['ice', 'mlx5_core'] }],
  ['one glob', { interfaceNames: ['eth*'] }],
  ['two globs', { interfaceNames: ['eth?', 'ens*'] }],
  ['virtual', { virtual: true }],
  ['sriov pf', { sriovRole: 'pf' }],
  ['sriov vf', { sriovRole: 'vf' }],
  ['link speed', { minLinkSpeedMbps: 50000 }],
  ['numa', { numaNode: 1 }],
  ['several fields', { vendors: ['0x15b3', '0x8086'], rdma: false, interfaceNames: ['eth*'] }],
];

const X = 'device.attributes["A"]';
const handWritten: [string, string][] = [
  ['missing attribute without has()', `${X}.mtu == 9000`],
  ['missing attribute with has()', `has(${X}.mtu) && ${X}.mtu == 9000`],
  ['missing attribute with in', `"mtu" in ${X} && ${X}.mtu > 1500`],
  ['driver pin then the driver domain', `device.driver == "A" && has(${X}.numaNode) && ${X}.numaNode == 0`],
  ['other driver domain, unguarded', 'device.attributes["B"].ifName == "eth0"'],
  ['other driver domain, guarded', 'has(device.attributes["B"].rdma) && device.attributes["B"].rdma'],
  ['third-party domain, unguarded', 'device.attributes["gpu.example.com"].model == "H100"'],
  ['third-party domain, guarded', '"model" in device.attributes["gpu.example.com"]'],
  ['domain membership', '"gpu.example.com" in device.attributes'],
  ['unknown domain is an empty map', '!("x" in device.attributes["nowhere.example.com"])'],
  ['standard domain', 'has(device.attributes["resource.kubernetes.io"].pcieRoot)'],
  ['size of attributes', 'size(device.attributes) == 0'],
  ['exists over an attribute map', `${X}.exists(k, k == "isSriovVf")`],
  ['device.driver', 'device.driver == "B"'],
  ['version greater', `has(${X}.fw) && ${X}.fw.isGreaterThan(semver("1.5.0"))`],
  ['version less, pre-release', `has(${X}.fw) && ${X}.fw.isLessThan(semver("1.10.0"))`],
  ['version equality ignores build', `has(${X}.fw) && ${X}.fw == semver("2.0.0")`],
  ['version compareTo', `has(${X}.fw) && ${X}.fw.compareTo(semver("1.10.0-rc.1")) == 0`],
  ['version major', `has(${X}.fw) && ${X}.fw.major() == 1`],
  ['version == string', `has(${X}.fw) && ${X}.fw == "1.2.3"`],
  ['string == version', `has(${X}.fw) && "1.2.3" == ${X}.fw`],
  ['startsWith', `has(${X}.ifName) && ${X}.ifName.startsWith("eth")`],
  ['endsWith / contains', `has(${X}.ifName) && (${X}.ifName.endsWith("9") || ${X}.ifName.contains("f0"))`],
  ['matches is unanchored', `has(${X}.ifName) && ${X}.ifName.matches("th[01]")`],
  [
    'strings extension',
    `has(${X}.ifName) && ${X}.ifName.upperAscii() == "ETH1" && ${X}.ifName.indexOf("h") == 2`,
  ],
  ['bool attribute', `has(${X}.rdma) && !${X}.rdma`],
  ['int range', `has(${X}.linkSpeedMbps) && ${X}.linkSpeedMbps >= 25000 && ${X}.linkSpeedMbps < 100000`],
  ['int arithmetic', `has(${X}.numaNode) && ${X}.numaNode + 1 == 2`],
  ['int vs double', `has(${X}.mtu) && ${X}.mtu > 8999.5`],
  ['string vs int equality', `has(${X}.ifName) && ${X}.ifName == 1`],
  ['type mismatch in a comparison', `has(${X}.ifName) && ${X}.ifName > 1`],
  [
    'capacity quantity',
    'has(device.capacity["A"].bandwidth) && device.capacity["A"].bandwidth.isGreaterThan(quantity("50G"))',
  ],
  [
    'capacity equality by value',
    'has(device.capacity["A"].bandwidth) && device.capacity["A"].bandwidth == quantity("25000M")',
  ],
  ['capacity missing, unguarded', 'device.capacity["A"].bandwidth.compareTo(quantity("1")) > 0'],
  [
    'cel.bind',
    'cel.bind(a, device.attributes["A"], has(a.rdma) && a.rdma && has(a.numaNode) && a.numaNode == 0)',
  ],
];

/** The generated CEL with knd's driver name replaced by the test driver `A`. */
function generatedCel(sel: DeviceSelectorSpec): string[] {
  return selectorToCel(sel).map(toA);
}

const toA = (x: string): string => x.split(celString(DRIVER_NAME)).join('"A"');

/**
 * What the operator renders for examples/: each DeviceClass's selectors, and for each profile its
 * class's selectors followed by the profile's own (the order the scheduler evaluates them in).
 */
function exampleEntries(): CorpusEntry[] {
  const dir = join(import.meta.dirname, '..', '..', 'examples');
  const out: CorpusEntry[] = [];
  for (const ex of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const files = readdirSync(join(dir, ex.name)).filter((f) => /^network-.*\.ya?ml$/.test(f));
    const docs = files.flatMap((f) => loadAll(readFileSync(join(dir, ex.name, f), 'utf8')));
    const rendered = renderDocuments(docs);
    if (rendered.problems.length > 0)
      throw new Error(`examples/${ex.name}: ${JSON.stringify(rendered.problems)}`);
    const classes = new Map<string, string[]>();
    for (const o of rendered.objects) {
      if (o.kind !== 'DeviceClass') continue;
      const sel = o.spec.selectors.map((x) => toA(x.cel.expression));
      classes.set(o.metadata.name, sel);
      out.push({ name: `examples/${ex.name}: DeviceClass ${o.metadata.name}`, selectors: sel });
    }
    for (const o of rendered.objects) {
      if (o.kind !== 'ResourceClaimTemplate') continue;
      for (const r of o.spec.spec.devices.requests) {
        const own = (r.exactly.selectors ?? []).map((x) => toA(x.cel.expression));
        if (own.length === 0) continue;
        out.push({
          name: `examples/${ex.name}: profile ${o.metadata.name} request ${r.name}`,
          selectors: [...(classes.get(r.exactly.deviceClassName) ?? []), ...own],
        });
      }
    }
  }
  return out;
}

export const CORPUS: CorpusEntry[] = [
  ...generated.map(([name, sel]) => ({ name: `generated: ${name}`, selectors: generatedCel(sel) })),
  ...exampleEntries(),
  ...handWritten.map(([name, x]) => ({ name, selectors: [x] })),
  {
    name: 'selector order: a false first selector hides a later error',
    selectors: ['device.driver == "A" && has(device.attributes["A"].mtu)', `${X}.mtu == 9000`],
  },
];

/** Replaces the driver placeholders `"A"`, `"B"` and `A/` in names and expressions. */
export function substitute(text: string, a: string, b: string): string {
  return text.replaceAll('"A"', celString(a)).replaceAll('"B"', celString(b)).replace(/^A\//, `${a}/`);
}
