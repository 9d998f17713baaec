// Detach: give a device back to the host as recorded. Called by KernelNetnsOps.detach (NRI
// StopPodSandbox/RemovePodSandbox, rollback of a failed multi-device attach). Idempotent.
//
// Where the device can be:
// 1. in the pod netns with knd's marker alias (under podIfName, or under any name when an attach
//    stopped part-way) -> one RTM_NEWLINK moves it back with name/MTU/MAC/alias/up, then host
//    addresses and routes are re-added;
// 2. in the host namespace with the marker (the pod netns died and the kernel returned a physical
//    NIC to init_net under its pod name or `devN`) -> restored in place;
// 3. in the host under its original name without the marker, with its recorded MAC -> already
//    detached (addresses and routes re-ensured); a link of that name with another MAC is not
//    knd's device and is left alone;
// 4. nowhere -> a virtual device (veth, macvlan) is destroyed by the kernel together with its
//    netns (a veth takes its peer with it): reported through `onGone`, not an error, since
//    nothing is left to restore.
// The host state comes from the record, or from the marker when the record is an intent record
// written before the host state was read (mtu 0).
import { closeSync, openSync } from 'node:fs';
import type { AttachRecord, HostLinkState } from './contract.js';
import { findMarkedLink, isHomeLink } from './find-link.js';
import { decodeMarker } from './host-state.js';
import { NetlinkSocket, type NativeNetlink } from './netlink-socket.js';
import { moveBackToHost, restoreInPlace } from './restore-host.js';
import { RtnlClient } from './rtnl-client.js';

export interface DetachContext {
  native?: NativeNetlink;
  hostNetnsPath: string;
  timeoutMs: number;
  onGone?: (record: AttachRecord, reason: string) => void;
}

export type DetachOutcome = 'moved-back' | 'restored-in-host' | 'already-detached' | 'deleted' | 'gone';

export async function detachDevice(ctx: DetachContext, record: AttachRecord): Promise<DetachOutcome> {
  const sockOpts = { timeoutMs: ctx.timeoutMs, ...(ctx.native ? { native: ctx.native } : {}) };
  const rootSock = new NetlinkSocket(sockOpts);
  let podSock: NetlinkSocket | undefined;
  let hostFd: number | undefined;
  try {
    const root = new RtnlClient(rootSock);
    podSock = openPodSocket(record.netnsPath, sockOpts);
    if (podSock !== undefined) {
      const pod = new RtnlClient(podSock);
      const link = await findMarkedLink(pod, record.host.ifName, record.podIfName);
      if (link !== undefined) {
        hostFd = openSync(ctx.hostNetnsPath, 'r');
        await moveBackToHost(pod, link.index, root, hostFd, hostStateOf(record, decodeMarker(link.alias)));
        return 'moved-back';
      }
    }
    const links = await root.links();
    const returned = links.find((l) => decodeMarker(l.alias)?.ifName === record.host.ifName);
    if (returned !== undefined) {
      await restoreInPlace(root, returned, hostStateOf(record, decodeMarker(returned.alias)));
      return 'restored-in-host';
    }
    const home = links.find((l) => isHomeLink(l, record.host));
    if (home !== undefined) {
      if (record.host.mtu > 0) await restoreInPlace(root, home, record.host);
      return 'already-detached';
    }
    ctx.onGone?.(
      record,
      `${record.host.ifName} is neither in ${record.netnsPath} nor in the host namespace: a virtual device (veth, macvlan) is destroyed with its network namespace`,
    );
    return 'gone';
  } finally {
    if (hostFd !== undefined) closeSync(hostFd);
    podSock?.close();
    rootSock.close();
  }
}

function hostStateOf(record: AttachRecord, marker: HostLinkState | undefined): HostLinkState {
  if (record.host.mtu > 0) return record.host;
  if (marker !== undefined) return marker;
  return record.host;
}

/** A socket in the pod netns, or undefined when that namespace no longer exists. */
function openPodSocket(
  netnsPath: string,
  opts: { timeoutMs: number; native?: NativeNetlink },
): NetlinkSocket | undefined {
  try {
    return new NetlinkSocket({ ...opts, netnsPath });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    // ENOENT: bind mount removed; EINVAL: the path is no longer a netns (unmounted mount point).
    if (code === 'ENOENT' || code === 'EINVAL') return undefined;
    throw e;
  }
}
