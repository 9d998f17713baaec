// Typed encode/decode of NRI messages. The types are generated from proto/nri/api.proto
// (generated/nri-api.ts, `npm run gen`), so a field added, renamed or retyped in the .proto changes
// them and the code reading it stops compiling until it agrees; nothing is kept by hand.
import type { Messages } from './generated/nri-api.js';
import type { NriProto } from './nri-proto.js';
import { NRI_PACKAGE } from './nri-proto.js';

export type * from './generated/nri-api.js';

export type NriMessageName = keyof Messages;

/**
 * What encodeNri accepts for a message of type T: every field optional, recursively (protobufjs
 * fills the defaults), with the field names and value types of T.
 */
export type Encodable<T> = T extends readonly (infer U)[]
  ? readonly Encodable<U>[]
  : T extends Uint8Array
    ? Uint8Array
    : T extends object
      ? { [K in keyof T]?: Encodable<T[K]> }
      : T;

/** Fully-qualified message name in the NRI package. */
export const nriType = (short: NriMessageName): string => `${NRI_PACKAGE}.${short}`;

/**
 * Decode an NRI message into its generated view. The cast is the one place where protobufjs'
 * untyped objects meet the generated types; NriProto.decode fills defaults exactly as those types
 * say (nri-messages.test.ts checks it on the real .proto), and the message name picks the type.
 */
export function decodeNri<N extends NriMessageName>(
  proto: NriProto,
  name: N,
  bytes: Uint8Array,
): Messages[N] {
  return proto.decode(nriType(name), bytes) as Messages[N];
}

export function encodeNri<N extends NriMessageName>(
  proto: NriProto,
  name: N,
  value: Encodable<Messages[N]>,
): Uint8Array {
  return proto.encode(nriType(name), value);
}
