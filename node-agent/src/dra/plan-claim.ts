// Pure: turn one allocated ResourceClaim into knd's AttachPlan for this node, or a readable error.
// No I/O. The handler (prepare-handler.ts) fetches the claim, calls this, persists the result.
// Error texts start with `claim <ns>/<name>: ` because the kubelet puts them into the pod's events.
import { canonicalCidr } from '../status/canonical-cidr.js';
import { cdiDeviceId } from '../cdi/cdi-spec.js';
import {
  PLAN_FORMAT_VERSION,
  type AttachPlan,
  type CharDevicePlan,
  type DevicePlan,
} from '../plan-store/plan.js';
import type { ClaimRequest, ResourceClaim } from './claim-types.js';
import type { LookedUpDevice } from './device-lookup.js';
import { baseRequestName, configForRequest, type ConfigValidator } from './opaque-config.js';
import type { PoolAddresses } from './claim-addresses.js';
import type { RouteConfig } from '../../../lib/api/network-config.js';
import { childPlanFor } from './plan-child.js';
import type { MacvlanMode } from '../../../lib/api/shared-device.js';

export interface PlanInput {
  request: ClaimRequest;
  claim: ResourceClaim;
  driverName: string;
  /** This node's pool (the publisher uses the node name). */
  poolName: string;
  bootId: string;
  nowIso: string;
  lookup: (deviceName: string) => LookedUpDevice | undefined;
  /** loadConfigValidator() (opaque-config.ts). */
  validator: ConfigValidator;
  /** Addresses allocated from IPPools for the claim, by device name (claim-addresses.ts). */
  poolAddresses?: ReadonlyMap<string, PoolAddresses>;
  /** macvlan mode of a device published as shared (default: bridge). */
  sharedMode?: (deviceName: string) => MacvlanMode | undefined;
}

export type PlanOutcome = { ok: true; plan: AttachPlan } | { ok: false; error: string };

/** RDMA char devices are opened read/write by verbs applications; no mknod. */
export const CHAR_DEVICE_FILE_MODE = 0o666;
export const CHAR_DEVICE_PERMISSIONS = 'rw';

export function claimLabel(r: ClaimRequest): string {
  return `claim ${r.namespace}/${r.name}`;
}

/** The uids of the pods the claim is reserved for (status.reservedFor, core pods only), sorted. */
export function reservedPodUids(claim: ResourceClaim): string[] {
  return (claim.status?.reservedFor ?? [])
    .filter((c) => (c.apiGroup ?? '') === '' && c.resource === 'pods' && typeof c.uid === 'string')
    .map((c) => c.uid as string)
    .sort();
}

