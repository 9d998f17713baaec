// TypeScript views of the NRI messages knd reads and writes (proto/nri/api.proto). Decoded
// messages come from NriProto.decode with defaults filled, so every field listed here is present.
import type { NriProto } from './nri-proto.js';
import { NRI_PACKAGE } from './nri-proto.js';

export interface LinuxNamespace {
  type: string;
  path: string;
}

export interface PodSandbox {
  id: string;
  name: string;
  uid: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtime_handler: string;
  linux?: { namespaces: LinuxNamespace[]; cgroups_path: string; cgroup_parent: string } | null;
  pid: number;
  ips: string[];
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  name: string;
  state: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  pid: number;
}

export interface ConfigureRequest {
  config: string;
  runtime_name: string;
  runtime_version: string;
  registration_timeout: number;
  request_timeout: number;
  NRI_version: string;
}

export interface SynchronizeRequest {
  pods: PodSandbox[];
  containers: Container[];
  more: boolean;
}

export interface StateChangeEvent {
  event: number;
  pod?: PodSandbox | null;
  container?: Container | null;
}

export interface PodRequest {
  pod?: PodSandbox | null;
}

export interface ContainerRequest {
  pod?: PodSandbox | null;
  container?: Container | null;
}

export interface LinuxDevice {
  path: string;
  type: string;
  major: number;
  minor: number;
  file_mode?: { value: number };
  uid?: { value: number };
  gid?: { value: number };
}

export interface ContainerAdjustment {
  linux?: { devices: LinuxDevice[] };
}

export interface CreateContainerResponse {
  adjust?: ContainerAdjustment;
}

/** Fully-qualified message name in the NRI package. */
export const nriType = (short: string): string => `${NRI_PACKAGE}.${short}`;

/**
 * Decode an NRI message into its TypeScript view. The cast is the one place where protobufjs'
 * untyped objects meet these interfaces; `defaults: true` in NriProto.decode makes it sound for
 * scalar/repeated/map fields, and message fields are checked for null by the callers.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the typed view is the point
export function decodeNri<T>(proto: NriProto, short: string, bytes: Uint8Array): T {
  return proto.decode(nriType(short), bytes) as T;
}

export function encodeNri(proto: NriProto, short: string, value: object): Uint8Array {
  return proto.encode(nriType(short), value);
}
