// Which of this node's devices are published as shared: a device selected by exactly one
// NetworkDeviceClass with spec.shared gets that class's allowMultipleAllocations + capacity
// (shared-capacity.ts). The class's own selector decides (the same CEL the operator renders into
// its DeviceClass, evaluated with lib/cel's model of the scheduler's CEL). Nothing is shared when
// the apiserver does not serve consumable capacity. Pure; table-tested. A device matched by two
// shared classes, or one that cannot be shared (no bandwidth known), is published whole and
// reported, never guessed.
import { DRIVER_NAME } from '../../../lib/api/constants.js';
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import { SHARED_DEFAULTS, type MacvlanMode, type SharedSpec } from '../../../lib/api/shared-device.js';
import { compileSelector, evaluateSelectors, type CompiledSelector } from '../../../lib/cel/device-model.js';
import { err, ok, type Result } from '../../../lib/util/result.js';
import { classExpressions } from '../../../lib/cel/selector-cel.js';
import { ATTR } from '../inventory/attributes.js';
import { sharedDeviceFields } from './shared-capacity.js';
import type { SliceDevice } from './slice-builder.js';

export interface SharedClassView {
  name: string;
  shared: SharedSpec;
  selectors: CompiledSelector[];
}

/** The matcher of a class with spec.shared (undefined for a class without it). */
export function compileSharedClass(
  ndc: Pick<NetworkDeviceClass, 'metadata' | 'spec'>,
): Result<SharedClassView | undefined> {
  const shared = ndc.spec.shared;
  if (shared === undefined) return ok(undefined);
  const selectors: CompiledSelector[] = [];
  for (const [i, expression] of classExpressions(ndc).entries()) {
    const c = compileSelector(expression);
    if (!c.ok)
      return err(new Error(`NetworkDeviceClass ${ndc.metadata.name}: selector ${i}: ${c.error.message}`));
    selectors.push(c.value);
  }
  return ok({ name: ndc.metadata.name, shared, selectors });
}

export interface SharedNote {
  device: string;
  message: string;
}

export function applySharedClasses(
  devices: readonly SliceDevice[],
  classes: readonly SharedClassView[],
  consumableCapacityServed: boolean,
): { devices: SliceDevice[]; notes: SharedNote[]; modes: Map<string, MacvlanMode> } {
  const modes = new Map<string, MacvlanMode>();
  if (!consumableCapacityServed || classes.length === 0) return { devices: [...devices], notes: [], modes };
  const notes: SharedNote[] = [];
  const out = devices.map((d) => {
    const matched = classes.filter(
      (c) => evaluateSelectors(c.selectors, DRIVER_NAME, { attributes: d.attributes }).kind === 'match',
    );
    const [only, ...more] = matched;
    if (only === undefined) return d;
    if (more.length > 0) {
      notes.push({
        device: d.name,
        message: `selected by shared classes ${matched.map((c) => c.name).join(', ')}: a device is shared by one class only; published whole`,
      });
      return d;
    }
    const fields = sharedDeviceFields(only.shared, d.attributes);
    if (!fields.ok) {
      notes.push({ device: d.name, message: `class ${only.name}: ${fields.error.message}; published whole` });
      return d;
    }
    modes.set(d.name, only.shared.mode ?? SHARED_DEFAULTS.mode);
    return { ...d, attributes: { ...d.attributes, [ATTR.shared]: { bool: true } }, ...fields.value };
  });
  return { devices: out, notes, modes };
}
