// rtnetlink request bodies (include/uapi/linux/rtnetlink.h, if_link.h, if_addr.h, fib_rules.h,
// neighbour.h). Each builder returns the message type, the flags beyond REQUEST|ACK and the body
// (fixed header + attributes); netlink-socket.ts frames it. Pure; byte layouts are table-tested.
import { AF_INET, AF_INET6, AF_UNSPEC, familyOf, ipToBytes, macToBytes, splitCidr } from './addr-bytes.js';
import {
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  encodeAttrs,
  type NlAttr,
} from './netlink-codec.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINKINFO = 18;
export const IFLA_IFALIAS = 20;
export const IFLA_NET_NS_FD = 28;
export const IFLA_INFO_KIND = 1;
export const IFLA_OPERSTATE = 16;
export const IFF_UP = 0x1;
/** The driver signals L1 up (carrier), as `ip link` shows LOWER_UP. */
export const IFF_LOWER_UP = 0x10000;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_FLAGS = 8;

export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_TABLE = 15;

export const RT_TABLE_COMPAT = 252;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;
export const RTPROT_KERNEL = 2;
export const RTPROT_STATIC = 4;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RTN_UNICAST = 1;

export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_PRIORITY = 6;
export const FRA_TABLE = 15;
export const FR_ACT_TO_TBL = 1;

export const NDA_DST = 1;
export const NDA_LLADDR = 2;
export const NUD_PERMANENT = 0x80;

export interface RtRequest {
  type: number;
  /** Flags besides NLM_F_REQUEST (the socket adds REQUEST, and ACK unless dumping). */
  flags: number;
  body: Buffer;
}

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
};
const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);

