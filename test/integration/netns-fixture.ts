// Kernel-tier fixture for the netns tests and bench: network namespaces and veth pairs made with
// iproute2 (the test's independent view of the kernel), and a snapshot of a link's host state as
// `ip -j` reports it. Needs root. Names start with the caller's prefix; cleanup() removes them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DevicePlan } from '../../node-agent/src/plan-store/plan.js';

const run = promisify(execFile);

export async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args);
  return stdout;
}

export async function ipJson<T>(...args: string[]): Promise<T> {
  return JSON.parse((await ip('-j', ...args)) || '[]') as T;
}

interface IpLink {
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  ifalias?: string;
}
interface IpAddr {
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
}

export interface LinkSnapshot {
  ifName: string;
  mtu: number;
  mac: string;
  up: boolean;
  alias: string | null;
  addresses: string[];
  routes: string[];
}

/** The link as `ip -j` sees it in netns `ns` (undefined = root); undefined when absent. */
export async function snapshot(ifName: string, ns?: string): Promise<LinkSnapshot | undefined> {
  try {
    return await snapshotOrThrow(ifName, ns);
  } catch (e) {
    // The link (or netns) vanished between two `ip` calls: absent.
    if (/does not exist|Cannot open network namespace/.test(String((e as { stderr?: unknown }).stderr)))
      return undefined;
    throw e;
  }
}

async function snapshotOrThrow(ifName: string, ns?: string): Promise<LinkSnapshot | undefined> {
  const pre = ns === undefined ? [] : ['-n', ns];
  let links: IpLink[];
  try {
    links = await ipJson<IpLink[]>(...pre, 'link', 'show', 'dev', ifName);
  } catch {
    return undefined;
  }
  const link = links[0];
  if (link === undefined) return undefined;
  const addrs = await ipJson<IpAddr[]>(...pre, 'addr', 'show', 'dev', ifName);
  const routes: string[] = [];
  for (const fam of ['-4', '-6']) {
    for (const r of await ipJson<IpRoute[]>(...pre, fam, 'route', 'show', 'table', 'all', 'dev', ifName)) {
      if (
        r.protocol === 'kernel' ||
        r.dst.startsWith('fe80') ||
        r.dst.startsWith('ff00') ||
        r.dst.startsWith('local') ||
        r.dst.startsWith('multicast')
      )
        continue;
      routes.push(
        `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.scope ? ` scope ${r.scope}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`,
      );
    }
  }
  return {
    ifName: link.ifname,
    mtu: link.mtu,
    mac: link.address,
    up: link.flags.includes('UP'),
    alias: link.ifalias ?? null,
    addresses: (addrs[0]?.addr_info ?? [])
      .filter((a) => a.scope === 'global')
      .map((a) => `${a.local}/${a.prefixlen}`)
      .sort(),
    routes: routes.sort(),
  };
}

export interface VethFixture {
  pod: string;
  podPath: string;
  helper: string;
  hostIf: string;
  peerIf: string;
  /** Host /32 v4 address and v6 /64 on hostIf, plus two host routes through it. */
  hostAddresses: string[];
  cleanup(): Promise<void>;
}

let counter = 0;

/** A pod netns, a helper netns, and a veth pair: hostIf (root ns, UP, addresses, routes) <-> peer (helper, down). */
export async function makeVethFixture(prefix: string): Promise<VethFixture> {
  counter++;
  const tag = `${prefix}${process.pid % 1000}${counter}`;
  const n = 10 + ((process.pid + counter) % 200);
  const f: VethFixture = {
    pod: `${tag}pod`,
    podPath: `/var/run/netns/${tag}pod`,
    helper: `${tag}hlp`,
    hostIf: `${tag}h`,
    peerIf: `${tag}p`,
    hostAddresses: [`198.51.100.${n}/32`, `2001:db8:${n.toString(16)}::5/64`],
    cleanup: async () => {
      await ip('link', 'del', f.hostIf).catch(() => undefined);
      await ip('netns', 'del', f.pod).catch(() => undefined);
      await ip('netns', 'del', f.helper).catch(() => undefined);
    },
  };
  await f.cleanup();
  await ip('netns', 'add', f.pod);
  await ip('netns', 'add', f.helper);
  await ip('link', 'add', f.hostIf, 'type', 'veth', 'peer', 'name', f.peerIf, 'netns', f.helper);
  await ip('link', 'set', 'dev', f.hostIf, 'mtu', '1500', 'up');
  for (const a of f.hostAddresses)
    await ip('addr', 'add', a, 'dev', f.hostIf, ...(a.includes(':') ? ['nodad'] : []));
  await ip('route', 'add', `203.0.113.${n}/32`, 'dev', f.hostIf, 'scope', 'link');
  await ip(
    '-6',
    'route',
    'add',
    `2001:db8:ff${n.toString(16)}::/64`,
    'via',
    `2001:db8:${n.toString(16)}::1`,
    'dev',
    f.hostIf,
  );
  return f;
}

/**
 * The plan of one claimed veth host end for the kernel tests: net1, MTU 9000, a fixed MAC, two
 * addresses and two routes; `extra` overrides any field (rules, neighbors, ethtool, addresses...).
 */
export function vethPlan(f: VethFixture, extra: Partial<DevicePlan> = {}): DevicePlan {
  return {
    request: 'nic',
    poolName: 'node1',
    deviceName: `dev-${f.hostIf}`,
    host: { ifName: f.hostIf },
    podIfName: 'net1',
    mtu: 9000,
    hardwareAddr: '02:00:5e:10:00:01',
    addresses: ['203.0.113.10/24', '2001:db8:1::10/64'],
    routes: [
      { destination: '198.51.100.0/24', gateway: '203.0.113.1' },
      { destination: '198.18.0.0/15', scope: 253 },
    ],
    rules: [],
    neighbors: [],
    ethtoolFeatures: {},
    cdiDeviceIds: [],
    ...extra,
  };
}
