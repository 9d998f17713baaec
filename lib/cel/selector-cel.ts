// Structured NetworkDeviceClass selector -> DRA CEL device selectors, and a class's full list of
// expressions (what the operator puts in the generated DeviceClass and what the agent evaluates
// to choose a device's taint effect and whether a shared class selects it). Pure.
//
// Every expression is guarded with `"<attr>" in device.attributes["knd.dev"]` because a missing
// attribute is a CEL evaluation error in Kubernetes (and in @bufbuild/cel), which would fail the
// whole allocation attempt instead of just not matching. The first expression always pins the
// driver, so a class never selects another driver's devices.
import { DRIVER_NAME } from '../api/constants.js';
import type { DeviceSelectorSpec, NetworkDeviceClass } from '../api/network-device-class.js';

/** A CEL string literal (JSON escapes are valid CEL escapes). */
export const celString = (s: string): string => JSON.stringify(s);

const ATTRS = `device.attributes[${celString(DRIVER_NAME)}]`;
const attr = (name: string): string => `${ATTRS}.${name}`;
const has = (name: string): string => `${celString(name)} in ${ATTRS}`;
const guarded = (name: string, test: string): string => `${has(name)} && ${test}`;
const list = (values: readonly string[]): string => `[${values.map(celString).join(', ')}]`;

export const DRIVER_SELECTOR = `device.driver == ${celString(DRIVER_NAME)}`;

/**
 * Glob (`*` any run, `?` one character, everything else literal) -> RE2 regex anchored at both
 * ends, since CEL's matches() finds a match anywhere in the string.
 */
export function globToRegex(glob: string): string {
  let out = '^';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[\\^$.|+()[\]{}*?]/g, (c) => `\\${c}`);
  }
  return `${out}$`;
}

/** One CEL expression per set field, in a fixed order, after the driver pin. */
export function selectorToCel(sel: DeviceSelectorSpec | undefined): string[] {
  const out = [DRIVER_SELECTOR];
  if (!sel) return out;
  if (sel.vendors !== undefined)
    out.push(guarded('pciVendor', `${attr('pciVendor')} in ${list(sel.vendors)}`));
  if (sel.drivers !== undefined) out.push(guarded('driver', `${attr('driver')} in ${list(sel.drivers)}`));
  if (sel.interfaceNames !== undefined) {
    const alts = sel.interfaceNames.map((g) => `${attr('ifName')}.matches(${celString(globToRegex(g))})`);
    out.push(guarded('ifName', alts.length === 1 ? (alts[0] ?? 'false') : `(${alts.join(' || ')})`));
  }
  if (sel.rdma !== undefined) out.push(guarded('rdma', `${attr('rdma')} == ${sel.rdma}`));
  if (sel.virtual !== undefined) out.push(guarded('virtual', `${attr('virtual')} == ${sel.virtual}`));
  if (sel.sriovRole === 'pf') out.push(guarded('sriov', `${attr('sriov')} == true`));
  if (sel.sriovRole === 'vf') out.push(guarded('isSriovVf', `${attr('isSriovVf')} == true`));
  if (sel.minLinkSpeedMbps !== undefined) {
    out.push(guarded('linkSpeedMbps', `${attr('linkSpeedMbps')} >= ${sel.minLinkSpeedMbps}`));
  }
  if (sel.numaNode !== undefined) out.push(guarded('numaNode', `${attr('numaNode')} == ${sel.numaNode}`));
  return out;
}

/** All CEL expressions of the class: the structured selector's, then spec.cel in order. */
export function classExpressions(ndc: Pick<NetworkDeviceClass, 'spec'>): string[] {
  return [...selectorToCel(ndc.spec.selector), ...(ndc.spec.cel ?? [])];
}
