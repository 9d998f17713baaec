// What the NetworkDeviceClass status says about device health taints. Pure.
// - taintedDevices: devices the class selects that carry the knd.dev/unhealthy taint now.
// - nodes whose knd.dev slices are labelled knd.dev/device-taints=unsupported: their agent saw the
//   apiserver drop the taints it wrote (node-agent/src/publish/taint-support.ts), so unhealthy
//   devices there stay schedulable. The DeviceTaints condition reports them.
import { DRIVER_NAME } from '../../../lib/api/constants.js';
import {
  DEVICE_TAINTS_UNSUPPORTED,
  HEALTH_TAINT_KEY,
  LABEL_DEVICE_TAINTS,
} from '../../../lib/api/device-taints.js';
import type { Condition } from '../../../lib/api/network-device-class.js';
import type { DraDeviceJson, ResourceSliceJson } from '../../../lib/cel/device-model.js';
import type { DeviceMatcher } from './device-matcher.js';

export interface TaintStatus {
  taintedDevices: number;
  /** Sorted node names whose apiserver writes dropped the taints. */
  unsupportedNodes: string[];
}

type LabelledSlice = ResourceSliceJson & { metadata?: { labels?: Record<string, string> } };
type TaintedDevice = DraDeviceJson & { taints?: { key?: string }[] };

export function taintStatus(
  exprs: readonly string[],
  slices: Iterable<ResourceSliceJson>,
  matcher: Pick<DeviceMatcher, 'matches'>,
): TaintStatus {
  let taintedDevices = 0;
  const unsupported = new Set<string>();
  for (const s of slices as Iterable<LabelledSlice>) {
    const driver = s.spec?.driver ?? '';
    if (driver === DRIVER_NAME && s.metadata?.labels?.[LABEL_DEVICE_TAINTS] === DEVICE_TAINTS_UNSUPPORTED)
      unsupported.add(s.spec?.nodeName ?? '');
    for (const d of (s.spec?.devices ?? []) as TaintedDevice[]) {
      if (!(d.taints ?? []).some((t) => t.key === HEALTH_TAINT_KEY)) continue;
      if (matcher.matches(exprs, driver, d)) taintedDevices++;
    }
  }
  return { taintedDevices, unsupportedNodes: [...unsupported].sort() };
}

export const DEVICE_TAINTS_CONDITION = 'DeviceTaints';

/** The DeviceTaints condition, keeping lastTransitionTime while the status stays the same. */
export function deviceTaintsCondition(
  t: TaintStatus,
  generation: number | undefined,
  previous: readonly Condition[] | undefined,
  nowIso: string,
): Condition {
  const n = t.unsupportedNodes.length;
  const status = n === 0 ? 'True' : 'False';
  const old = previous?.find((c) => c.type === DEVICE_TAINTS_CONDITION);
  const shown = t.unsupportedNodes.slice(0, 5).join(', ') + (n > 5 ? `, and ${n - 5} more` : '');
  return {
    type: DEVICE_TAINTS_CONDITION,
    status,
    reason: n === 0 ? 'Supported' : 'NotServedByCluster',
    message:
      n === 0
        ? `no knd agent saw the apiserver drop device taints; unhealthy devices are tainted ${HEALTH_TAINT_KEY}`
        : `the apiserver drops ResourceSlice device taints (feature DRADeviceTaints off) on ${n} node(s): ${shown}; unhealthy devices there stay schedulable`,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : nowIso,
  };
}
