// Reads link state for the health monitor: `ip -j link show` in the host namespace, or inside a
// pod's network namespace through `nsenter --net=<path>` (the link knd moved there), and the RDMA
// port states from sysfs. Read-only. Each command is abandoned after timeoutMs (default 2 s); a
// failure rejects with the command and its stderr (the monitor logs it and treats the place as
// unobserved). parseIpLinkJson is pure.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wrap } from '../../../lib/util/result.js';

export interface LinkState {
  adminUp: boolean;
  carrier: boolean;
  /** Lower case, as sysfs says it: up, down, lowerlayerdown, ... */
  operstate: string;
}

export const HOST_PLACE = 'host';

/** `ip -j link show` output -> state per interface name. Throws on output that is not a JSON list. */
export function parseIpLinkJson(text: string): Map<string, LinkState> {
  const list: unknown = JSON.parse(text);
  if (!Array.isArray(list)) throw new Error('ip -j link show: expected a JSON list');
  const out = new Map<string, LinkState>();
  for (const l of list as { ifname?: unknown; flags?: unknown; operstate?: unknown }[]) {
    if (typeof l.ifname !== 'string') continue;
    const flags = Array.isArray(l.flags) ? (l.flags as unknown[]) : [];
    out.set(l.ifname, {
      adminUp: flags.includes('UP'),
      carrier: flags.includes('LOWER_UP') && !flags.includes('NO-CARRIER'),
      operstate: typeof l.operstate === 'string' ? l.operstate.toLowerCase() : 'unknown',
    });
  }
  return out;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(wrap(`${cmd} ${args.join(' ')}`, new Error(stderr.trim() || err.message)));
      else resolve(stdout);
    });
  });
}

/** Every link of `place` (HOST_PLACE or a network namespace path). */
export async function readLinks(place: string, timeoutMs = 2000): Promise<Map<string, LinkState>> {
  const ip = ['-j', 'link', 'show'];
  const text =
    place === HOST_PLACE
      ? await run('ip', ip, timeoutMs)
      : await run('nsenter', [`--net=${place}`, 'ip', ...ip], timeoutMs);
  return parseIpLinkJson(text);
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
