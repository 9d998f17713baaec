// rtnetlink request bodies for shared devices (include/uapi/linux/if_link.h, rtnetlink.h,
// pkt_sched.h): a macvlan child created directly in another namespace, deleting a link, and the
// token-bucket (tbf) root qdisc that enforces a child's egress share. Pure, like rtnl-encode.ts;
// byte layouts are table-tested in child-encode.test.ts.
import { AF_UNSPEC, macToBytes } from './addr-bytes.js';
import { NLM_F_CREATE, NLM_F_EXCL, encodeAttrs, type NlAttr } from './netlink-codec.js';
import {
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  RTM_DELLINK,
  RTM_NEWLINK,
  type RtRequest,
} from './rtnl-encode.js';

export const IFLA_LINK = 5;
export const IFLA_INFO_DATA = 2;
export const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4 } as const;
export type MacvlanMode = keyof typeof MACVLAN_MODE;

export const RTM_NEWQDISC = 36;
export const RTM_DELQDISC = 37;
export const TCA_KIND = 1;
export const TCA_OPTIONS = 2;
export const TCA_TBF_PARMS = 1;
export const TCA_TBF_RATE64 = 4;
export const TCA_TBF_BURST = 6;
export const TC_H_ROOT = 0xffffffff;
/** Handle 1: of the root qdisc knd installs. */
export const TBF_HANDLE = 0x00010000;
/** tc_ratespec.linklayer: with ETHERNET the kernel computes the rate itself (no rate table). */
export const TC_LINKLAYER_ETHERNET = 1;
/** psched ticks are 64 ns (PSCHED_SHIFT 6). */
const PSCHED_TICK_NS = 64;

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
};
const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);

function ifinfomsg(index: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(AF_UNSPEC, 0);
  b.writeInt32LE(index, 4);
  return b;
}

export interface ChildLinkSpec {
  /** ifindex of the parent in the namespace of the socket that sends the request (the host). */
  parentIndex: number;
  /** Open fd of the pod network namespace: the child is created there, never moved. */
  netnsFd: number;
  ifName: string;
  mtu?: number;
  mac: string;
  mode: MacvlanMode;
}

/**
 * RTM_NEWLINK CREATE|EXCL of a macvlan child of `parentIndex`, created in the namespace of
 * `netnsFd` with its name, MTU and MAC in ONE request. IFLA_IFNAME comes first so the socket does
 * not mistake it for a netns move (netlink-socket.ts isNetnsMove): nothing moves, nothing waits.
 * The kernel ignores IFLA_IFALIAS on create, so the marker is a second request.
 */
export function newMacvlanChild(s: ChildLinkSpec): RtRequest {
  const attrs: NlAttr[] = [
    { type: IFLA_IFNAME, value: cstr(s.ifName) },
    { type: IFLA_LINK, value: u32(s.parentIndex) },
    { type: IFLA_NET_NS_FD, value: u32(s.netnsFd) },
  ];
  if (s.mtu !== undefined) attrs.push({ type: IFLA_MTU, value: u32(s.mtu) });
  attrs.push({ type: IFLA_ADDRESS, value: macToBytes(s.mac) });
  attrs.push({
    type: IFLA_LINKINFO,
    value: [
      { type: IFLA_INFO_KIND, value: cstr('macvlan') },
      { type: IFLA_INFO_DATA, value: [{ type: IFLA_MACVLAN_MODE, value: u32(MACVLAN_MODE[s.mode]) }] },
    ],
  });
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    body: Buffer.concat([ifinfomsg(0), encodeAttrs(attrs)]),
  };
}

/** RTM_DELLINK of link `index`. */
export function delLink(index: number): RtRequest {
  return { type: RTM_DELLINK, flags: 0, body: ifinfomsg(index) };
}

export interface TbfSpec {
  /** Egress rate, bits per second (> 0). */
  rateBitsPerSecond: number;
  /** Bucket size, bytes: the largest burst sent at line rate. */
  burstBytes: number;
  /** Bytes that may wait in the queue before packets are dropped. */
  limitBytes: number;
}

function tcmsg(index: number, handle: number, parent: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt8(AF_UNSPEC, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(handle >>> 0, 8);
  b.writeUInt32LE(parent >>> 0, 12);
  return b;
}

/** struct tc_tbf_qopt: rate and peakrate tc_ratespec (12 bytes each), limit, buffer, mtu. */
function tbfQopt(t: TbfSpec, rateBytes: number): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt8(TC_LINKLAYER_ETHERNET, 1);
  b.writeUInt32LE(Math.min(rateBytes, 0xffffffff), 8);
  b.writeUInt32LE(t.limitBytes >>> 0, 24);
  const bufferTicks = Math.min(Math.ceil((t.burstBytes * 1e9) / rateBytes / PSCHED_TICK_NS), 0xffffffff);
  b.writeUInt32LE(bufferTicks, 28);
  return b;
}

/** RTM_NEWQDISC CREATE|EXCL of a tbf root qdisc (handle 1:) on link `index`, or its RTM_DELQDISC. */
export function tbfRootQdisc(op: 'add' | 'del', index: number, t?: TbfSpec): RtRequest {
  if (op === 'del') {
    return { type: RTM_DELQDISC, flags: 0, body: Buffer.concat([tcmsg(index, 0, TC_H_ROOT)]) };
  }
  if (t === undefined) throw new Error('tbf qdisc: no rate given');
  if (!(t.rateBitsPerSecond > 0) || !(t.burstBytes > 0) || !(t.limitBytes > 0))
    throw new Error(`tbf qdisc: rate, burst and limit must be positive (${JSON.stringify(t)})`);
  const rateBytes = Math.floor(t.rateBitsPerSecond / 8);
  const opts: NlAttr[] = [{ type: TCA_TBF_PARMS, value: tbfQopt(t, rateBytes) }];
  if (rateBytes > 0xffffffff) {
    const r64 = Buffer.alloc(8);
    r64.writeBigUInt64LE(BigInt(rateBytes), 0);
    opts.push({ type: TCA_TBF_RATE64, value: r64 });
  }
  opts.push({ type: TCA_TBF_BURST, value: u32(t.burstBytes) });
  const attrs: NlAttr[] = [
    { type: TCA_KIND, value: cstr('tbf') },
    { type: TCA_OPTIONS, value: opts },
  ];
  return {
    type: RTM_NEWQDISC,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    body: Buffer.concat([tcmsg(index, TBF_HANDLE, TC_H_ROOT), encodeAttrs(attrs)]),
  };
}
