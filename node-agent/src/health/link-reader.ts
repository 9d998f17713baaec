// Reads link state for the health monitor: one rtnetlink link dump in the host namespace, or in a
// pod's network namespace (a socket opened there, the link knd moved in), over the agent's netlink
// socket layer (node-agent/src/netns/netlink-socket.ts; no child process), and the RDMA port
// states from sysfs. Read-only. A failure (namespace gone, addon missing) rejects with what was
// read; the monitor logs it and treats the place as unobserved. linkStates is pure.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wrap } from '../../../lib/util/result.js';
import { NetlinkSocket } from '../netns/netlink-socket.js';
import { parseLink, type LinkInfo } from '../netns/rtnl-decode.js';
import { RTM_NEWLINK, dumpLinks } from '../netns/rtnl-encode.js';

export interface LinkState {
  adminUp: boolean;
  carrier: boolean;
  /** Lower case, as sysfs says it: up, down, lowerlayerdown, ... */
  operstate: string;
}

export const HOST_PLACE = 'host';

/** Parsed RTM_NEWLINK messages -> state per interface name. */
export function linkStates(links: readonly LinkInfo[]): Map<string, LinkState> {
  const out = new Map<string, LinkState>();
  for (const l of links) {
    if (l.ifName === '') continue;
    out.set(l.ifName, { adminUp: l.up, carrier: l.lowerUp === true, operstate: l.operstate ?? 'unknown' });
  }
  return out;
}

/** Every link of `place` (HOST_PLACE or a network namespace path). */
export async function readLinks(place: string): Promise<Map<string, LinkState>> {
  try {
    const socket = new NetlinkSocket(place === HOST_PLACE ? {} : { netnsPath: place });
    try {
      const msgs = await socket.request(dumpLinks(), 'dump links');
      return linkStates(msgs.filter((m) => m.type === RTM_NEWLINK).map(parseLink));
    } finally {
      socket.close();
    }
  } catch (e) {
    throw wrap(`read links of ${place}`, e);
  }
}

/** `ports/<n>/state` of an RDMA device, e.g. ["4: ACTIVE"]; empty when it has no ports dir. */
export async function readRdmaPortStates(sysfsRoot: string, rdmaDevice: string): Promise<string[]> {
  const dir = join(sysfsRoot, 'class', 'infiniband', rdmaDevice, 'ports');
  const ports = await readdir(dir).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw wrap(`read ${dir}`, e);
  });
  return Promise.all(ports.sort().map(async (p) => (await readFile(join(dir, p, 'state'), 'utf8')).trim()));
}
