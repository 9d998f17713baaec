// The admin's CEL device filter (agent flag --filter): evaluated over the same `device` shape a DRA
// selector sees (Kubernetes' DRA CEL environment): device.driver, device.attributes["<domain>"].<id> (ints as
// int64), device.capacity. Unknown attribute domains read as empty maps, as in Kubernetes.
// Compiled once at startup (a syntax error is a startup error with its position); evaluated per
// device per scan. A device is kept only when the result is exactly `true`: `false`, a non-bool result
// or an evaluation error (e.g. `field not found` for an attribute the device lacks) drop it, and the
// reason is reported as an exclusion, so a filter meant to narrow never lets through a device it
// could not judge. Library: @bufbuild/cel 0.6.1 (its gaps against Kubernetes' CEL
// are listed in operator/src/match/device-matcher.ts).
import { isCelError, parse, plan, celEnv, type CelInput } from '@bufbuild/cel';
import { DRIVER_NAME } from '../../../lib/api/constants.js';
import { err, ok, type Result } from '../../../lib/util/result.js';
import type { AttributeValue, Attributes } from './attributes.js';
import type { InventoryDevice } from './build-devices.js';

type CelScalarIn = bigint | boolean | string;

/** A map that answers unknown domains with an empty map, like Kubernetes' DRA CEL environment. */
class DomainMap extends Map<string, Map<string, CelScalarIn>> {
  override get(key: string): Map<string, CelScalarIn> {
    return super.get(key) ?? new Map<string, CelScalarIn>();
  }
}

function celValue(v: AttributeValue): CelScalarIn {
  if ('int' in v) return BigInt(v.int);
  if ('bool' in v) return v.bool;
  return v.string;
}

/** The CEL `device` variable for one device. */
export function celDevice(attributes: Attributes, driver = DRIVER_NAME): { [key: string]: CelInput } {
  const domains = new DomainMap();
  for (const [qualified, value] of Object.entries<AttributeValue>(attributes)) {
    const slash = qualified.lastIndexOf('/');
    const domain = slash > 0 ? qualified.slice(0, slash) : driver;
    const id = slash > 0 ? qualified.slice(slash + 1) : qualified;
    let m = domains.get(domain);
    if (!domains.has(domain)) {
      m = new Map();
      domains.set(domain, m);
    }
    m.set(id, celValue(value));
  }
  return { driver, attributes: domains, capacity: new DomainMap(), allowMultipleAllocations: false };
}

export type DeviceFilter = (d: InventoryDevice) => { keep: true } | { keep: false; reason: string };

/** Compile the filter expression; an empty/undefined expression keeps everything. */
export function compileDeviceFilter(expression: string | undefined): Result<DeviceFilter> {
  if (expression === undefined || expression.trim() === '') return ok(() => ({ keep: true }));
  let program: ReturnType<typeof plan>;
  try {
    program = plan(celEnv(), parse(expression));
  } catch (e) {
    return err(new Error(`filter: invalid CEL expression: ${(e as Error).message}`, { cause: e }));
  }
  return ok((d) => {
    const r: unknown = program({ device: celDevice(d.attributes) });
    if (isCelError(r)) return { keep: false, reason: `filter error: ${r.message}` };
    if (r === true) return { keep: true };
    if (r === false) return { keep: false, reason: 'filter returned false' };
    return { keep: false, reason: `filter returned a non-bool value (${typeof r})` };
  });
}
