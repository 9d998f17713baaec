// rtnetlink reply parsing: links, addresses and routes from RTM_NEWLINK/NEWADDR/NEWROUTE messages
// (dump or single-get replies). Pure; table-tested against known byte layouts.
import { bytesToIp, bytesToMac } from './addr-bytes.js';
import { decodeAttrs, type NlMessage } from './netlink-codec.js';
import {
  IFA_ADDRESS,
  IFA_FLAGS,
  IFA_LOCAL,
  IFF_LOWER_UP,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_OPERSTATE,
  RTA_DST,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
} from './rtnl-encode.js';

export interface LinkInfo {
  index: number;
  ifName: string;
  mtu: number;
  /** Empty for links without a hardware address. */
  mac: string;
  up: boolean;
  /** IFF_LOWER_UP: the link has carrier (set by every parsed message; absent in hand-made values). */
  lowerUp?: boolean;
  /** RFC 2863 operational state as sysfs names it (up, down, lowerlayerdown, ...), when reported. */
  operstate?: string;
  alias?: string;
  kind?: string;
}

/** IF_OPER_* (linux/if.h) -> the names /sys/class/net/<if>/operstate uses. */
const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

export interface AddrInfo {
  index: number;
  family: number;
  prefixLength: number;
  scope: number;
  flags: number;
  address: string;
}

export interface RouteInfo {
  family: number;
  destination: string;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  oif?: number;
  gateway?: string;
  source?: string;
  metric?: number;
}

const str = (b: Buffer | undefined): string | undefined =>
  b === undefined ? undefined : b.toString('utf8').replace(/\0+$/, '');

function need(msg: NlMessage, type: number, bytes: number, what: string): void {
  if (msg.type !== type) throw new Error(`${what}: message type ${msg.type}, expected ${type}`);
  if (msg.payload.length < bytes)
    throw new Error(`${what}: ${msg.payload.length} bytes, header needs ${bytes}`);
}

export function parseLink(msg: NlMessage): LinkInfo {
  need(msg, RTM_NEWLINK, 16, 'link message');
  const p = msg.payload;
  const attrs = decodeAttrs(p.subarray(16));
  const link: LinkInfo = {
    index: p.readInt32LE(4),
    ifName: str(attrs.get(IFLA_IFNAME)) ?? '',
    mtu: attrs.get(IFLA_MTU)?.readUInt32LE(0) ?? 0,
    mac: attrs.has(IFLA_ADDRESS) ? bytesToMac(attrs.get(IFLA_ADDRESS) ?? Buffer.alloc(0)) : '',
    up: (p.readUInt32LE(8) & IFF_UP) !== 0,
    lowerUp: (p.readUInt32LE(8) & IFF_LOWER_UP) !== 0,
  };
  const oper = attrs.get(IFLA_OPERSTATE);
  if (oper !== undefined && oper.length >= 1) link.operstate = OPERSTATES[oper.readUInt8(0)] ?? 'unknown';
  const alias = str(attrs.get(IFLA_IFALIAS));
  if (alias !== undefined && alias !== '') link.alias = alias;
  const info = attrs.get(IFLA_LINKINFO);
  const kind = info === undefined ? undefined : str(decodeAttrs(info).get(IFLA_INFO_KIND));
  if (kind !== undefined) link.kind = kind;
  return link;
}

export function parseAddr(msg: NlMessage): AddrInfo {
  need(msg, RTM_NEWADDR, 8, 'address message');
  const p = msg.payload;
  const attrs = decodeAttrs(p.subarray(8));
  const bytes = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
  if (bytes === undefined) throw new Error('address message without IFA_LOCAL/IFA_ADDRESS');
  return {
    family: p.readUInt8(0),
    prefixLength: p.readUInt8(1),
    flags: attrs.get(IFA_FLAGS)?.readUInt32LE(0) ?? p.readUInt8(2),
    scope: p.readUInt8(3),
    index: p.readUInt32LE(4),
    address: bytesToIp(bytes),
  };
}

export function parseRoute(msg: NlMessage): RouteInfo {
  need(msg, RTM_NEWROUTE, 12, 'route message');
  const p = msg.payload;
  const attrs = decodeAttrs(p.subarray(12));
  const family = p.readUInt8(0);
  const dstLen = p.readUInt8(1);
  const dst = attrs.get(RTA_DST);
  const zero = family === 2 ? '0.0.0.0' : '::';
  const r: RouteInfo = {
    family,
    destination: `${dst === undefined ? zero : bytesToIp(dst)}/${dstLen}`,
    table: attrs.get(RTA_TABLE)?.readUInt32LE(0) ?? p.readUInt8(4),
    protocol: p.readUInt8(5),
    scope: p.readUInt8(6),
    type: p.readUInt8(7),
  };
  const oif = attrs.get(RTA_OIF);
  if (oif !== undefined) r.oif = oif.readUInt32LE(0);
  const gw = attrs.get(RTA_GATEWAY);
  if (gw !== undefined) r.gateway = bytesToIp(gw);
  const src = attrs.get(RTA_PREFSRC);
  if (src !== undefined) r.source = bytesToIp(src);
  const metric = attrs.get(RTA_PRIORITY);
  if (metric !== undefined) r.metric = metric.readUInt32LE(0);
  return r;
}
