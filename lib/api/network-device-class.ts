// NetworkDeviceClass (knd.dev/v1alpha1, cluster-scoped, short name ndc): which knd.dev devices form a
// class. The operator turns each one into a resource.k8s.io/v1 DeviceClass of the same name
// (operator/src/render/device-class.ts). TypeScript view and OpenAPI schema of the spec; the CRD is
// assembled in crd-schema.ts and written to crds/ by `npm run gen`.
import type { NetworkConfig } from './network-config.js';
import type { JsonSchema } from './network-config-schema.js';
import { crdNetworkConfigSchema, conditionsSchema } from './crd-common.js';
import { taintEffectSchema, type TaintEffect } from './device-taints.js';
import { sharedSpecSchema, type SharedSpec } from './shared-device.js';

export type SriovRole = 'pf' | 'vf';

/** Structured device selector: every field set must hold (AND); list fields match any entry (OR). */
export interface DeviceSelectorSpec {
  rdma?: boolean;
  vendors?: string[];
  drivers?: string[];
  interfaceNames?: string[];
  virtual?: boolean;
  sriovRole?: SriovRole;
  minLinkSpeedMbps?: number;
  numaNode?: number;
}

export interface NetworkDeviceClassSpec {
  selector?: DeviceSelectorSpec;
  cel?: string[];
  config?: NetworkConfig;
  /** Effect of the health taint on the class's devices (lib/api/device-taints.ts); default NoSchedule. */
  taintEffect?: TaintEffect;
  /** Shared devices: a child per claim and a bandwidth share (lib/api/shared-device.ts). */
  shared?: SharedSpec;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface NetworkDeviceClassStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  deviceClassName?: string;
  matchedDevices?: number;
  matchedNodes?: number;
  /** Matched devices that carry a knd.dev health taint now. */
  taintedDevices?: number;
}

export interface ObjectMetaLite {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface NetworkDeviceClass {
  apiVersion: 'knd.dev/v1alpha1';
  kind: 'NetworkDeviceClass';
  metadata: ObjectMetaLite;
  spec: NetworkDeviceClassSpec;
  status?: NetworkDeviceClassStatus;
}

const stringList = (item: JsonSchema, description: string, maxItems: number): JsonSchema => ({
  type: 'array',
  description,
  maxItems,
  minItems: 1,
  'x-kubernetes-list-type': 'atomic',
  items: item,
});

/** At most 16 raw CEL expressions, each a DRA device selector over `device`. */
export const celListSchema = (description: string): JsonSchema =>
  stringList({ type: 'string', minLength: 1, maxLength: 10240 }, description, 16);

export const deviceSelectorSchema: JsonSchema = {
  type: 'object',
  description:
    'Structured selector over the attributes knd publishes (domain knd.dev). Every field that is set must hold; a list matches when any entry does. Devices missing an attribute never match a selector on it.',
  properties: {
    rdma: { type: 'boolean', description: 'Select devices with (true) or without (false) an RDMA device.' },
    vendors: stringList(
      {
        type: 'string',
        pattern: '^0x[0-9a-f]{4}$',
        description: 'A PCI vendor ID in lower-case hex, e.g. "0x15b3" (NVIDIA/Mellanox).',
      },
      'PCI vendor IDs (attribute pciVendor), e.g. ["0x15b3", "0x8086"].',
      32,
    ),
    drivers: stringList(
      { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' },
      'Kernel drivers (attribute driver), e.g. ["mlx5_core", "ice"].',
      32,
    ),
    interfaceNames: stringList(
      {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z0-9_.:@*?-]+$',
        description: 'A glob: "*" any run of characters, "?" one character; anchored at both ends.',
      },
      'Host interface names (attribute ifName) as globs, e.g. ["eth*", "ens?f0"].',
      32,
    ),
    virtual: {
      type: 'boolean',
      description: 'Select virtual devices such as veth or macvlan (true) or physical ones (false).',
    },
    sriovRole: {
      type: 'string',
      enum: ['pf', 'vf'],
      description: 'pf: SR-IOV capable physical functions (sriov == true); vf: virtual functions.',
    },
    minLinkSpeedMbps: {
      type: 'integer',
      minimum: 1,
      maximum: 10000000,
      description: 'Minimum link speed in Mbit/s (attribute linkSpeedMbps), e.g. 100000.',
    },
    numaNode: {
      type: 'integer',
      minimum: 0,
      maximum: 1024,
      description: 'NUMA node the device is attached to (attribute numaNode).',
    },
  },
};

export const networkDeviceClassSpecSchema: JsonSchema = {
  type: 'object',
  description: 'Which knd.dev devices belong to the class, and their default configuration.',
  properties: {
    selector: deviceSelectorSchema,
    cel: celListSchema(
      'Extra DRA CEL selectors over `device`, all of which must be true, e.g. device.attributes["knd.dev"].mtu >= 9000. Guard optional attributes with has() or "name" in map.',
    ),
    config: {
      ...crdNetworkConfigSchema(),
      description:
        'Default NetworkConfig for every claim of the class (DeviceClass opaque config for driver knd.dev; a claim or profile config overrides it field by field).',
    },
    taintEffect: taintEffectSchema,
    shared: sharedSpecSchema,
  },
};

export const networkDeviceClassStatusSchema: JsonSchema = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  properties: {
    observedGeneration: {
      type: 'integer',
      description: 'The metadata.generation this status describes.',
    },
    conditions: conditionsSchema,
    deviceClassName: { type: 'string', description: 'Name of the generated resource.k8s.io/v1 DeviceClass.' },
    matchedDevices: {
      type: 'integer',
      description: "knd.dev devices in the cluster's ResourceSlices that the class selects.",
    },
    matchedNodes: { type: 'integer', description: 'Nodes with at least one matched device.' },
    taintedDevices: {
      type: 'integer',
      description: 'Matched devices that carry a knd.dev/unhealthy taint now (docs/health.md).',
    },
  },
};