function ifinfomsg(family: number, index: number, flags: number, change: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

export interface LinkChange {
  /** Move into the network namespace of this open fd (IFLA_NET_NS_FD). */
  netnsFd?: number;
  ifName?: string;
  mtu?: number;
  mac?: string;
  /** IFLA_IFALIAS; the empty string removes the alias. */
  alias?: string;
  /** Set (true) or clear (false) IFF_UP; unset leaves it. */
  up?: boolean;
}

/** RTM_NEWLINK on an existing link (no CREATE): move, rename, MTU, MAC, alias and up in ONE message. */
export function setLink(index: number, c: LinkChange): RtRequest {
  const attrs: NlAttr[] = [];
  if (c.netnsFd !== undefined) attrs.push({ type: IFLA_NET_NS_FD, value: u32(c.netnsFd) });
  if (c.ifName !== undefined) attrs.push({ type: IFLA_IFNAME, value: cstr(c.ifName) });
  if (c.mtu !== undefined) attrs.push({ type: IFLA_MTU, value: u32(c.mtu) });
  if (c.mac !== undefined) attrs.push({ type: IFLA_ADDRESS, value: macToBytes(c.mac) });
  if (c.alias !== undefined) attrs.push({ type: IFLA_IFALIAS, value: Buffer.from(c.alias, 'utf8') });
  const upFlags = c.up === undefined ? 0 : c.up ? IFF_UP : 0;
  const change = c.up === undefined ? 0 : IFF_UP;
  return {
    type: RTM_NEWLINK,
    flags: 0,
    body: Buffer.concat([ifinfomsg(AF_UNSPEC, index, upFlags, change), encodeAttrs(attrs)]),
  };
}

/** RTM_GETLINK of one link by index (> 0) or by name. */
export function getLink(by: { index: number } | { ifName: string }): RtRequest {
  const index = 'index' in by ? by.index : 0;
  const attrs: NlAttr[] = 'ifName' in by ? [{ type: IFLA_IFNAME, value: cstr(by.ifName) }] : [];
  return {
    type: RTM_GETLINK,
    flags: 0,
    body: Buffer.concat([ifinfomsg(AF_UNSPEC, index, 0, 0), encodeAttrs(attrs)]),
  };
}

export function dumpLinks(): RtRequest {
  return { type: RTM_GETLINK, flags: NLM_F_DUMP, body: ifinfomsg(AF_UNSPEC, 0, 0, 0) };
}

/** Address dump; with NETLINK_GET_STRICT_CHK the kernel returns only link `index` (0 = all). */
export function dumpAddrs(index = 0): RtRequest {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(index, 4);
  return { type: RTM_GETADDR, flags: NLM_F_DUMP, body: b };
}

/** Route dump of one family, all tables; with strict checking filtered to output link `oif`. */
export function dumpRoutes(family: number, oif?: number): RtRequest {
  const b = Buffer.alloc(12);
  b.writeUInt8(family, 0);
  const attrs: NlAttr[] = oif === undefined ? [] : [{ type: RTA_OIF, value: u32(oif) }];
  return { type: RTM_GETROUTE, flags: NLM_F_DUMP, body: Buffer.concat([b, encodeAttrs(attrs)]) };
}

/** RTM_NEWADDR (CREATE|EXCL) or RTM_DELADDR of `cidr` on link `index`. */
export function address(op: 'add' | 'del', index: number, cidr: string): RtRequest {
  const { address: addr, prefixLength, family } = splitCidr(cidr);
  const hdr = Buffer.alloc(8);
  hdr.writeUInt8(family, 0);
  hdr.writeUInt8(prefixLength, 1);
  hdr.writeUInt8(RT_SCOPE_UNIVERSE, 3);
  hdr.writeUInt32LE(index, 4);
  const bytes = ipToBytes(addr);
  const attrs: NlAttr[] = [
    { type: IFA_LOCAL, value: bytes },
    { type: IFA_ADDRESS, value: bytes },
  ];
  return {
    type: op === 'add' ? RTM_NEWADDR : RTM_DELADDR,
    flags: op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0,
    body: Buffer.concat([hdr, encodeAttrs(attrs)]),
  };
}

export interface RouteSpec {
  destination: string;
  gateway?: string;
  source?: string;
  table?: number;
  scope?: number;
  metric?: number;
  /** RTPROT_* (default static). */
  protocol?: number;
}

/** RTM_NEWROUTE (CREATE|EXCL) or RTM_DELROUTE through link `index`. */
export function route(op: 'add' | 'del', index: number, r: RouteSpec): RtRequest {
  const dst = splitCidr(r.destination);
  const table = r.table ?? RT_TABLE_MAIN;
  const scope = r.scope ?? (r.gateway === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  const hdr = Buffer.alloc(12);
  hdr.writeUInt8(dst.family, 0);
  hdr.writeUInt8(dst.prefixLength, 1);
  hdr.writeUInt8(table < 256 ? table : RT_TABLE_COMPAT, 4);
  hdr.writeUInt8(op === 'add' ? (r.protocol ?? RTPROT_STATIC) : 0, 5);
  hdr.writeUInt8(op === 'add' ? scope : 0, 6);
  hdr.writeUInt8(RTN_UNICAST, 7);
  const attrs: NlAttr[] = [{ type: RTA_TABLE, value: u32(table) }];
  if (dst.prefixLength > 0) attrs.push({ type: RTA_DST, value: ipToBytes(dst.address) });
  if (r.gateway !== undefined) {
    if (familyOf(r.gateway) !== dst.family)
      throw new Error(`route ${r.destination}: gateway ${r.gateway} is of another family`);
    attrs.push({ type: RTA_GATEWAY, value: ipToBytes(r.gateway) });
  }
  if (r.source !== undefined) attrs.push({ type: RTA_PREFSRC, value: ipToBytes(r.source) });
  if (r.metric !== undefined) attrs.push({ type: RTA_PRIORITY, value: u32(r.metric) });
  attrs.push({ type: RTA_OIF, value: u32(index) });
  return {
    type: op === 'add' ? RTM_NEWROUTE : RTM_DELROUTE,
    flags: op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0,
    body: Buffer.concat([hdr, encodeAttrs(attrs)]),
  };
}

export interface RuleSpec {
  priority?: number;
  source?: string;
  destination?: string;
  table: number;
}

/** RTM_NEWRULE (CREATE|EXCL) or RTM_DELRULE: "from SRC to DST lookup TABLE priority N". */
export function rule(op: 'add' | 'del', r: RuleSpec): RtRequest {
  const src = r.source === undefined ? undefined : splitCidr(r.source);
  const dst = r.destination === undefined ? undefined : splitCidr(r.destination);
  const family = src?.family ?? dst?.family ?? AF_INET;
  if (src && dst && src.family !== dst.family)
    throw new Error('rule: source and destination are of different families');
  const hdr = Buffer.alloc(12);
  hdr.writeUInt8(family, 0);
  hdr.writeUInt8(dst?.prefixLength ?? 0, 1);
  hdr.writeUInt8(src?.prefixLength ?? 0, 2);
  hdr.writeUInt8(r.table < 256 ? r.table : RT_TABLE_COMPAT, 4);
  hdr.writeUInt8(FR_ACT_TO_TBL, 7);
  const attrs: NlAttr[] = [{ type: FRA_TABLE, value: u32(r.table) }];
  if (r.priority !== undefined) attrs.push({ type: FRA_PRIORITY, value: u32(r.priority) });
  if (src) attrs.push({ type: FRA_SRC, value: ipToBytes(src.address) });
  if (dst) attrs.push({ type: FRA_DST, value: ipToBytes(dst.address) });
  return {
    type: op === 'add' ? RTM_NEWRULE : RTM_DELRULE,
    flags: op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0,
    body: Buffer.concat([hdr, encodeAttrs(attrs)]),
  };
}

/** RTM_NEWNEIGH (CREATE|REPLACE, permanent) or RTM_DELNEIGH on link `index`. */
export function neighbor(
  op: 'add' | 'del',
  index: number,
  n: { destination: string; hardwareAddr: string },
): RtRequest {
  const family = familyOf(n.destination);
  const hdr = Buffer.alloc(12);
  hdr.writeUInt8(family === AF_INET6 ? AF_INET6 : AF_INET, 0);
  hdr.writeInt32LE(index, 4);
  hdr.writeUInt16LE(NUD_PERMANENT, 8);
  const attrs: NlAttr[] = [{ type: NDA_DST, value: ipToBytes(n.destination) }];
  if (op === 'add') attrs.push({ type: NDA_LLADDR, value: macToBytes(n.hardwareAddr) });
  return {
    type: op === 'add' ? RTM_NEWNEIGH : RTM_DELNEIGH,
    flags: op === 'add' ? NLM_F_CREATE | NLM_F_REPLACE : 0,
    body: Buffer.concat([hdr, encodeAttrs(attrs)]),
  };
}
