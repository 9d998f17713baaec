// The hand-off between DRA prepare (node-agent/src/dra/) and the NRI hooks (node-agent/src/nri/).
// Prepare computes an AttachPlan per claim and persists it (plan-store.ts) before answering the
// kubelet; RunPodSandbox only replays it. Every field is documented because this is a contract
// across a process restart: a plan written by one agent version is read by the next. Changing the
// shape means a new PLAN_FORMAT_VERSION, a conversion step and a fixture (plan-format.ts).
import type { NeighborConfig, RouteConfig, RuleConfig } from '../../../lib/api/network-config.js';

export const PLAN_FORMAT_VERSION = 2;

export interface ClaimRef {
  namespace: string;
  name: string;
  uid: string;
}

/** A character device to give the container (RDMA uverbs, rdma_cm). */
export interface CharDevicePlan {
  /** Path inside the container, e.g. /dev/infiniband/uverbs0. */
  path: string;
  /** Path on the host (usually the same). */
  hostPath: string;
  major: number;
  minor: number;
  /** File mode bits, e.g. 0o666. */
  fileMode: number;
  /** cgroup device permissions: "rw" or "rwm". */
  permissions: string;
}

/** The child link of a shared device (see DevicePlan.child). */
export interface ChildPlan {
  kind: 'macvlan';
  mode: 'bridge' | 'private' | 'vepa';
  /** The allocation's shareID (one child per share of the device). */
  shareId?: string;
  /** Egress limit enforced on the child (tbf root qdisc), bit/s; absent: unlimited. */
  egressBitsPerSecond?: number;
  /** The capacity the scheduler accounted to this share (allocation consumedCapacity). */
  consumedCapacity?: Record<string, string>;
}

/** One allocated device of this driver in the claim, fully resolved. */
export interface DevicePlan {
  /** Request name in the claim this device serves (subrequest suffix stripped). */
  request: string;
  poolName: string;
  /** ResourceSlice device name (stable while the netdev sits in a pod). */
  deviceName: string;
  /** Host-side identity at prepare time: how RunPodSandbox finds the netdev. */
  host: {
    ifName: string;
    /** Kernel ifindex at prepare time; a hint only (names are re-resolved; PCI address wins). */
    ifIndex?: number;
    pciAddress?: string;
    mac?: string;
  };
  /** Interface name inside the pod (config interface.name, default: the host name). */
  podIfName: string;
  mtu?: number;
  hardwareAddr?: string;
  /** CIDRs, canonical form. */
  addresses: string[];
  routes: RouteConfig[];
  rules: RuleConfig[];
  neighbors: NeighborConfig[];
  ethtoolFeatures: Record<string, boolean>;
  rdma?: { device: string; charDevices: CharDevicePlan[] };
  /**
   * A shared device (consumable capacity): RunPodSandbox creates a child link of the host NIC
   * (`host` is the parent) directly in the pod and deletes it at StopPodSandbox; the NIC itself
   * never moves and is never changed. Absent: the whole NIC is moved.
   */
  child?: ChildPlan;
  /** Fully qualified CDI ids returned to the kubelet for this device. */
  cdiDeviceIds: string[];
}

export interface AttachPlan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  claim: ClaimRef;
  /** /proc/sys/kernel/random/boot_id when the plan was written; a reboot invalidates the plan. */
  bootId: string;
  /** Pod UIDs in claim.status.reservedFor at prepare time; NRI matches PodSandbox.uid against these. */
  podUids: string[];
  devices: DevicePlan[];
  /** ISO-8601 UTC. */
  preparedAt: string;
}
