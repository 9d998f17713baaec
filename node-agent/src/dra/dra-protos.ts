// Loads the kubelet DRA protos under proto/dra/ (package names exactly as the kubelet dials them)
// with @grpc/proto-loader, keepCase so field names are the proto's snake_case on both sides.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const DRA_V1_PACKAGE = 'k8s.io.kubelet.pkg.apis.dra.v1';
export const DRA_V1BETA1_PACKAGE = 'k8s.io.kubelet.pkg.apis.dra.v1beta1';
export const REGISTRATION_PACKAGE = 'pluginregistration';
export const HEALTH_V1ALPHA1_PACKAGE = 'v1alpha1';
export const HEALTH_V1_PACKAGE = 'v1';

const FILES = [
  'v1/api.proto',
  'v1beta1/api.proto',
  'pluginregistration/api.proto',
  'health/v1alpha1.proto',
  'health/v1.proto',
];

export function findDraProtoDir(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = startDir;
  for (;;) {
    const candidate = join(dir, 'proto', 'dra');
    if (existsSync(join(candidate, 'v1', 'api.proto'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const fromCwd = join(process.cwd(), 'proto', 'dra');
  if (existsSync(join(fromCwd, 'v1', 'api.proto'))) return fromCwd;
  throw new Error(`find proto/dra/v1/api.proto: not found above ${startDir} nor in ${process.cwd()}`);
}

export interface DraServices {
  draV1: grpc.ServiceDefinition;
  draV1beta1: grpc.ServiceDefinition;
  registration: grpc.ServiceDefinition;
  healthV1alpha1: grpc.ServiceDefinition;
  healthV1: grpc.ServiceDefinition;
  /** Client constructors (tests' kubelet client). */
  clients: {
    draV1: grpc.ServiceClientConstructor;
    draV1beta1: grpc.ServiceClientConstructor;
    registration: grpc.ServiceClientConstructor;
    healthV1alpha1: grpc.ServiceClientConstructor;
    healthV1: grpc.ServiceClientConstructor;
  };
}

let cached: DraServices | undefined;

function lookup(root: grpc.GrpcObject, fullName: string): grpc.ServiceClientConstructor {
  let cur: unknown = root;
  for (const part of fullName.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  if (typeof cur !== 'function') throw new Error(`proto service ${fullName} not found`);
  return cur as grpc.ServiceClientConstructor;
}

export function loadDraServices(protoDir: string = findDraProtoDir()): DraServices {
  if (cached) return cached;
  const def = protoLoader.loadSync(
    FILES.map((f) => join(protoDir, f)),
    { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir] },
  );
  const root = grpc.loadPackageDefinition(def);
  const clients = {
    draV1: lookup(root, `${DRA_V1_PACKAGE}.DRAPlugin`),
    draV1beta1: lookup(root, `${DRA_V1BETA1_PACKAGE}.DRAPlugin`),
    registration: lookup(root, `${REGISTRATION_PACKAGE}.Registration`),
    healthV1alpha1: lookup(root, `${HEALTH_V1ALPHA1_PACKAGE}.DRAResourceHealth`),
    healthV1: lookup(root, `${HEALTH_V1_PACKAGE}.DRAResourceHealth`),
  };
  cached = {
    draV1: clients.draV1.service,
    draV1beta1: clients.draV1beta1.service,
    registration: clients.registration.service,
    healthV1alpha1: clients.healthV1alpha1.service,
    healthV1: clients.healthV1.service,
    clients,
  };
  return cached;
}
