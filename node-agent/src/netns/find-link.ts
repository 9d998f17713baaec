// Finding knd's own device after a move, in the pod or back on the host, by proof only: knd's
// marker alias naming the host link (attach sets it on the host link BEFORE the move, and the
// kernel keeps an alias across namespaces), or, for a device whose marker was already replaced by
// its original alias, its original name AND MAC. Never by ifindex or name alone: ifindexes are
// per namespace (the pod's own eth0 may have the host link's ifindex) and a name can be re-used.
// Cost: one RTM_GETLINK when the device is where it is expected, a link dump otherwise.
import type { HostLinkState } from './contract.js';
import { decodeMarker } from './host-state.js';
import type { LinkInfo } from './rtnl-decode.js';
import type { RtnlClient } from './rtnl-client.js';

/** True when `link` carries knd's marker for the host link `hostIfName`. */
export function carriesMarker(link: LinkInfo, hostIfName: string): boolean {
  return decodeMarker(link.alias)?.ifName === hostIfName;
}

/** The link in `client`'s namespace carrying knd's marker for `hostIfName`; tries `likelyName` first. */
export async function findMarkedLink(
  client: RtnlClient,
  hostIfName: string,
  likelyName?: string,
): Promise<LinkInfo | undefined> {
  if (likelyName !== undefined) {
    const named = await client.link({ ifName: likelyName });
    if (named !== undefined && carriesMarker(named, hostIfName)) return named;
  }
  return (await client.links()).find((l) => carriesMarker(l, hostIfName));
}

/**
 * The device back in the host namespace: under its original name with its original MAC and no
 * marker of another device (a complete move back), or under any name with its marker (the move
 * back stopped after the netns change, e.g. because the original name is taken on the host now).
 */
export async function findReturned(root: RtnlClient, host: HostLinkState): Promise<LinkInfo | undefined> {
  const byName = await root.link({ ifName: host.ifName });
  if (byName !== undefined && isHomeLink(byName, host)) return byName;
  return (await root.links()).find((l) => carriesMarker(l, host.ifName));
}

/** The link named as `host` is that device: marked for it, or unmarked with its MAC (when recorded). */
export function isHomeLink(link: LinkInfo, host: HostLinkState): boolean {
  if (link.ifName !== host.ifName) return false;
  const marker = decodeMarker(link.alias);
  if (marker !== undefined) return marker.ifName === host.ifName;
  return host.mac === '' || link.mac === host.mac;
}
