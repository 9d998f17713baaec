// Reconcile decision for one NetworkDeviceClass. Pure: inputs are the CR, the live DeviceClass of
// the same name (from the informer cache) and the cluster's ResourceSlices.
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import type { ResourceSliceJson } from '../../../lib/cel/device-model.js';
import type { DeviceMatcher } from '../match/device-matcher.js';
import type { TaintStatus } from '../match/taint-status.js';
import { classExpressions } from '../../../lib/cel/selector-cel.js';
import { renderDeviceClass } from '../render/device-class.js';
import type { DeviceClass } from '../render/dra-objects.js';
import { validateNetworkDeviceClass } from '../render/validate-spec.js';
import { Reason } from '../status/conditions.js';
import { drift, ownedBy, type LiveObject } from './ownership.js';
import { invalid, NONE, refuse, type Decision } from './decision.js';

export function decideDeviceClass(
  ndc: NetworkDeviceClass,
  live: LiveObject | undefined,
  slices: Iterable<ResourceSliceJson>,
  matcher: Pick<DeviceMatcher, 'count'>,
  taints?: (exprs: readonly string[]) => TaintStatus,
): Decision<DeviceClass> {
  const name = ndc.metadata.name;
  const zero = { devices: 0, nodes: 0 };
  const problems = validateNetworkDeviceClass(ndc);
  if (problems.length > 0)
    return { action: NONE, ready: invalid(problems), generatedName: name, counts: zero };
  const exprs = classExpressions(ndc);
  const counts = matcher.count(exprs, slices);
  const t = taints ? { taints: taints(exprs) } : {};
  if (live && !ownedBy(live, ndc.metadata.uid)) {
    return {
      ...refuse<DeviceClass>(
        name,
        counts,
        Reason.DeviceClassConflict,
        `DeviceClass ${name} already exists and is not owned by this NetworkDeviceClass; knd never overwrites it. Delete that DeviceClass or give the NetworkDeviceClass another name.`,
      ),
      ...t,
    };
  }
  const desired = renderDeviceClass(ndc);
  const d = live ? drift(desired, live) : 'spec';
  const action = !live
    ? { kind: 'create' as const, object: desired }
    : d === 'none'
      ? NONE
      : { kind: 'apply' as const, object: desired };
  return {
    action,
    generatedName: name,
    counts,
    ready: { ready: true, reason: Reason.Reconciled, message: `DeviceClass ${name} matches the spec` },
    ...t,
  };
}
