// Whether the cluster serves ResourceSlice device taints, learned from what the apiserver returns
// (not from a version string): an apiserver without the DRADeviceTaints feature (alpha and off in
// 1.35) drops `devices[].taints` on write. Pure.
// After such a drop the publisher writes its slices without taints (or every reconcile would
// differ and write again) and labels them LABEL_DEVICE_TAINTS=unsupported, which the operator
// turns into the DeviceTaints condition of the NetworkDeviceClasses.
import { DEVICE_TAINTS_UNSUPPORTED, LABEL_DEVICE_TAINTS } from '../../../lib/api/device-taints.js';
import type { ResourceSlice, SliceDevice } from './slice-builder.js';

export type TaintSupport = 'unknown' | 'served' | 'dropped';

/**
 * What a write tells about taint support: 'dropped' when a device sent with taints came back
 * without, 'served' when it came back with them, undefined when the slice had no taints to tell by.
 */
export function taintSupportFromWrite(
  sent: ResourceSlice,
  returned: unknown,
): Exclude<TaintSupport, 'unknown'> | undefined {
  const withTaints = sent.spec.devices.filter((d) => (d.taints?.length ?? 0) > 0).map((d) => d.name);
  if (withTaints.length === 0) return undefined;
  const devices = (returned as { spec?: { devices?: { name?: unknown; taints?: unknown }[] } } | null)?.spec
    ?.devices;
  if (!Array.isArray(devices)) return undefined;
  const back = new Map(devices.map((d) => [d.name, d.taints]));
  return withTaints.every((n) => Array.isArray(back.get(n)) && (back.get(n) as unknown[]).length > 0)
    ? 'served'
    : 'dropped';
}

export function withoutTaints(devices: readonly SliceDevice[]): SliceDevice[] {
  return devices.map((d) => ({ name: d.name, attributes: d.attributes }));
}

export function labelUnsupported(slices: readonly ResourceSlice[]): ResourceSlice[] {
  return slices.map((s) => ({
    ...s,
    metadata: {
      ...s.metadata,
      labels: { ...s.metadata.labels, [LABEL_DEVICE_TAINTS]: DEVICE_TAINTS_UNSUPPORTED },
    },
  }));
}
