// Facts sysfs cannot give: link kinds (IFLA_INFO_KIND), global addresses, and which interfaces
// carry a default route. Links and addresses come from two rtnetlink dumps over the agent's netlink
// socket layer (node-agent/src/netns/netlink-socket.ts, answered inline in well under a millisecond;
// no child process), default routes from /proc/net/route and /proc/net/ipv6_route (main table only).
// The parsers are pure and table-tested.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wrap } from '../../../lib/util/result.js';
import { NetlinkSocket, type NativeNetlink } from '../netns/netlink-socket.js';
import { parseAddr, parseLink, type AddrInfo, type LinkInfo } from '../netns/rtnl-decode.js';
import { RTM_NEWADDR, RTM_NEWLINK, RT_SCOPE_UNIVERSE, dumpAddrs, dumpLinks } from '../netns/rtnl-encode.js';
import type { NetlinkFacts, NetlinkLinkFacts } from './facts.js';

export interface NetlinkSource {
  read(): Promise<NetlinkFacts>;
}

const AF_INET = 2;
const AF_INET6 = 10;

/** Kinds and global-scope addresses per interface name, from a link dump and an address dump. */
export function linkFacts(
  links: readonly LinkInfo[],
  addrs: readonly AddrInfo[],
): Map<string, NetlinkLinkFacts> {
  const out = new Map<string, NetlinkLinkFacts>();
  const byIndex = new Map<number, NetlinkLinkFacts>();
  for (const l of links) {
    if (l.ifName === '') continue;
    const facts: NetlinkLinkFacts = { ipv4: [], ipv6: [] };
    if (l.kind !== undefined) facts.kind = l.kind;
    out.set(l.ifName, facts);
    byIndex.set(l.index, facts);
  }
  for (const a of addrs) {
    const facts = byIndex.get(a.index);
    if (!facts || a.scope !== RT_SCOPE_UNIVERSE) continue;
    const cidr = `${a.address}/${a.prefixLength}`;
    if (a.family === AF_INET) facts.ipv4.push(cidr);
    else if (a.family === AF_INET6) facts.ipv6.push(cidr);
  }
  return out;
}

const RTF_UP = 0x1;
const RTF_REJECT = 0x200;

/** Interfaces with an IPv4 default route in /proc/net/route (destination and mask 0, route up). */
export function parseProcNetRoute(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, , flags, , , , mask] = f;
    if (dest === '00000000' && mask === '00000000' && (Number.parseInt(flags ?? '0', 16) & RTF_UP) !== 0) {
      out.push(iface ?? '');
    }
  }
  return out.filter((i) => i !== '');
}

/** Interfaces with an IPv6 default route (::/0, up, not a reject route) in /proc/net/ipv6_route. */
export function parseProcNetIpv6Route(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dest, plen, , , , , , , flagsHex, iface] = f;
    const flags = Number.parseInt(flagsHex ?? '0', 16);
    if (dest === '0'.repeat(32) && plen === '00' && (flags & RTF_UP) !== 0 && (flags & RTF_REJECT) === 0) {
      out.push(iface ?? '');
    }
  }
  return out.filter((i) => i !== '' && i !== 'lo');
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return '';
    throw e;
  }
}

export interface NetlinkFactsSourceOptions {
  /** Root of /proc (tests). */
  procRoot?: string;
  native?: NativeNetlink;
}

/** The default NetlinkSource: rtnetlink link and address dumps plus the /proc/net route tables. */
export function netlinkFactsSource(opts: NetlinkFactsSourceOptions = {}): NetlinkSource {
  const procRoot = opts.procRoot ?? '/proc';
  return {
    async read() {
      const dumps = async (): Promise<[LinkInfo[], AddrInfo[]]> => {
        const socket = new NetlinkSocket(opts.native ? { native: opts.native } : {});
        try {
          const links = await socket.request(dumpLinks(), 'dump links');
          const addrs = await socket.request(dumpAddrs(), 'dump addresses');
          return [
            links.filter((m) => m.type === RTM_NEWLINK).map(parseLink),
            addrs.filter((m) => m.type === RTM_NEWADDR).map(parseAddr),
          ];
        } finally {
          socket.close();
        }
      };
      const [[links, addrs], v4, v6] = await Promise.all([
        dumps().catch((e: unknown) => Promise.reject(wrap('netlink facts', e))),
        readOptional(join(procRoot, 'net/route')),
        readOptional(join(procRoot, 'net/ipv6_route')),
      ]);
      return {
        links: linkFacts(links, addrs),
        defaultRouteIfNames: new Set([...parseProcNetRoute(v4), ...parseProcNetIpv6Route(v6)]),
      };
    },
  };
}
