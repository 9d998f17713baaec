// IPPool and IPAllocation (knd.dev/v1alpha1, both cluster-scoped): cluster-wide address pools for
// claimed NICs (docs/ipam.md). TypeScript view and OpenAPI schemas; the CRDs are assembled in
// crd-schema.ts and written to crds/ by `npm run gen`.
//
// - IPPool (short name ippool): per family, one or more CIDRs, excluded prefixes, a gateway and the
//   routes installed with each address. Written by users; status by the operator.
// - IPAllocation (short name ipalloc): one object per allocated address, named
//   `<pool>.<encoded address>` (allocationName below), so the apiserver's create-or-409 on the name
//   is what makes an address unique cluster-wide. Written by the node agent at prepare, deleted at
//   unprepare, and by the operator's garbage collector once the owning claim (by uid) is gone.
import { API_GROUP } from './constants.js';
import type { RouteConfig } from './network-config.js';
import { poolNameSchema, routeSchema, type JsonSchema } from './network-config-schema.js';
import { conditionsSchema } from './crd-common.js';
import type { Condition, ObjectMetaLite } from './network-device-class.js';

export const KIND_IP_POOL = 'IPPool';
export const KIND_IP_ALLOCATION = 'IPAllocation';
export const IP_POOLS_PLURAL = 'ippools';
export const IP_ALLOCATIONS_PLURAL = 'ipallocations';

/** Labels on every IPAllocation, for the agent's per-claim lookup and the operator's per-pool counts. */
export const LABEL_IPAM_POOL = `${API_GROUP}/ip-pool`;
export const LABEL_IPAM_CLAIM_UID = `${API_GROUP}/claim-uid`;

export type IpFamilyName = 'IPv4' | 'IPv6';

export interface IPPoolFamilySpec {
  cidrs: string[];
  exclude?: string[];
  gateway?: string;
  routes?: RouteConfig[];
}

export interface IPPoolReserve {
  /** The first address of every CIDR (IPv4 network address, IPv6 subnet-router anycast). Default true. */
  network?: boolean;
  /** The last address of every IPv4 CIDR. Default true. */
  broadcast?: boolean;
  /** The family's gateway. Default true. */
  gateway?: boolean;
}

export interface IPPoolSpec {
  ipv4?: IPPoolFamilySpec;
  ipv6?: IPPoolFamilySpec;
  reserve?: IPPoolReserve;
}

export interface IPPoolFamilyStatus {
  size: number;
  allocated: number;
  free: number;
}

export interface IPPoolStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  ipv4?: IPPoolFamilyStatus;
  ipv6?: IPPoolFamilyStatus;
}

export interface IPPool {
  apiVersion: 'knd.dev/v1alpha1';
  kind: 'IPPool';
  metadata: ObjectMetaLite;
  spec: IPPoolSpec;
  status?: IPPoolStatus;
}

export interface IPAllocationOwner {
  namespace: string;
  name: string;
  uid: string;
}

export interface IPAllocationSpec {
  pool: string;
  family: IpFamilyName;
  /** The address, canonical text form, without prefix length. */
  address: string;
  /** Prefix length of the pool CIDR the address came from. */
  prefixLength: number;
  claim: IPAllocationOwner;
  /** The claim's device the address is for (one address per device and family). */
  device: string;
  nodeName: string;
}

export interface IPAllocation {
  apiVersion: 'knd.dev/v1alpha1';
  kind: 'IPAllocation';
  metadata: ObjectMetaLite & { creationTimestamp?: string };
  spec: IPAllocationSpec;
}

const cidrList = (family: IpFamilyName, description: string, minItems: number): JsonSchema => ({
  type: 'array',
  minItems,
  maxItems: 16,
  'x-kubernetes-list-type': 'set',
  description,
  items: {
    type: 'string',
    format: 'cidr',
    maxLength: 49,
    'x-kubernetes-validations': [
      family === 'IPv4'
        ? { rule: "!self.contains(':')", message: 'must be an IPv4 CIDR' }
        : { rule: "self.contains(':')", message: 'must be an IPv6 CIDR' },
    ],
  },
});

