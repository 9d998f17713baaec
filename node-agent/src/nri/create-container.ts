// CreateContainer hook: give containers of a pod the RDMA character devices of its plans.
//
// Contract: called by containerd for every container it creates, within the request timeout.
// Pure apart from the plan lookup: the adjustment is computed from the plans (renderCharDevices)
// and the runtime adds both the device node and the device-cgroup allow rule (access "rw" for
// char devices). Idempotent (same plans, same adjustment). No kernel changes here.
import type { AttachPlan, CharDevicePlan } from '../plan-store/plan.js';
import type { HandlerDeps } from './handler-deps.js';
import type { ContainerAdjustment, Encodable, LinuxDevice } from './nri-messages.js';

export function toLinuxDevice(c: CharDevicePlan): LinuxDevice {
  return { path: c.path, type: 'c', major: c.major, minor: c.minor, file_mode: { value: c.fileMode } };
}

/** Every char device of every plan, deduplicated by container path (first plan wins). */
export function renderCharDevices(plans: readonly AttachPlan[]): LinuxDevice[] {
  const byPath = new Map<string, LinuxDevice>();
  for (const plan of plans) {
    for (const device of plan.devices) {
      for (const c of device.rdma?.charDevices ?? []) {
        if (!byPath.has(c.path)) byPath.set(c.path, toLinuxDevice(c));
      }
    }
  }
  return [...byPath.values()];
}

export async function createContainer(
  deps: HandlerDeps,
  podUid: string,
): Promise<Encodable<ContainerAdjustment> | undefined> {
  const plans = await deps.store.plansForPod(podUid);
  const devices = renderCharDevices(plans);
  return devices.length > 0 ? { linux: { devices } } : undefined;
}
