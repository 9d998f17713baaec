// Pure: what one observation of a published device's link says about its health. The caller
// (health-monitor.ts) observes the link where it is now: in the host namespace, or in the pod's
// network namespace once knd moved it there.
//
// Rules (docs/health.md):
// - a PCI function that had a netdev and has none now, and is not allocated -> Gone;
// - admin up without carrier (a cable, a switch port, a veth whose peer is down) -> NoCarrier;
// - admin down -> AdminDown, but only when the same place last saw it admin up: a NIC that was never
//   up here is an unconfigured idle NIC, not a broken one, and knd's own moves change the place;
// - admin up with carrier but an RDMA port not ACTIVE -> RdmaPortNotActive;
// - otherwise healthy. Unknown (nothing observed) keeps whatever the planner had.
import { HealthReason, type HealthReasonName } from '../../../lib/api/device-taints.js';

/** One link as an rtnetlink link dump reports it, plus RDMA port states when the device has RDMA. */
export interface LinkObservation {
  /** 'host' or the pod network namespace path. */
  place: string;
  /** false: the link is not where it is expected (only reported for the host place). */
  present: boolean;
  adminUp: boolean;
  carrier: boolean;
  operstate: string;
  /** Port states of the device's RDMA device (e.g. "4: ACTIVE"); empty without RDMA. */
  rdmaPortStates: readonly string[];
}

export type LinkVerdict =
  | { kind: 'healthy'; message: string }
  | { kind: 'unhealthy'; reason: HealthReasonName; message: string }
  | { kind: 'unknown'; message: string };

/** What the verdict of the previous observation needs to remember (per device). */
export interface LinkMemory {
  place: string;
  adminUp: boolean;
}

const rdmaActive = (s: string): boolean => /\bACTIVE\b/.test(s);

export function linkVerdict(o: LinkObservation | undefined, prev: LinkMemory | undefined): LinkVerdict {
  if (!o) return { kind: 'unknown', message: 'no observation' };
  if (!o.present)
    return { kind: 'unhealthy', reason: HealthReason.Gone, message: 'netdev gone from the host' };
  if (!o.adminUp) {
    const wasUpHere = prev?.place === o.place && prev.adminUp;
    return wasUpHere
      ? { kind: 'unhealthy', reason: HealthReason.AdminDown, message: 'link set administratively down' }
      : { kind: 'unknown', message: 'link administratively down (never up here)' };
  }
  if (!o.carrier)
    return {
      kind: 'unhealthy',
      reason: HealthReason.NoCarrier,
      message: `no carrier (operstate ${o.operstate})`,
    };
  const inactive = o.rdmaPortStates.filter((s) => !rdmaActive(s));
  if (inactive.length > 0)
    return {
      kind: 'unhealthy',
      reason: HealthReason.RdmaPortNotActive,
      message: `RDMA port state ${inactive.join(', ')}`,
    };
  return { kind: 'healthy', message: `link up (operstate ${o.operstate})` };
}

/** The memory to keep after an observation (unchanged when nothing was observed). */
export function nextMemory(
  o: LinkObservation | undefined,
  prev: LinkMemory | undefined,
): LinkMemory | undefined {
  if (!o?.present) return prev;
  return { place: o.place, adminUp: o.adminUp };
}
