// Pure: the child part of a DevicePlan for an allocation of a shared device (DRA consumable
// capacity: the result carries a shareID and the consumedCapacity the scheduler accounted). The
// consumed bandwidth becomes the egress limit enforced on the child; the macvlan mode is the one
// the device was published with (shared-classes view; bridge when unknown).
import { CAPACITY_BANDWIDTH, SHARED_DEFAULTS, type MacvlanMode } from '../../../lib/api/shared-device.js';
import { parseQuantityNanos } from '../../../lib/cel/quantity.js';
import { err, ok, type Result } from '../../../lib/util/result.js';
import type { ChildPlan } from '../plan-store/plan.js';
import type { DeviceRequestAllocationResult } from './claim-types.js';

/** Undefined for a whole-device allocation (no shareID). */
export function childPlanFor(
  r: DeviceRequestAllocationResult,
  mode: MacvlanMode | undefined,
): Result<ChildPlan | undefined> {
  if (r.shareID === undefined || r.shareID === '') return ok(undefined);
  const child: ChildPlan = {
    kind: SHARED_DEFAULTS.childType,
    mode: mode ?? SHARED_DEFAULTS.mode,
    shareId: r.shareID,
  };
  const consumed = r.consumedCapacity ?? {};
  if (Object.keys(consumed).length > 0) child.consumedCapacity = { ...consumed };
  const bw = consumed[CAPACITY_BANDWIDTH];
  if (bw !== undefined) {
    let nanos: bigint;
    try {
      nanos = parseQuantityNanos(bw);
    } catch (e) {
      return err(new Error(`consumedCapacity.${CAPACITY_BANDWIDTH}: ${bw} is not a quantity`, { cause: e }));
    }
    const bitsPerSecond = Number(nanos / 1_000_000_000n);
    if (bitsPerSecond < 8000)
      return err(new Error(`consumedCapacity.${CAPACITY_BANDWIDTH}: ${bw} is below 8000 bit/s`));
    child.egressBitsPerSecond = bitsPerSecond;
  }
  return ok(child);
}
