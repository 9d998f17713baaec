// Netlink framing (RFC 3549, include/uapi/linux/netlink.h): message headers, attributes (TLVs,
// 4-byte aligned, nested), and the kernel's error/ACK message with extended-ACK TLVs. Pure: bytes
// in, bytes out; table-tested against known layouts in netlink-codec.test.ts. Host byte order is
// little-endian (x86-64/arm64), as netlink uses native order.
import { errnoName } from './errno-names.js';

export const NLMSG_HDR_BYTES = 16;
export const NLA_HDR_BYTES = 4;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
/** In an NLMSG_ERROR: the request echo was capped (NETLINK_CAP_ACK). */
export const NLM_F_CAPPED = 0x100;
/** In an NLMSG_ERROR: extended-ACK TLVs follow. */
export const NLM_F_ACK_TLVS = 0x200;
export const NLM_F_DUMP_INTR = 0x10;

const NLA_TYPE_MASK = 0x3fff;
export const NLA_F_NESTED = 0x8000;
const NLMSGERR_ATTR_MSG = 1;

export const align4 = (n: number): number => (n + 3) & ~3;

export interface NlHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export interface NlMessage extends NlHeader {
  /** Bytes after the 16-byte header (up to nlmsg_len). */
  payload: Buffer;
}

/** An attribute to encode: raw bytes, or nested attributes. */
export interface NlAttr {
  type: number;
  value: Buffer | NlAttr[];
}

export function encodeAttrs(attrs: readonly NlAttr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const body = Array.isArray(a.value) ? encodeAttrs(a.value) : a.value;
    const len = NLA_HDR_BYTES + body.length;
    if (len > 0xffff) throw new Error(`netlink attribute ${a.type}: ${len} bytes exceeds 65535`);
    const hdr = Buffer.alloc(NLA_HDR_BYTES);
    hdr.writeUInt16LE(len, 0);
    hdr.writeUInt16LE(Array.isArray(a.value) ? a.type | NLA_F_NESTED : a.type, 2);
    parts.push(hdr, body, Buffer.alloc(align4(len) - len));
  }
  return Buffer.concat(parts);
}

/** Attributes of a message body, last one wins per type (type masked of NESTED/BYTEORDER flags). */
export function decodeAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + NLA_HDR_BYTES <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDR_BYTES || off + len > buf.length) {
      throw new Error(`netlink attribute at offset ${off}: length ${len} outside ${buf.length} bytes`);
    }
    out.set(type, buf.subarray(off + NLA_HDR_BYTES, off + len));
    off += align4(len);
  }
  return out;
}

export function encodeMessage(hdr: NlHeader, body: Buffer): Buffer {
  const out = Buffer.alloc(NLMSG_HDR_BYTES + body.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(hdr.type, 4);
  out.writeUInt16LE(hdr.flags, 6);
  out.writeUInt32LE(hdr.seq >>> 0, 8);
  out.writeUInt32LE(hdr.pid >>> 0, 12);
  body.copy(out, NLMSG_HDR_BYTES);
  return out;
}

/** Split a byte stream of netlink messages; throws on a truncated or malformed header. */
export function decodeMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + NLMSG_HDR_BYTES > buf.length) {
      throw new Error(`netlink message at offset ${off}: ${buf.length - off} bytes, header needs 16`);
    }
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDR_BYTES || off + len > buf.length) {
      throw new Error(`netlink message at offset ${off}: length ${len} outside ${buf.length} bytes`);
    }
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDR_BYTES, off + len),
    });
    off += align4(len);
  }
  return out;
}

export interface NlErrorInfo {
  /** 0 for an ACK, else the positive errno. */
  errno: number;
  /** The kernel's extended-ACK message, when it sent one. */
  message?: string;
}

/** Parse an NLMSG_ERROR payload: int32 -errno, the request header (or whole request), TLVs. */
export function parseErrorMessage(msg: NlMessage): NlErrorInfo {
  if (msg.payload.length < 4) throw new Error('netlink error message shorter than 4 bytes');
  const errno = -msg.payload.readInt32LE(0);
  const info: NlErrorInfo = { errno };
  if ((msg.flags & NLM_F_ACK_TLVS) === 0 || msg.payload.length < 4 + NLMSG_HDR_BYTES) return info;
  const echoedLen = msg.payload.readUInt32LE(4);
  const echoBytes = (msg.flags & NLM_F_CAPPED) !== 0 ? NLMSG_HDR_BYTES : align4(echoedLen);
  const tlvStart = 4 + echoBytes;
  if (tlvStart > msg.payload.length) return info;
  const text = decodeAttrs(msg.payload.subarray(tlvStart)).get(NLMSGERR_ATTR_MSG);
  if (text !== undefined) info.message = text.toString('utf8').replace(/\0+$/, '');
  return info;
}

/** A netlink request the kernel refused. `code` is the errno name (EEXIST, ENODEV, ...). */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  constructor(what: string, errno: number, kernelMessage?: string) {
    const name = errnoName(errno);
    super(`${what}: ${name}${kernelMessage ? ` (${kernelMessage})` : ''}`);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = name;
  }
}