export function planClaim(input: PlanInput): PlanOutcome {
  const { request, claim } = input;
  const label = claimLabel(request);
  const fail = (msg: string): PlanOutcome => ({ ok: false, error: `${label}: ${msg}` });
  const uid = claim.metadata?.uid;
  if (uid !== request.uid) {
    return fail(
      `uid mismatch: the kubelet asked for ${request.uid}, the API has ${uid ?? '(none)'} (claim was recreated?)`,
    );
  }
  const alloc = claim.status?.allocation;
  if (!alloc) return fail('not allocated (status.allocation is empty)');
  const results = (alloc.devices?.results ?? []).filter(
    (r) => r.driver === input.driverName && r.pool === input.poolName,
  );
  const configs = alloc.devices?.config ?? [];
  const errors: string[] = [];
  const devices: DevicePlan[] = [];
  for (const [i, r] of results.entries()) {
    const reqName = r.request ?? '';
    const deviceName = r.device ?? '';
    if (!reqName || !deviceName) {
      errors.push(`allocation result ${i} lacks request or device name`);
      continue;
    }
    const cfg = configForRequest(configs, reqName, input.driverName, input.validator);
    if (!cfg.ok) {
      errors.push(...cfg.errors);
      continue;
    }
    const dev = input.lookup(deviceName);
    if (!dev) {
      errors.push(`device ${input.poolName}/${deviceName} (request "${reqName}") is not known on this node`);
      continue;
    }
    if (!dev.ifName) {
      errors.push(`device ${input.poolName}/${deviceName} has no network interface on this node`);
      continue;
    }
    const child = childPlanFor(r, input.sharedMode?.(deviceName));
    if (!child.ok) {
      errors.push(`device ${input.poolName}/${deviceName} (request "${reqName}"): ${child.error.message}`);
      continue;
    }
    const c = cfg.config;
    const addresses: string[] = [];
    for (const a of c.interface?.addresses ?? []) {
      const canon = canonicalCidr(a);
      if (canon.ok) addresses.push(canon.cidr);
      else errors.push(`opaque config for request "${reqName}": interface.addresses: ${canon.error}`);
    }
    const pooled = input.poolAddresses?.get(deviceName);
    if (c.ipam && !pooled) {
      errors.push(
        `device ${input.poolName}/${deviceName} (request "${reqName}") has no address from its IPPool`,
      );
      continue;
    }
    for (const a of pooled?.addresses ?? []) {
      const canon = canonicalCidr(a);
      if (canon.ok && !addresses.includes(canon.cidr)) addresses.push(canon.cidr);
      else if (!canon.ok) errors.push(`IPPool address of device ${deviceName}: ${canon.error}`);
    }
    const charDevices: CharDevicePlan[] = dev.charDevices.map((cd) => ({
      path: cd.path,
      hostPath: cd.path,
      major: cd.major,
      minor: cd.minor,
      fileMode: CHAR_DEVICE_FILE_MODE,
      permissions: CHAR_DEVICE_PERMISSIONS,
    }));
    const plan: DevicePlan = {
      request: baseRequestName(reqName),
      poolName: input.poolName,
      deviceName,
      host: {
        ifName: dev.ifName,
        ...(dev.ifindex !== undefined ? { ifIndex: dev.ifindex } : {}),
        ...(dev.pciAddress !== undefined ? { pciAddress: dev.pciAddress } : {}),
        ...(dev.mac !== undefined ? { mac: dev.mac } : {}),
      },
      podIfName: c.interface?.name ?? dev.ifName,
      ...(c.interface?.mtu !== undefined ? { mtu: c.interface.mtu } : {}),
      ...(c.interface?.hardwareAddr !== undefined
        ? { hardwareAddr: c.interface.hardwareAddr.toLowerCase() }
        : {}),
      addresses,
      routes: withPoolRoutes(c.routes ?? [], pooled?.routes ?? []),
      rules: c.rules ?? [],
      neighbors: c.neighbors ?? [],
      ethtoolFeatures: c.ethtool?.features ?? {},
      ...(charDevices.length > 0 ? { rdma: { device: dev.rdmaDevice ?? '', charDevices } } : {}),
      ...(child.value !== undefined ? { child: child.value } : {}),
      // every device: its CDI edits carry the attach guard (cdi/attach-guard.ts)
      cdiDeviceIds: [cdiDeviceId(request.uid, deviceName)],
    };
    devices.push(plan);
  }
  if (errors.length > 0) return fail(errors.join('; '));
  const podNames = new Set<string>();
  for (const d of devices) {
    if (podNames.has(d.podIfName)) {
      return fail(`two devices would be named ${d.podIfName} in the pod; set interface.name per request`);
    }
    podNames.add(d.podIfName);
  }
  const podUids = reservedPodUids(claim);
  return {
    ok: true,
    plan: {
      formatVersion: PLAN_FORMAT_VERSION,
      claim: { namespace: request.namespace, name: request.name, uid: request.uid },
      bootId: input.bootId,
      podUids,
      devices,
      preparedAt: input.nowIso,
    },
  };
}

/** The config's routes, then the pool routes whose destination and table no config route has. */
function withPoolRoutes(own: readonly RouteConfig[], pool: readonly RouteConfig[]): RouteConfig[] {
  const key = (r: RouteConfig): string => `${r.destination}|${String(r.table ?? 254)}`;
  const seen = new Set(own.map(key));
  const out = [...own];
  for (const r of pool) {
    if (seen.has(key(r))) continue;
    seen.add(key(r));
    out.push(r);
  }
  return out;
}

/** Devices of `plan` already held by another claim's plan: `deviceName -> other claim`. */
export function findConflicts(plan: AttachPlan, others: readonly AttachPlan[]): string[] {
  const held = new Map<string, AttachPlan>();
  for (const o of others) {
    if (o.claim.uid === plan.claim.uid) continue;
    // a share of a shared device (a child) is not exclusive: the scheduler accounted it
    for (const d of o.devices) if (d.child === undefined) held.set(`${d.poolName}/${d.deviceName}`, o);
  }
  const out: string[] = [];
  for (const d of plan.devices) {
    if (d.child !== undefined) continue;
    const o = held.get(`${d.poolName}/${d.deviceName}`);
    if (o) {
      out.push(
        `device ${d.poolName}/${d.deviceName} is already prepared for claim ${o.claim.namespace}/${o.claim.name} (uid ${o.claim.uid})`,
      );
    }
  }
  return out;
}

/** The kubelet-facing device list of a plan (dra v1 `Device`). */
export interface PreparedDevice {
  request_names: string[];
  pool_name: string;
  device_name: string;
  cdi_device_ids: string[];
  /** The allocation's shareID, for a share of a shared device (dra v1 Device.share_id). */
  share_id?: string;
}

export function preparedDevices(plan: AttachPlan): PreparedDevice[] {
  return plan.devices.map((d) => ({
    request_names: [d.request],
    pool_name: d.poolName,
    device_name: d.deviceName,
    cdi_device_ids: [...d.cdiDeviceIds],
    ...(d.child?.shareId !== undefined ? { share_id: d.child.shareId } : {}),
  }));
}
