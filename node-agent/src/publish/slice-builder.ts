// Devices -> the ResourceSlice objects of one node's pool, in the exact JSON shape sent to the
// apiserver (resource.k8s.io/v1 ResourceSlice). Pure.
// - One pool per node, named after the node; driver knd.dev; spec.nodeName set.
// - At most 128 devices per slice (64 once any device of the pool carries a taint, the API's limit);
//   more are split over several slices, all carrying the same pool.generation and
//   pool.resourceSliceCount. A device's taints (health, node-agent/src/health/) go out as given. An empty pool is one slice with no devices, so
//   consumers can tell "no devices" from "driver not running".
// - Deterministic names `<node>-<driver>-<index>` (so the publisher updates in place and finds its
//   own slices after a restart) and, when the Node is known, a controller ownerReference to it so
//   the slices are garbage-collected with the node.
import { createHash } from 'node:crypto';
import { LIMITS } from '../../../lib/api/constants.js';
import { MAX_DEVICES_PER_SLICE_WITH_TAINTS, type DeviceTaint } from '../../../lib/api/device-taints.js';
import type { Attributes } from '../inventory/attributes.js';
import type { DeviceCapacity } from './shared-capacity.js';

export const RESOURCE_API_VERSION = 'resource.k8s.io/v1';

export interface SliceDevice {
  name: string;
  attributes: Attributes;
  /** Absent or empty: no taints (the field is left out of the slice). */
  taints?: DeviceTaint[];
  /** Shared devices only (shared-capacity.ts): many claims may hold the device at once. */
  allowMultipleAllocations?: true;
  /** Shared devices only: consumable capacities with their request policies. */
  capacity?: Record<string, DeviceCapacity>;
}

export interface OwnerNode {
  name: string;
  uid: string;
}

export interface ResourceSlice {
  apiVersion: typeof RESOURCE_API_VERSION;
  kind: 'ResourceSlice';
  metadata: {
    name: string;
    labels: Record<string, string>;
    ownerReferences?: { apiVersion: 'v1'; kind: 'Node'; name: string; uid: string; controller: true }[];
    resourceVersion?: string;
  };
  spec: {
    driver: string;
    nodeName: string;
    pool: { name: string; generation: number; resourceSliceCount: number };
    devices: SliceDevice[];
  };
}

export interface BuildSlicesInput {
  driverName: string;
  nodeName: string;
  generation: number;
  devices: readonly SliceDevice[];
  owner?: OwnerNode;
  maxDevicesPerSlice?: number;
}

export const LABEL_SLICE_NODE = 'knd.dev/node';

const MAX_NAME = 253;

/** `<node>-<driver>-<index>`; too-long node names are cut and suffixed with a hash to stay unique. */
export function sliceName(nodeName: string, driverName: string, index: number): string {
  const full = `${nodeName}-${driverName}-${index}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(nodeName).digest('hex').slice(0, 10);
  const tail = `-${hash}-${driverName}-${index}`;
  return `${nodeName.slice(0, MAX_NAME - tail.length).replace(/[-.]+$/, '')}${tail}`;
}

/** Label values are ≤ 63 characters; long node names are cut and hashed. */
function labelValue(v: string): string {
  if (v.length <= 63) return v;
  return `${v.slice(0, 52).replace(/[-._]+$/, '')}-${createHash('sha256').update(v).digest('hex').slice(0, 10)}`;
}

export function buildSlices(input: BuildSlicesInput): ResourceSlice[] {
  const tainted = input.devices.some((d) => (d.taints?.length ?? 0) > 0);
  const max = input.maxDevicesPerSlice ?? LIMITS.maxDevicesPerSlice;
  const per = tainted ? Math.min(max, MAX_DEVICES_PER_SLICE_WITH_TAINTS) : max;
  const devices = [...input.devices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const chunks: SliceDevice[][] = [];
  for (let i = 0; i < devices.length; i += per) chunks.push(devices.slice(i, i + per));
  if (chunks.length === 0) chunks.push([]);
  return chunks.map((chunk, i) => ({
    apiVersion: RESOURCE_API_VERSION,
    kind: 'ResourceSlice',
    metadata: {
      name: sliceName(input.nodeName, input.driverName, i),
      labels: { [LABEL_SLICE_NODE]: labelValue(input.nodeName) },
      ...(input.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'Node',
                name: input.owner.name,
                uid: input.owner.uid,
                controller: true,
              } as const,
            ],
          }
        : {}),
    },
    spec: {
      driver: input.driverName,
      nodeName: input.nodeName,
      pool: { name: input.nodeName, generation: input.generation, resourceSliceCount: chunks.length },
      devices: chunk.map(sliceDevice),
    },
  }));
}

function sliceDevice(d: SliceDevice): SliceDevice {
  return {
    name: d.name,
    attributes: d.attributes,
    ...(d.taints?.length ? { taints: d.taints } : {}),
    ...(d.allowMultipleAllocations ? { allowMultipleAllocations: true as const } : {}),
    ...(d.capacity ? { capacity: d.capacity } : {}),
  };
}

/** Canonical JSON (sorted keys) for comparisons. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val !== null && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : val,
  );
}
