// knd's CustomResourceDefinitions (apiextensions.k8s.io/v1), built from the TypeScript schemas in
// network-device-class.ts, network-profile.ts and ip-pool.ts. `npm run gen` writes them to crds/ (see
// hack/generated-files.ts); `node dist/hack/gen.js --check` fails when the committed YAML drifts.
import { API_GROUP, API_VERSION, KIND_NETWORK_DEVICE_CLASS, KIND_NETWORK_PROFILE } from './constants.js';
import type { JsonSchema } from './network-config-schema.js';
import { networkDeviceClassSpecSchema, networkDeviceClassStatusSchema } from './network-device-class.js';
import { networkProfileSpecSchema, networkProfileStatusSchema } from './network-profile.js';
import {
  IP_ALLOCATIONS_PLURAL,
  IP_POOLS_PLURAL,
  KIND_IP_ALLOCATION,
  KIND_IP_POOL,
  ipAllocationSpecSchema,
  ipAllocationStatusSchema,
  ipPoolSpecSchema,
  ipPoolStatusSchema,
} from './ip-pool.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CrdNames {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: CrdNames;
    scope: 'Cluster' | 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JsonSchema };
    }[];
  };
}

const readyColumns: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
  { name: 'Devices', type: 'integer', jsonPath: '.status.matchedDevices', description: 'Matching devices' },
  { name: 'Nodes', type: 'integer', jsonPath: '.status.matchedNodes', description: 'Nodes with a match' },
];

function crd(
  names: Omit<CrdNames, 'listKind' | 'categories'>,
  scope: 'Cluster' | 'Namespaced',
  description: string,
  spec: JsonSchema,
  status: JsonSchema,
  columns: PrinterColumn[],
): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'knd', 'app.kubernetes.io/component': 'operator' },
    },
    spec: {
      group: API_GROUP,
      names: { ...names, listKind: `${names.kind}List`, categories: ['knd'] },
      scope,
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            ...columns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}

export function networkDeviceClassCrd(): CustomResourceDefinition {
  return crd(
    {
      kind: KIND_NETWORK_DEVICE_CLASS,
      plural: 'networkdeviceclasses',
      singular: 'networkdeviceclass',
      shortNames: ['ndc'],
    },
    'Cluster',
    'A class of knd.dev network devices; the operator generates a resource.k8s.io/v1 DeviceClass of the same name.',
    networkDeviceClassSpecSchema,
    networkDeviceClassStatusSchema,
    [
      { name: 'DeviceClass', type: 'string', jsonPath: '.status.deviceClassName', priority: 1 },
      ...readyColumns,
      {
        name: 'Tainted',
        type: 'integer',
        jsonPath: '.status.taintedDevices',
        description: 'Matching devices with a knd.dev/unhealthy taint',
      },
    ],
  );
}

export function networkProfileCrd(): CustomResourceDefinition {
  return crd(
    {
      kind: KIND_NETWORK_PROFILE,
      plural: 'networkprofiles',
      singular: 'networkprofile',
      shortNames: ['netprof'],
    },
    'Namespaced',
    'What a workload gets: the operator generates a resource.k8s.io/v1 ResourceClaimTemplate of the same name and namespace.',
    networkProfileSpecSchema,
    networkProfileStatusSchema,
    [
      { name: 'Class', type: 'string', jsonPath: '.spec.deviceClassName' },
      { name: 'Template', type: 'string', jsonPath: '.status.resourceClaimTemplateName', priority: 1 },
      ...readyColumns,
    ],
  );
}

export function ipPoolCrd(): CustomResourceDefinition {
  const family = (f: 'ipv4' | 'ipv6', label: string): PrinterColumn[] => [
    { name: `${label} Free`, type: 'integer', jsonPath: `.status.${f}.free` },
    { name: `${label} Size`, type: 'integer', jsonPath: `.status.${f}.size`, priority: 1 },
  ];
  return crd(
    { kind: KIND_IP_POOL, plural: IP_POOLS_PLURAL, singular: 'ippool', shortNames: ['ippool'] },
    'Cluster',
    'Addresses knd hands out to claimed NICs, unique cluster-wide (NetworkConfig ipam.ipv4Pool / ipv6Pool); see docs/ipam.md.',
    ipPoolSpecSchema,
    ipPoolStatusSchema,
    [
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
      ...family('ipv4', 'IPv4'),
      ...family('ipv6', 'IPv6'),
    ],
  );
}

export function ipAllocationCrd(): CustomResourceDefinition {
  return crd(
    {
      kind: KIND_IP_ALLOCATION,
      plural: IP_ALLOCATIONS_PLURAL,
      singular: 'ipallocation',
      shortNames: ['ipalloc'],
    },
    'Cluster',
    'One address of an IPPool allocated to one device of a ResourceClaim; named <pool>.<encoded address>, so an address is allocated at most once. Written by the node agent, deleted at unprepare or by the operator once the claim is gone.',
    ipAllocationSpecSchema,
    ipAllocationStatusSchema,
    [
      { name: 'Pool', type: 'string', jsonPath: '.spec.pool' },
      { name: 'Address', type: 'string', jsonPath: '.spec.address' },
      { name: 'Claim Namespace', type: 'string', jsonPath: '.spec.claim.namespace' },
      { name: 'Claim', type: 'string', jsonPath: '.spec.claim.name' },
      { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
    ],
  );
}

export function allCrds(): CustomResourceDefinition[] {
  return [networkDeviceClassCrd(), networkProfileCrd(), ipPoolCrd(), ipAllocationCrd()];
}
