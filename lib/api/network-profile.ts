// NetworkProfile (knd.dev/v1alpha1, namespaced, short name netprof): what a workload gets. The
// operator turns each one into a resource.k8s.io/v1 ResourceClaimTemplate of the same name and
// namespace (operator/src/render/claim-template.ts). TypeScript view and OpenAPI schema of the spec.
import { ATTR_PCIE_ROOT } from './constants.js';
import type { NetworkConfig } from './network-config.js';
import type { JsonSchema } from './network-config-schema.js';
import { crdNetworkConfigSchema, conditionsSchema } from './crd-common.js';
import { celListSchema, type Condition, type ObjectMetaLite } from './network-device-class.js';
import { tolerationsSchema, type DeviceToleration } from './device-taints.js';
import { shareSpecSchema, type ShareSpec } from './shared-device.js';

export const DEFAULT_ALIGNMENT_ATTRIBUTE = ATTR_PCIE_ROOT;
/** Request names in generated ResourceClaimTemplates (what pods and configs refer to). */
export const NIC_REQUEST_NAME = 'nic';
export const ALIGNED_REQUEST_NAME = 'aligned';

export interface AlignmentSpec {
  deviceClassName: string;
  count?: number;
  attribute?: string;
}

export interface NetworkProfileSpec {
  deviceClassName: string;
  count?: number;
  allocationMode?: 'ExactCount' | 'All';
  selectors?: string[];
  config?: NetworkConfig;
  alignment?: AlignmentSpec;
  /** Rendered into the ResourceClaimTemplate's NIC request. */
  tolerations?: DeviceToleration[];
  /** A share of a shared device (the class has spec.shared). */
  share?: ShareSpec;
}

export interface NetworkProfileStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  resourceClaimTemplateName?: string;
  matchedDevices?: number;
  matchedNodes?: number;
}

export interface NetworkProfile {
  apiVersion: 'knd.dev/v1alpha1';
  kind: 'NetworkProfile';
  metadata: ObjectMetaLite;
  spec: NetworkProfileSpec;
  status?: NetworkProfileStatus;
}

const dnsSubdomain = (description: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: 253,
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  description,
});

export const networkProfileSpecSchema: JsonSchema = {
  type: 'object',
  description: 'The network devices a workload gets through the generated ResourceClaimTemplate.',
  required: ['deviceClassName'],
  properties: {
    deviceClassName: dnsSubdomain('Name of a NetworkDeviceClass (and of the DeviceClass generated from it).'),
    count: {
      type: 'integer',
      minimum: 1,
      maximum: 32,
      description: 'How many devices (default 1). Not allowed with allocationMode All.',
    },
    allocationMode: {
      type: 'string',
      enum: ['ExactCount', 'All'],
      description: 'ExactCount (default): `count` devices; All: every matching device on the node.',
    },
    selectors: celListSchema(
      'Extra DRA CEL selectors over `device` that narrow the class for this profile, e.g. device.attributes["knd.dev"].numaNode == 0.',
    ),
    config: {
      ...crdNetworkConfigSchema(),
      description:
        "NetworkConfig for the pod's interface (claim opaque config for driver knd.dev; overrides the class config field by field).",
    },
    alignment: {
      type: 'object',
      description:
        "Request a device of another class in the same claim, on the same value of `attribute` (the KND paper's topologically aligned configuration), e.g. a GPU on the NIC's PCIe root.",
      required: ['deviceClassName'],
      properties: {
        deviceClassName: dnsSubdomain('DeviceClass of the aligned device, e.g. gpu.nvidia.com.'),
        count: {
          type: 'integer',
          minimum: 1,
          maximum: 32,
          description: 'How many aligned devices (default 1).',
        },
        attribute: {
          type: 'string',
          maxLength: 97,
          pattern:
            '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z_][A-Za-z0-9_]*$',
          description: `Fully qualified attribute both devices must share (matchAttribute). Default ${ATTR_PCIE_ROOT}.`,
        },
      },
    },
    tolerations: tolerationsSchema,
    share: shareSpecSchema,
  },
  'x-kubernetes-validations': [
    {
      rule: "!has(self.share) || !has(self.allocationMode) || self.allocationMode != 'All'",
      message: 'share cannot be combined with allocationMode All',
      fieldPath: '.share',
    },
    {
      rule: "!has(self.count) || !has(self.allocationMode) || self.allocationMode != 'All'",
      message: 'count cannot be combined with allocationMode All',
      fieldPath: '.count',
    },
  ],
};

export const networkProfileStatusSchema: JsonSchema = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The metadata.generation this status describes.' },
    conditions: conditionsSchema,
    resourceClaimTemplateName: {
      type: 'string',
      description: 'Name of the generated resource.k8s.io/v1 ResourceClaimTemplate (same namespace).',
    },
    matchedDevices: {
      type: 'integer',
      description: "Devices in the cluster's ResourceSlices matching the class and the profile selectors.",
    },
    matchedNodes: { type: 'integer', description: 'Nodes with at least one matched device.' },
  },
};
