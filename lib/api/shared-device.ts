// Shared devices (NetworkDeviceClass spec.shared, NetworkProfile spec.share): one NIC given to many
// pods, each as a child link with its own MAC, with bandwidth the scheduler accounts (DRA
// consumable capacity, KEP-5075) and the kernel enforces on the child. Types, defaults and the
// OpenAPI schema; the capacity the agent publishes is derived in node-agent/src/publish/
// shared-capacity.ts, the claim request in operator/src/render/claim-template.ts.
import type { JsonSchema } from './network-config-schema.js';

export type ChildType = 'macvlan';
export type MacvlanMode = 'bridge' | 'private' | 'vepa';

export interface SharedSpec {
  /** Child link type (default macvlan; the only one this kernel offers besides veth). */
  childType?: ChildType;
  /** macvlan mode (default bridge: children reach each other through the parent). */
  mode?: MacvlanMode;
  /** Most children (claims) per device. */
  maxChildren: number;
  /** Bandwidth capacity in Mbit/s; absent: the device's link speed (attribute linkSpeedMbps). */
  bandwidthMbps?: number;
  /** Share of a claim that asks for none (request policy default), Mbit/s. Default minShareMbps. */
  defaultShareMbps?: number;
  /** Smallest share, Mbit/s (request policy validRange.min). Default 1. */
  minShareMbps?: number;
  /** Shares are rounded up to a multiple of this above the minimum, Mbit/s. Default minShareMbps. */
  shareStepMbps?: number;
}

/** NetworkProfile spec.share: what one claim asks of a shared device. */
export interface ShareSpec {
  /** Bandwidth share in Mbit/s: accounted by the scheduler, enforced on the child's egress. */
  bandwidthMbps: number;
}

export const SHARED_DEFAULTS = { childType: 'macvlan', mode: 'bridge', minShareMbps: 1 } as const;

/** Capacity names in the published devices and in claim requests (the driver's domain is implied). */
export const CAPACITY_BANDWIDTH = 'bandwidth';
export const CAPACITY_CHILDREN = 'children';

/**
 * Mbit/s as a bit/s Quantity in the apiserver's canonical form (10000 -> "10G", 1500 -> "1500M"),
 * so what knd writes compares equal to what it reads back.
 */
export function mbpsQuantity(mbps: number): string {
  const suffixes = ['M', 'G', 'T', 'P', 'E'];
  let n = mbps;
  let i = 0;
  while (n % 1000 === 0 && n > 0 && i < suffixes.length - 1) {
    n /= 1000;
    i++;
  }
  return `${String(n)}${suffixes[i] ?? 'M'}`;
}

const mbps = (description: string): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: 10_000_000,
  description,
});

export const sharedSpecSchema: JsonSchema = {
  type: 'object',
  description:
    'The devices of this class are shared: each claim gets a child link of the device in its pod (the device itself never moves) and a share of its bandwidth. Needs DRA consumable capacity (Kubernetes 1.36+); without it the class is Ready=False and nothing is published as shared.',
  required: ['maxChildren'],
  properties: {
    childType: { type: 'string', enum: ['macvlan'], description: 'Child link type. Default macvlan.' },
    mode: {
      type: 'string',
      enum: ['bridge', 'private', 'vepa'],
      description:
        'macvlan mode. bridge (default): children of one device reach each other directly; private: they cannot; vepa: through the external switch.',
    },
    maxChildren: { type: 'integer', minimum: 1, maximum: 4096, description: 'Most children per device.' },
    bandwidthMbps: mbps(
      'Bandwidth capacity of each device, Mbit/s. Default: its link speed (linkSpeedMbps).',
    ),
    defaultShareMbps: mbps('Share of a claim that asks for none, Mbit/s. Default minShareMbps.'),
    minShareMbps: mbps('Smallest share, Mbit/s. Default 1.'),
    shareStepMbps: mbps(
      'Shares round up to a multiple of this above minShareMbps, Mbit/s. Default minShareMbps.',
    ),
  },
  'x-kubernetes-validations': [
    {
      rule: '!has(self.defaultShareMbps) || !has(self.minShareMbps) || self.defaultShareMbps >= self.minShareMbps',
      message: 'defaultShareMbps must be at least minShareMbps',
      fieldPath: '.defaultShareMbps',
    },
    {
      rule: '!has(self.bandwidthMbps) || !has(self.minShareMbps) || self.minShareMbps <= self.bandwidthMbps',
      message: 'minShareMbps must not exceed bandwidthMbps',
      fieldPath: '.minShareMbps',
    },
  ],
};

export const shareSpecSchema: JsonSchema = {
  type: 'object',
  description:
    'A share of a shared device (the class must have spec.shared): the bandwidth the scheduler accounts for this claim and the kernel enforces on the egress of its child link.',
  required: ['bandwidthMbps'],
  properties: { bandwidthMbps: mbps('Bandwidth share, Mbit/s.') },
};
