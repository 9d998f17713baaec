// Facts sysfs cannot give: link kinds (IFLA_INFO_KIND), global addresses, and which interfaces
// carry a default route. Until the native netlink binding (node-agent/src/netns/) is available to
// the inventory, these come from ONE `ip -j -d addr show` run per rescan plus /proc/net/route and
// /proc/net/ipv6_route (main table only). Discovery is not on the pod-startup path, so the ~5 ms
// spawn per rescan is acceptable (docs/discovery.md). The parsers are pure and table-tested.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wrap } from '../../../lib/util/result.js';
import type { NetlinkFacts, NetlinkLinkFacts } from './facts.js';

export interface NetlinkSource {
  read(): Promise<NetlinkFacts>;
}

interface IpAddrInfo {
  family?: unknown;
  local?: unknown;
  prefixlen?: unknown;
  scope?: unknown;
}

/** Parse `ip -j -d addr show` output. Only global-scope addresses are kept. */
export function parseIpAddrJson(json: string): Map<string, NetlinkLinkFacts> {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) throw new Error('ip -j addr: expected a JSON array');
  const out = new Map<string, NetlinkLinkFacts>();
  for (const l of parsed as unknown[]) {
    if (typeof l !== 'object' || l === null) continue;
    const link = l as { ifname?: unknown; linkinfo?: { info_kind?: unknown }; addr_info?: unknown };
    if (typeof link.ifname !== 'string') continue;
    const facts: NetlinkLinkFacts = { ipv4: [], ipv6: [] };
    if (typeof link.linkinfo?.info_kind === 'string') facts.kind = link.linkinfo.info_kind;
    for (const a of Array.isArray(link.addr_info) ? (link.addr_info as IpAddrInfo[]) : []) {
      if (a.scope !== 'global' || typeof a.local !== 'string' || typeof a.prefixlen !== 'number') continue;
      const cidr = `${a.local}/${a.prefixlen}`;
      if (a.family === 'inet') facts.ipv4.push(cidr);
      else if (a.family === 'inet6') facts.ipv6.push(cidr);
    }
    out.set(link.ifname, facts);
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

export interface IpCommandSourceOptions {
  /** `ip` binary (iproute2). */
  ipPath?: string;
  /** Root of /proc (tests). */
  procRoot?: string;
  timeoutMs?: number;
}

function runIp(ipPath: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ipPath, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (e, stdout) => {
      if (e) reject(wrap(`run ${ipPath} ${args.join(' ')}`, e));
      else resolve(stdout);
    });
  });
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return '';
    throw e;
  }
}

/** The default NetlinkSource: iproute2's JSON output plus /proc/net route tables. */
export function ipCommandSource(opts: IpCommandSourceOptions = {}): NetlinkSource {
  const ipPath = opts.ipPath ?? 'ip';
  const procRoot = opts.procRoot ?? '/proc';
  const timeoutMs = opts.timeoutMs ?? 5000;
  return {
    async read() {
      const [json, v4, v6] = await Promise.all([
        runIp(ipPath, ['-j', '-d', 'addr', 'show'], timeoutMs),
        readOptional(join(procRoot, 'net/route')),
        readOptional(join(procRoot, 'net/ipv6_route')),
      ]);
      return {
        links: parseIpAddrJson(json),
        defaultRouteIfNames: new Set([...parseProcNetRoute(v4), ...parseProcNetIpv6Route(v6)]),
      };
    },
  };
}
