// The objects the operator reads from the apiserver, typed, with their decoders (lib/kube/decode.ts):
// knd's two kinds, and the live resource.k8s.io objects it generates or matches against. Pure.
import {
  API_GROUP_VERSION,
  KIND_NETWORK_DEVICE_CLASS,
  KIND_NETWORK_PROFILE,
} from '../../lib/api/constants.js';
import type { NetworkDeviceClass } from '../../lib/api/network-device-class.js';
import type { NetworkProfile } from '../../lib/api/network-profile.js';
import type { ResourceSliceJson } from '../../lib/cel/device-model.js';
import { objectDecoder, type KubeObject } from '../../lib/kube/decode.js';
import type { LiveObject } from './reconcile/ownership.js';
import { RESOURCE_API_VERSION } from './render/dra-objects.js';

type Resource<K extends string> = { apiVersion: typeof RESOURCE_API_VERSION; kind: K };

export type LiveDeviceClass = LiveObject & Resource<'DeviceClass'>;
export type LiveClaimTemplate = LiveObject & Resource<'ResourceClaimTemplate'>;
export type LiveResourceSlice = KubeObject & ResourceSliceJson & Resource<'ResourceSlice'>;

export const decodeNetworkDeviceClass = objectDecoder<NetworkDeviceClass>(
  API_GROUP_VERSION,
  KIND_NETWORK_DEVICE_CLASS,
);
export const decodeNetworkProfile = objectDecoder<NetworkProfile>(API_GROUP_VERSION, KIND_NETWORK_PROFILE);
export const decodeDeviceClass = objectDecoder<LiveDeviceClass>(RESOURCE_API_VERSION, 'DeviceClass');
export const decodeClaimTemplate = objectDecoder<LiveClaimTemplate>(
  RESOURCE_API_VERSION,
  'ResourceClaimTemplate',
);
export const decodeResourceSlice = objectDecoder<LiveResourceSlice>(RESOURCE_API_VERSION, 'ResourceSlice');
