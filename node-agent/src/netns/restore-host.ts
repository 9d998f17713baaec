// Giving a link back to the host namespace as recorded: one RTM_NEWLINK from inside the pod that
// moves it with the original name/MTU/MAC/alias/up state, then the host addresses and routes (link
// routes before gateway routes). Also the in-place variant for a link the kernel already returned
// (a physical NIC whose pod netns died comes back to init_net under its pod name or `devN`).
// Idempotent: re-adding an existing address or route is not an error.
import type { HostLinkState } from './contract.js';
import { NetlinkError } from './netlink-codec.js';
import type { LinkInfo } from './rtnl-decode.js';
import type { LinkChange } from './rtnl-encode.js';
import { RtnlClient, tolerate } from './rtnl-client.js';
import { findReturned } from './find-link.js';
import { routeAddOrder } from './host-state.js';

/** Name, MTU, MAC, alias and up state of `host`; fields that were never recorded are left alone. */
export function hostLinkChange(host: HostLinkState): LinkChange {
  const c: LinkChange = { ifName: host.ifName, alias: host.alias ?? '', up: host.up };
  if (host.mtu > 0) c.mtu = host.mtu;
  if (host.mac !== '') c.mac = host.mac;
  return c;
}

/**
 * Move `podIndex` (seen by `pod`) to the namespace of `hostNetnsFd` and restore it fully. If the
 * kernel stops part-way (it applies the attributes of one RTM_NEWLINK in order: namespace, MAC,
 * MTU, name, alias, flags), the device may be on the host already under its pod name with knd's
 * marker; it is found there and restored in place, or the error says where it is.
 */
export async function moveBackToHost(
  pod: RtnlClient,
  podIndex: number,
  root: RtnlClient,
  hostNetnsFd: number,
  host: HostLinkState,
): Promise<void> {
  const what = `move ${host.ifName} back to the host`;
  /** Send `change`; a failure after the device left the pod is finished by restoreInPlace below. */
  const send = async (change: LinkChange): Promise<void> => {
    try {
      await pod.setLink(podIndex, change, what);
    } catch (e) {
      if ((await pod.link({ index: podIndex })) !== undefined) throw e;
    }
  };
  try {
    await send({ ...hostLinkChange(host), netnsFd: hostNetnsFd });
  } catch (e) {
    // Some drivers refuse a combination (e.g. MAC change while up). Fall back to a bare move with
    // the name, then restore the rest in the host namespace.
    if (!(e instanceof NetlinkError) || !COMBINATION_ERRORS.has(e.code)) throw e;
    await send({ netnsFd: hostNetnsFd, ifName: host.ifName });
  }
  const back = await findReturned(root, host);
  if (back === undefined) throw new Error(`${host.ifName} is not in the host namespace after the move back`);
  await restoreInPlace(root, back, host);
}

/** Errors after which a combined RTM_NEWLINK is retried as separate steps. */
export const COMBINATION_ERRORS = new Set(['EINVAL', 'EOPNOTSUPP', 'EBUSY', 'EADDRNOTAVAIL', 'ERANGE']);

/** Bring `link` (already in the host namespace) to `host`: name/MTU/MAC/alias/up, addresses, routes. */
export async function restoreInPlace(root: RtnlClient, link: LinkInfo, host: HostLinkState): Promise<void> {
  const c = hostLinkChange(host);
  const needs: LinkChange = {};
  if (link.ifName !== host.ifName) {
    // Older kernels refuse to rename an UP link (EBUSY): take it down first.
    if (link.up) await root.setLink(link.index, { up: false }, `down ${link.ifName} before the rename`);
    needs.ifName = host.ifName;
  }
  if (c.mtu !== undefined && link.mtu !== c.mtu) needs.mtu = c.mtu;
  if (c.mac !== undefined && link.mac !== c.mac) needs.mac = c.mac;
  if ((link.alias ?? '') !== (host.alias ?? '')) needs.alias = host.alias ?? '';
  const what =
    link.ifName === host.ifName
      ? `restore ${host.ifName}`
      : `restore ${host.ifName} (on the host as ${link.ifName})`;
  if (Object.keys(needs).length > 0) await root.setLink(link.index, needs, what);
  if (link.up !== host.up || needs.ifName !== undefined) {
    await root.setLink(link.index, { up: host.up }, `set ${host.ifName} ${host.up ? 'up' : 'down'}`);
  }
  for (const cidr of host.addresses) {
    await tolerate(() => root.address('add', link.index, cidr), 'EEXIST');
  }
  for (const r of routeAddOrder(host.routes)) {
    await tolerate(() => root.route('add', link.index, r), 'EEXIST');
  }
}
