// The admin's CEL device filter (agent flag --filter, `knd discover --filter`): evaluated over the
// `device` a DRA selector sees for the published device (driver knd.dev, its attributes), with
// knd's one model of the scheduler's CEL environment (lib/cel/device-model.ts). Compiled once at
// startup (a syntax error is a startup error with its position); evaluated per device per scan. A
// device is kept only when the result is exactly `true`: `false`, a non-bool result or an
// evaluation error (e.g. `no such key` for an attribute the device lacks) drop it, and the reason
// is reported as an exclusion, so a filter meant to narrow never lets through a device it could
// not judge.
import { compileSelector, evaluateSelectors } from '../../../lib/cel/device-model.js';
import { DRIVER_NAME } from '../../../lib/api/constants.js';
import { err, ok, type Result } from '../../../lib/util/result.js';
import type { InventoryDevice } from './build-devices.js';

export type DeviceFilter = (d: InventoryDevice) => { keep: true } | { keep: false; reason: string };

/** Compile the filter expression; an empty/undefined expression keeps everything. */
export function compileDeviceFilter(expression: string | undefined): Result<DeviceFilter> {
  if (expression === undefined || expression.trim() === '') return ok(() => ({ keep: true }));
  const selector = compileSelector(expression);
  if (!selector.ok) {
    return err(
      new Error(`filter: invalid CEL expression: ${selector.error.message}`, { cause: selector.error }),
    );
  }
  return ok((d) => {
    const v = evaluateSelectors([selector.value], DRIVER_NAME, { attributes: d.attributes });
    if (v.kind === 'match') return { keep: true };
    if (v.kind === 'no-match') return { keep: false, reason: 'filter returned false' };
    return { keep: false, reason: `filter error: ${v.message}` };
  });
}
