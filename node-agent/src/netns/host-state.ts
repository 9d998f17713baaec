// What to remember about a host link before it is moved, and the alias marker that lets the agent
// recognise its own device later (in the pod, or back in the host namespace under a kernel-chosen
// name after the pod netns died). Pure; table-tested.
import type { HostLinkState } from './contract.js';
import type { AddrInfo, LinkInfo, RouteInfo } from './rtnl-decode.js';
import { RTN_UNICAST, RTPROT_KERNEL, RT_TABLE_LOCAL } from './rtnl-encode.js';

/** IFALIASZ is 256 including the terminating NUL. */
export const ALIAS_MAX_BYTES = 255;
export const MARKER_PREFIX = 'knd:';

type HostRoute = HostLinkState['routes'][number];

/** The host state of `link`: global addresses and the non-kernel unicast routes through it. */
export function hostStateFrom(
  link: LinkInfo,
  addrs: readonly AddrInfo[],
  routes: readonly RouteInfo[],
): HostLinkState {
  const state: HostLinkState = {
    ifName: link.ifName,
    mtu: link.mtu,
    mac: link.mac,
    up: link.up,
    addresses: addrs
      .filter((a) => a.index === link.index && a.scope === 0)
      .map((a) => `${a.address}/${a.prefixLength}`),
    routes: routes.filter((r) => isRestorableRoute(r, link.index)).map(toHostRoute),
  };
  if (link.alias !== undefined && !link.alias.startsWith(MARKER_PREFIX)) state.alias = link.alias;
  return state;
}

function isRestorableRoute(r: RouteInfo, index: number): boolean {
  return (
    r.oif === index && r.protocol !== RTPROT_KERNEL && r.table !== RT_TABLE_LOCAL && r.type === RTN_UNICAST
  );
}

function toHostRoute(r: RouteInfo): HostRoute {
  const out: HostRoute = { destination: r.destination, table: r.table, scope: r.scope };
  if (r.gateway !== undefined) out.gateway = r.gateway;
  if (r.source !== undefined) out.source = r.source;
  if (r.metric !== undefined) out.metric = r.metric;
  return out;
}

/** Routes in the order the kernel accepts them: link-scope (no gateway) before gateway routes. */
export function routeAddOrder<T extends { gateway?: string }>(routes: readonly T[]): T[] {
  return [...routes.filter((r) => r.gateway === undefined), ...routes.filter((r) => r.gateway !== undefined)];
}

/**
 * The alias the device carries while it is attached: `knd:` + a compact JSON array
 * [ifName, mtu, mac, up, addresses, routes ("dst,gw,src,table,scope,metric"), alias?]. Lists that do
 * not fit in 255 bytes are dropped (routes first, then addresses, then the original alias); the
 * persisted AttachRecord stays the full source of truth, the marker is the fallback after a crash.
 */
export function encodeMarker(state: HostLinkState): string {
  const routes = state.routes.map((r) =>
    [r.destination, r.gateway ?? '', r.source ?? '', r.table ?? '', r.scope ?? '', r.metric ?? ''].join(','),
  );
  const head = [state.ifName, state.mtu, state.mac, state.up ? 1 : 0];
  const alias = state.alias === undefined ? [] : [state.alias];
  const attempts = [
    [...head, state.addresses, routes, ...alias],
    [...head, state.addresses, [], ...alias],
    [...head, [], [], ...alias],
    [...head, [], []],
  ];
  for (const a of attempts) {
    const text = MARKER_PREFIX + JSON.stringify(a);
    if (Buffer.byteLength(text) <= ALIAS_MAX_BYTES) return text;
  }
  throw new Error(`host state of ${state.ifName} does not fit in an interface alias`);
}

const optNum = (s: string | undefined): number | undefined =>
  s === undefined || s === '' ? undefined : Number(s);

/** The host state in a marker alias, or undefined for any other alias. */
export function decodeMarker(alias: string | undefined): HostLinkState | undefined {
  if (alias === undefined || !alias.startsWith(MARKER_PREFIX)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(alias.slice(MARKER_PREFIX.length));
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  const [ifName, mtu, mac, up, addresses, routes, orig] = v as unknown[];
  if (typeof ifName !== 'string' || typeof mtu !== 'number' || typeof mac !== 'string') return undefined;
  if (!Array.isArray(addresses) || !Array.isArray(routes)) return undefined;
  const state: HostLinkState = {
    ifName,
    mtu,
    mac,
    up: up === 1,
    addresses: addresses.filter((a): a is string => typeof a === 'string'),
    routes: routes
      .filter((r): r is string => typeof r === 'string')
      .map((r) => {
        const [destination = '', gateway, source, table, scope, metric] = r.split(',');
        const out: HostRoute = { destination };
        if (gateway !== undefined && gateway !== '') out.gateway = gateway;
        if (source !== undefined && source !== '') out.source = source;
        const t = optNum(table);
        if (t !== undefined) out.table = t;
        const sc = optNum(scope);
        if (sc !== undefined) out.scope = sc;
        const m = optNum(metric);
        if (m !== undefined) out.metric = m;
        return out;
      }),
  };
  if (typeof orig === 'string') state.alias = orig;
  return state;
}