const familySchema = (family: IpFamilyName): JsonSchema => ({
  type: 'object',
  description: `The ${family} part of the pool.`,
  required: ['cidrs'],
  properties: {
    cidrs: cidrList(
      family,
      `${family} prefixes to hand out from, without host bits (e.g. ${family === 'IPv4' ? '10.10.0.0/24' : '2001:db8:1::/64'}); each address gets the prefix length of its CIDR. Growing or shrinking the list while addresses are allocated is allowed (docs/ipam.md).`,
      1,
    ),
    exclude: cidrList(
      family,
      'Prefixes inside the CIDRs that are never handed out (a single address: /32 or /128).',
      0,
    ),
    gateway: {
      type: 'string',
      maxLength: 45,
      format: family === 'IPv4' ? 'ipv4' : 'ipv6',
      description: 'Gateway of the fabric; not handed out unless reserve.gateway is false.',
    },
    routes: {
      type: 'array',
      maxItems: 16,
      'x-kubernetes-list-type': 'atomic',
      description: `Routes installed in the pod with each ${family} address of this pool (same form as NetworkConfig routes[]).`,
      items: routeSchema,
    },
  },
});

export const ipPoolSpecSchema: JsonSchema = {
  type: 'object',
  description: 'Addresses knd hands out, one per claimed device and family, unique cluster-wide.',
  properties: {
    ipv4: familySchema('IPv4'),
    ipv6: familySchema('IPv6'),
    reserve: {
      type: 'object',
      description: 'Addresses of the CIDRs that are never handed out.',
      properties: {
        network: {
          type: 'boolean',
          description:
            'The first address of each CIDR (IPv4 network, IPv6 subnet-router anycast); default true.',
        },
        broadcast: { type: 'boolean', description: 'The last address of each IPv4 CIDR; default true.' },
        gateway: { type: 'boolean', description: "The family's gateway; default true." },
      },
    },
  },
  'x-kubernetes-validations': [
    { rule: 'has(self.ipv4) || has(self.ipv6)', message: 'must have ipv4, ipv6 or both' },
  ],
};

const familyStatusSchema = (family: IpFamilyName): JsonSchema => ({
  type: 'object',
  description: `${family} address counts (each saturates at 2^53-1).`,
  properties: {
    size: { type: 'integer', minimum: 0, description: 'Addresses that can be handed out.' },
    allocated: { type: 'integer', minimum: 0, description: 'IPAllocations of this family in the pool.' },
    free: { type: 'integer', minimum: 0, description: 'Addresses of size not allocated.' },
  },
});

export const ipPoolStatusSchema: JsonSchema = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The metadata.generation this status describes.' },
    conditions: conditionsSchema,
    ipv4: familyStatusSchema('IPv4'),
    ipv6: familyStatusSchema('IPv6'),
  },
};

const boundedString = (description: string, maxLength: number): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength,
  description,
});

export const ipAllocationSpecSchema: JsonSchema = {
  type: 'object',
  description:
    'One allocated address. Immutable: the agent creates it, the agent or the operator deletes it.',
  required: ['pool', 'family', 'address', 'prefixLength', 'claim', 'device', 'nodeName'],
  properties: {
    pool: poolNameSchema('The IPPool the address belongs to.'),
    family: { type: 'string', enum: ['IPv4', 'IPv6'], description: 'Address family.' },
    address: {
      type: 'string',
      maxLength: 45,
      anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }],
      description: 'The address (canonical text form, no prefix length).',
    },
    prefixLength: { type: 'integer', minimum: 0, maximum: 128, description: 'Prefix length in the pod.' },
    claim: {
      type: 'object',
      description: 'The ResourceClaim the address is for; the garbage collector compares the uid.',
      required: ['namespace', 'name', 'uid'],
      properties: {
        namespace: boundedString('Namespace of the claim.', 63),
        name: boundedString('Name of the claim.', 253),
        uid: boundedString('uid of the claim.', 128),
      },
    },
    device: boundedString("The claim's device (DRA device name) the address is for.", 128),
    nodeName: boundedString('The node whose agent allocated it.', 253),
  },
  'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'an IPAllocation is immutable' }],
};

/** IPAllocations have no status; the CRD builder wants a schema for it. */
export const ipAllocationStatusSchema: JsonSchema = {
  type: 'object',
  description: 'Unused.',
  properties: {},
};

/**
 * The IPAllocation object name of `address` in `pool`: `<pool>.v4-10-0-0-5` or
 * `<pool>.v6-<32 hex digits>`; a DNS subdomain (the pool name is a DNS label), at most 99 characters.
 */
export function allocationName(pool: string, bytes: Uint8Array): string {
  if (bytes.length === 4) return `${pool}.v4-${[...bytes].join('-')}`;
  return `${pool}.v6-${Buffer.from(bytes).toString('hex')}`;
}
