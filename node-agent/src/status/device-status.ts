// KEP-4817 AllocatedDeviceStatus entries for knd's devices (resource.k8s.io/v1 ResourceClaim
// status.devices). Pure.
//
// Limits enforced here (kubernetes validation, resource/v1): at most 16 networkData.ips (extra
// addresses are dropped and said so in the condition message), interfaceName <= 256 bytes,
// hardwareAddress <= 128 bytes, at most 8 conditions (knd writes one: Ready), data <= 10 KiB,
// condition reason matching the metav1.Condition pattern, message <= 32768 characters.
import { DRIVER_NAME, LIMITS } from '../../../lib/api/constants.js';
import { metaTime } from '../../../lib/kube/meta-time.js';
import type { AttachRecord } from '../netns/contract.js';
import type { ClaimRef, DevicePlan } from '../plan-store/plan.js';
import { canonicalCidr } from './canonical-cidr.js';

export const READY_CONDITION = 'Ready';
const MAX_MESSAGE_CHARS = 32768;
const MAX_INTERFACE_NAME_BYTES = 256;
const MAX_HARDWARE_ADDRESS_BYTES = 128;
const REASON_RE = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface AllocatedDeviceStatus {
  driver: string;
  pool: string;
  device: string;
  /** The allocation share of a shared device (its child); part of the list-map key. */
  shareID?: string;
  conditions: Condition[];
  data?: Record<string, unknown>;
  networkData?: { interfaceName?: string; ips?: string[]; hardwareAddress?: string };
}

/**
 * knd's part of a ResourceClaim's status: the devices knd writes. kube-status-api.ts merges it into
 * the live status.devices and sends a JSON merge patch (not a server-side apply; see there why).
 */
export interface ClaimStatusPatch {
  apiVersion: 'resource.k8s.io/v1';
  kind: 'ResourceClaim';
  metadata: { name: string; namespace: string };
  status: { devices: AllocatedDeviceStatus[] };
}

function truncateMessage(m: string): string {
  return m.length <= MAX_MESSAGE_CHARS ? m : `${m.slice(0, MAX_MESSAGE_CHARS - 3)}...`;
}

export function condition(status: 'True' | 'False', reason: string, message: string, now: Date): Condition {
  if (!REASON_RE.test(reason) || reason.length > 1024)
    throw new Error(`condition reason "${reason}" is not a valid reason`);
  return {
    type: READY_CONDITION,
    status,
    reason,
    message: truncateMessage(message),
    lastTransitionTime: metaTime(now),
  };
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** networkData for one attached device; notes what had to be dropped to respect the limits. */
export function networkData(record: AttachRecord): {
  data: NonNullable<AllocatedDeviceStatus['networkData']>;
  notes: string[];
} {
  const notes: string[] = [];
  const result = record.result;
  const ips: string[] = [];
  for (const a of result?.addresses ?? []) {
    const c = canonicalCidr(a);
    if (!c.ok) notes.push(`dropped ${c.error}`);
    else if (!ips.includes(c.cidr)) ips.push(c.cidr);
  }
  if (ips.length > LIMITS.maxNetworkDataIps) {
    notes.push(
      `${ips.length - LIMITS.maxNetworkDataIps} addresses beyond the first ${LIMITS.maxNetworkDataIps} not listed`,
    );
    ips.length = LIMITS.maxNetworkDataIps;
  }
  const data: NonNullable<AllocatedDeviceStatus['networkData']> = {};
  const ifName = result?.ifName ?? record.podIfName;
  if (byteLength(ifName) <= MAX_INTERFACE_NAME_BYTES) data.interfaceName = ifName;
  if (ips.length > 0) data.ips = ips;
  const mac = result?.mac ?? '';
  if (mac !== '' && byteLength(mac) <= MAX_HARDWARE_ADDRESS_BYTES) data.hardwareAddress = mac.toLowerCase();
  return { data, notes };
}

function checkData(data: Record<string, unknown>): Record<string, unknown> | undefined {
  return byteLength(JSON.stringify(data)) <= LIMITS.maxDeviceStatusDataBytes ? data : undefined;
}

export function readyStatus(
  device: DevicePlan,
  record: AttachRecord,
  pod: { namespace: string; name: string },
  now: Date,
): AllocatedDeviceStatus {
  const nd = networkData(record);
  const message = [
    `attached as ${nd.data.interfaceName ?? record.podIfName} in pod ${pod.namespace}/${pod.name}`,
    ...nd.notes,
  ].join('; ');
  const entry: AllocatedDeviceStatus = {
    ...deviceKey(device),
    conditions: [condition('True', 'NetworkDeviceAttached', message, now)],
    networkData: nd.data,
  };
  const data = checkData({
    hostInterfaceName: record.host.ifName,
    podUID: record.podUid,
    ...childData(device),
  });
  if (data) entry.data = data;
  return entry;
}

export function failedStatus(
  device: Pick<DevicePlan, 'poolName' | 'deviceName' | 'child'>,
  reason: string,
  message: string,
  now: Date,
): AllocatedDeviceStatus {
  return { ...deviceKey(device), conditions: [condition('False', reason, message, now)] };
}

/** driver, pool, device and, for a share of a shared device, its shareID. */
function deviceKey(
  device: Pick<DevicePlan, 'poolName' | 'deviceName' | 'child'>,
): Pick<AllocatedDeviceStatus, 'driver' | 'pool' | 'device' | 'shareID'> {
  return {
    driver: DRIVER_NAME,
    pool: device.poolName,
    device: device.deviceName,
    ...(device.child?.shareId !== undefined ? { shareID: device.child.shareId } : {}),
  };
}

/** For a child: its type and mode, the enforced egress limit and the capacity the scheduler accounted. */
function childData(device: DevicePlan): Record<string, unknown> {
  const c = device.child;
  if (c === undefined) return {};
  return {
    child: {
      kind: c.kind,
      mode: c.mode,
      ...(c.egressBitsPerSecond !== undefined ? { egressBitsPerSecond: c.egressBitsPerSecond } : {}),
    },
    ...(c.consumedCapacity !== undefined ? { consumedCapacity: c.consumedCapacity } : {}),
  };
}

export function claimStatusPatch(claim: ClaimRef, devices: AllocatedDeviceStatus[]): ClaimStatusPatch {
  if (devices.some((d) => d.conditions.length > LIMITS.maxDeviceStatusConditions)) {
    throw new Error(`device status: more than ${LIMITS.maxDeviceStatusConditions} conditions`);
  }
  return {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaim',
    metadata: { name: claim.name, namespace: claim.namespace },
    status: { devices },
  };
}

/** The list-map key of status.devices (driver, pool, device, shareID). */
function deviceStatusKey(d: { driver: string; pool: string; device: string; shareID?: string }): string {
  return `${d.driver}\u0000${d.pool}\u0000${d.device}\u0000${d.shareID ?? ''}`;
}

/**
 * status.devices after writing `ours`: entries of other drivers (or other devices) stay untouched
 * and in place, ours replace the entry with the same key or are appended. Pure.
 */
export function mergeDeviceStatuses<
  T extends { driver: string; pool: string; device: string; shareID?: string },
>(existing: readonly T[], ours: readonly T[]): T[] {
  const byKey = new Map(ours.map((d) => [deviceStatusKey(d), d]));
  const out = existing.map((e) => {
    const k = deviceStatusKey(e);
    const mine = byKey.get(k);
    if (mine === undefined) return e;
    byKey.delete(k);
    return mine;
  });
  return [...out, ...byKey.values()];
}
