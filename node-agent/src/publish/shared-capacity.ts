// What a shared device adds to its ResourceSlice entry (DRA consumable capacity, KEP-5075):
// allowMultipleAllocations and two capacities with request policies, so the scheduler places
// claims on one device until its bandwidth or its children run out.
//   bandwidth: value = the class's bandwidthMbps or the device's link speed (bit/s quantity
//     "<n>M"); requestPolicy default = defaultShareMbps, validRange {min: minShareMbps, step}.
//   children: value = maxChildren; every claim consumes exactly one (validValues ["1"]).
// Pure; table-tested. Whether the apiserver keeps these fields is checked by sharedFieldsKept.
import {
  CAPACITY_BANDWIDTH,
  CAPACITY_CHILDREN,
  mbpsQuantity,
  SHARED_DEFAULTS,
  type SharedSpec,
} from '../../../lib/api/shared-device.js';
import { err, ok, type Result } from '../../../lib/util/result.js';
import { ATTR, type Attributes } from '../inventory/attributes.js';

/** resource.k8s.io/v1 DeviceCapacity (wire JSON). */
export interface DeviceCapacity {
  value: string;
  requestPolicy?: {
    default?: string;
    validValues?: string[];
    validRange?: { min?: string; max?: string; step?: string };
  };
}

export { mbpsQuantity };

export interface SharedDeviceFields {
  allowMultipleAllocations: true;
  capacity: Record<string, DeviceCapacity>;
}

/** The shared fields of a device of a class with `shared`, or why it cannot be shared. */
export function sharedDeviceFields(shared: SharedSpec, attributes: Attributes): Result<SharedDeviceFields> {
  const speed = attributes[ATTR.linkSpeedMbps];
  const linkMbps = speed !== undefined && 'int' in speed && speed.int > 0 ? speed.int : undefined;
  const bandwidth = shared.bandwidthMbps ?? linkMbps;
  if (bandwidth === undefined)
    return err(new Error('spec.shared.bandwidthMbps: not set and the device reports no link speed'));
  const min = shared.minShareMbps ?? SHARED_DEFAULTS.minShareMbps;
  const step = shared.shareStepMbps ?? min;
  const def = shared.defaultShareMbps ?? min;
  if (min > bandwidth)
    return err(
      new Error(`spec.shared.minShareMbps: ${min} exceeds the device's bandwidth ${bandwidth} Mbit/s`),
    );
  if (def > bandwidth)
    return err(
      new Error(`spec.shared.defaultShareMbps: ${def} exceeds the device's bandwidth ${bandwidth} Mbit/s`),
    );
  // the apiserver's rules (resource/v1 validation): min + step <= value; default - min and
  // max - min are multiples of step. A step that does not fit once is left out.
  const stepFits = min + step <= bandwidth;
  if (stepFits && (def - min) % step !== 0)
    return err(
      new Error(
        `spec.shared.defaultShareMbps: ${def} is not minShareMbps ${min} plus a multiple of shareStepMbps ${step}`,
      ),
    );
  const max = stepFits ? min + Math.floor((bandwidth - min) / step) * step : bandwidth;
  return ok({
    allowMultipleAllocations: true,
    capacity: {
      [CAPACITY_BANDWIDTH]: {
        value: mbpsQuantity(bandwidth),
        requestPolicy: {
          default: mbpsQuantity(def),
          validRange: {
            min: mbpsQuantity(min),
            max: mbpsQuantity(max),
            ...(stepFits ? { step: mbpsQuantity(step) } : {}),
          },
        },
      },
      [CAPACITY_CHILDREN]: {
        value: String(shared.maxChildren),
        requestPolicy: { default: '1', validValues: ['1'] },
      },
    },
  });
}

/**
 * True when the slice device the apiserver returned still carries what was sent: an apiserver
 * without consumable capacity (DRAConsumableCapacity off, Kubernetes 1.35) drops
 * allowMultipleAllocations and the request policies on write.
 */
export function sharedFieldsKept(
  sent: SharedDeviceFields,
  returned: { allowMultipleAllocations?: unknown; capacity?: unknown },
): boolean {
  if (returned.allowMultipleAllocations !== true) return false;
  const cap = returned.capacity;
  if (typeof cap !== 'object' || cap === null) return false;
  return Object.keys(sent.capacity).every((name) => {
    const c = (cap as Record<string, unknown>)[name];
    return typeof c === 'object' && c !== null && 'requestPolicy' in c;
  });
}
