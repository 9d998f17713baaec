// The resource.k8s.io/v1 objects the operator generates, as plain JSON (what server-side apply sends
// and what the apiserver returns), not client-node's model classes.
import type { DeviceToleration } from '../../../lib/api/device-taints.js';
import type { NetworkConfig } from '../../../lib/api/network-config.js';
import type { OwnerReference } from './labels.js';

export const RESOURCE_API_VERSION = 'resource.k8s.io/v1';

export interface GeneratedMeta {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OpaqueConfig {
  requests?: string[];
  opaque: { driver: string; parameters: NetworkConfig & { apiVersion: string; kind: string } };
}

export interface CelSelector {
  cel: { expression: string };
}

export interface DeviceClass {
  apiVersion: typeof RESOURCE_API_VERSION;
  kind: 'DeviceClass';
  metadata: GeneratedMeta;
  spec: { selectors: CelSelector[]; config?: OpaqueConfig[] };
}

export interface ExactDeviceRequest {
  deviceClassName: string;
  allocationMode: 'ExactCount' | 'All';
  count?: number;
  selectors?: CelSelector[];
  tolerations?: DeviceToleration[];
  /** Consumable capacity asked of a shared device (KEP-5075), e.g. {requests: {bandwidth: "100M"}}. */
  capacity?: { requests: Record<string, string> };
}

export interface DeviceRequest {
  name: string;
  exactly: ExactDeviceRequest;
}

export interface ResourceClaimTemplate {
  apiVersion: typeof RESOURCE_API_VERSION;
  kind: 'ResourceClaimTemplate';
  metadata: GeneratedMeta & { namespace: string };
  spec: {
    spec: {
      devices: {
        requests: DeviceRequest[];
        constraints?: { requests: string[]; matchAttribute: string }[];
        config?: OpaqueConfig[];
      };
    };
  };
}
