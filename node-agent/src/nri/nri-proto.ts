// Loads the NRI and ttrpc .proto files under proto/nri/ with protobufjs and exposes typed
// encode/decode helpers. Pure apart from the one synchronous file read at load time.
//
// Contract: called once per process (loadNriProto caches by directory). Decoding never throws for
// a well-formed protobuf with unknown fields (they are skipped); it throws on malformed bytes, and
// the caller (ttrpc server/client) maps that to INTERNAL or a closed connection.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { PACKAGE, Plugin, Runtime } from './generated/nri-api.js';

export interface NriProto {
  root: protobuf.Root;
  /** A message type by fully-qualified name, e.g. `nri.pkg.api.v1alpha1.PodSandbox`. */
  type(name: string): protobuf.Type;
  encode(name: string, value: object): Uint8Array;
  /** Decode into a plain object with every field present (defaults filled, int64 as number). */
  decode(name: string, bytes: Uint8Array): Record<string, unknown>;
}

export const NRI_PACKAGE = PACKAGE;
export const NRI_PLUGIN_SERVICE = Plugin.name;
export const NRI_RUNTIME_SERVICE = Runtime.name;

const FILES = ['api.proto', 'ttrpc/request.proto', 'google/rpc/status.proto'];

/**
 * Walk up from this module until a `proto/nri/api.proto` is found (works from src and from a dist
 * tree inside the repository or image); then try the working directory.
 */
export function findProtoDir(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = startDir;
  for (;;) {
    const candidate = join(dir, 'proto', 'nri');
    if (existsSync(join(candidate, 'api.proto'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const fromCwd = join(process.cwd(), 'proto', 'nri');
  if (existsSync(join(fromCwd, 'api.proto'))) return fromCwd;
  throw new Error(`find proto/nri/api.proto: not found above ${startDir} nor in ${process.cwd()}`);
}

const cache = new Map<string, NriProto>();

export function loadNriProto(protoDir: string = findProtoDir()): NriProto {
  const cached = cache.get(protoDir);
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(protoDir, target));
  root.loadSync(
    FILES.map((f) => join(protoDir, f)),
    { keepCase: true },
  );
  root.resolveAll();
  const types = new Map<string, protobuf.Type>();
  const type = (name: string): protobuf.Type => {
    let t = types.get(name);
    if (!t) {
      t = root.lookupType(name);
      types.set(name, t);
    }
    return t;
  };
  const proto: NriProto = {
    root,
    type,
    encode: (name, value) => {
      const t = type(name);
      return t.encode(t.fromObject(value)).finish();
    },
    decode: (name, bytes) => {
      const t = type(name);
      return t.toObject(t.decode(bytes), {
        longs: Number,
        enums: Number,
        defaults: true,
        arrays: true,
        objects: true,
      });
    },
  };
  cache.set(protoDir, proto);
  return proto;
}
