// The protobuf codec the ttrpc server and client use for their envelopes (`ttrpc.Request`,
// `ttrpc.Response` with a `google.rpc.Status`). The transport does not load .proto files itself: the
// owner passes a codec that knows those two messages (nri-proto.ts loads them with the NRI API).
//
// Contract: encode takes a plain object and returns the wire bytes; decode returns a plain object
// with every field present (defaults filled) and throws on malformed bytes, which the server and
// client map to INVALID_ARGUMENT / INTERNAL for that one call.
export type TtrpcEnvelope = 'ttrpc.Request' | 'ttrpc.Response';

export interface TtrpcCodec {
  encode(name: TtrpcEnvelope, value: object): Uint8Array;
  decode(name: TtrpcEnvelope, bytes: Uint8Array): Record<string, unknown>;
}
