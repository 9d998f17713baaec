// Typed rtnetlink operations on one NetlinkSocket (one network namespace). Thin: each method is
// one request built by rtnl-encode.ts and parsed by rtnl-decode.ts. Contract as netlink-socket.ts.
import { AF_INET, AF_INET6 } from './addr-bytes.js';
import { NetlinkError } from './netlink-codec.js';
import type { NetlinkSocket } from './netlink-socket.js';
import {
  parseAddr,
  parseLink,
  parseRoute,
  type AddrInfo,
  type LinkInfo,
  type RouteInfo,
} from './rtnl-decode.js';
import * as enc from './rtnl-encode.js';

export class RtnlClient {
  readonly sock: NetlinkSocket;
  constructor(sock: NetlinkSocket) {
    this.sock = sock;
  }

  /** The link, or undefined when the kernel answers ENODEV. */
  async link(by: { index: number } | { ifName: string }): Promise<LinkInfo | undefined> {
    try {
      const msgs = await this.sock.request(enc.getLink(by), `get link ${JSON.stringify(by)}`);
      const first = msgs[0];
      return first === undefined ? undefined : parseLink(first);
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'ENODEV') return undefined;
      throw e;
    }
  }

  async links(): Promise<LinkInfo[]> {
    return (await this.sock.request(enc.dumpLinks(), 'dump links')).map(parseLink);
  }

  async addresses(index?: number): Promise<AddrInfo[]> {
    const all = (await this.sock.request(enc.dumpAddrs(index), 'dump addresses')).map(parseAddr);
    return index === undefined ? all : all.filter((a) => a.index === index);
  }

  async routes(oif?: number): Promise<RouteInfo[]> {
    const out: RouteInfo[] = [];
    for (const family of [AF_INET, AF_INET6]) {
      const msgs = await this.sock.request(enc.dumpRoutes(family, oif), `dump routes (family ${family})`);
      for (const m of msgs) {
        const r = parseRoute(m);
        if (oif === undefined || r.oif === oif) out.push(r);
      }
    }
    return out;
  }

  async setLink(index: number, change: enc.LinkChange, what: string): Promise<void> {
    await this.sock.request(enc.setLink(index, change), what);
  }

  /** Any request built by an encoder of this folder that the kernel answers with an ACK. */
  async send(req: enc.RtRequest, what: string): Promise<void> {
    await this.sock.request(req, what);
  }

  async address(op: 'add' | 'del', index: number, cidr: string): Promise<void> {
    await this.sock.request(enc.address(op, index, cidr), `${op} address ${cidr}`);
  }

  async route(op: 'add' | 'del', index: number, r: enc.RouteSpec): Promise<void> {
    const via = r.gateway === undefined ? '' : ` via ${r.gateway}`;
    await this.sock.request(enc.route(op, index, r), `${op} route ${r.destination}${via}`);
  }

  async rule(op: 'add' | 'del', r: enc.RuleSpec): Promise<void> {
    await this.sock.request(enc.rule(op, r), `${op} rule to table ${r.table}`);
  }

  async neighbor(
    op: 'add' | 'del',
    index: number,
    n: { destination: string; hardwareAddr: string },
  ): Promise<void> {
    await this.sock.request(enc.neighbor(op, index, n), `${op} neighbor ${n.destination}`);
  }
}

/** Run `fn`, treating the listed errno names as success (for idempotent adds and deletes). */
export async function tolerate(fn: () => Promise<void>, ...codes: string[]): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof NetlinkError && codes.includes(e.code)) return;
    throw e;
  }
}
