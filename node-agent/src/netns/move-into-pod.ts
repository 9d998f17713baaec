// The move step of attach (attach.ts): mark the host link, then ONE RTM_NEWLINK that moves it into
// the pod netns with its pod name, MTU, MAC and knd's marker alias; separate steps when the kernel
// refuses the combination. Every change pushes its undo.
//
// What the kernel does with a refused RTM_NEWLINK: it applies the attributes in order (namespace,
// MAC, MTU, name, alias, flags) and stops at the first failure, so the device may be in the pod
// already with only a prefix applied (observed: a macvlan asked for an MTU above its parent's is
// moved and gets its MAC, keeps its host name, EINVAL; a pod name that is taken in the pod fails
// with EEXIST after the move). Therefore the host link carries knd's marker alias BEFORE the move
// (step `mark`), and after ANY failure the pod is searched for the marker: a device found there is
// knd's and its move is undone; the pod's own interfaces (which may share the host link's ifindex
// or name) are never touched.
import type { DevicePlan } from '../plan-store/plan.js';
import type { HostLinkState } from './contract.js';
import { carriesMarker, findMarkedLink } from './find-link.js';
import { encodeMarker } from './host-state.js';
import { NetlinkError } from './netlink-codec.js';
import { COMBINATION_ERRORS, moveBackToHost } from './restore-host.js';
import type { RtnlClient } from './rtnl-client.js';
import type { LinkInfo } from './rtnl-decode.js';
import type { LinkChange } from './rtnl-encode.js';
import type { UndoStack } from './undo-stack.js';

export interface MoveContext {
  root: RtnlClient;
  pod: RtnlClient;
  hostLink: LinkInfo;
  plan: DevicePlan;
  host: HostLinkState;
  podFd: number;
  hostFd: number;
  undo: UndoStack;
  enter: (s: 'mark' | 'move' | 'mtu' | 'mac') => Promise<void>;
}

/** Put knd's marker on the host link before anything moves; the undo puts the original alias back. */
export async function markHostLink(m: MoveContext): Promise<void> {
  const { root, hostLink, host } = m;
  m.undo.push('mark', async () => {
    // Only while the device is home under its name and still marked: a device that came back
    // under another name keeps the marker, the only way a later detach can recognise it.
    const link = await root.link({ index: hostLink.index });
    if (link !== undefined && link.ifName === host.ifName && carriesMarker(link, host.ifName))
      await root.setLink(link.index, { alias: host.alias ?? '' }, `restore the alias of ${host.ifName}`);
  });
  await root.setLink(hostLink.index, { alias: encodeMarker(host) }, `mark ${host.ifName} as knd's`);
}

/** Move the marked host link into the pod and apply name/MTU/MAC; returns its pod ifindex. */
export async function moveIntoPod(m: MoveContext): Promise<number> {
  const { root, pod, hostLink, plan, host, podFd, hostFd, undo } = m;
  const base: LinkChange = { netnsFd: podFd, ifName: plan.podIfName, alias: encodeMarker(host) };
  const what = `move ${hostLink.ifName} into the pod as ${plan.podIfName}`;
  /** The device in the pod (by its marker), its move undo pushed; undefined when it is not there. */
  const adopt = async (cause?: unknown): Promise<number | undefined> => {
    let moved: LinkInfo | undefined;
    try {
      moved = await findMarkedLink(pod, host.ifName, plan.podIfName);
    } catch (e) {
      if (cause === undefined) throw e;
      throw new Error(`${message(cause)}; looking for ${host.ifName} in the pod failed too: ${message(e)}`, {
        cause,
      });
    }
    if (moved === undefined) return undefined;
    const index = moved.index;
    undo.push('move', () => moveBackToHost(pod, index, root, hostFd, host));
    return index;
  };
  const send = async (change: LinkChange): Promise<Error | undefined> => {
    try {
      await root.setLink(hostLink.index, change, what);
      return undefined;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };

  const refused = await send({
    ...base,
    ...(plan.mtu !== undefined ? { mtu: plan.mtu } : {}),
    ...(plan.hardwareAddr !== undefined ? { mac: plan.hardwareAddr } : {}),
  });
  let index = await adopt(refused);
  if (refused === undefined) {
    if (index === undefined) throw new Error(`${plan.podIfName} not found in the pod after the move`);
    return index;
  }
  const combined = plan.mtu !== undefined || plan.hardwareAddr !== undefined;
  if (!(refused instanceof NetlinkError) || !COMBINATION_ERRORS.has(refused.code) || !combined) throw refused;
  // The kernel refused the combination: separate steps.
  if (index === undefined) {
    const bare = await send(base);
    index = await adopt(bare);
    if (bare !== undefined) throw bare;
    if (index === undefined) throw new Error(`${plan.podIfName} not found in the pod after the move`);
  } else {
    const moved = await pod.link({ index });
    if (moved?.ifName !== plan.podIfName) {
      await pod.setLink(index, { ifName: plan.podIfName }, `rename ${host.ifName} to ${plan.podIfName}`);
    }
  }
  if (plan.mtu !== undefined) {
    await m.enter('mtu');
    await pod.setLink(index, { mtu: plan.mtu }, `set MTU ${plan.mtu}`);
  }
  if (plan.hardwareAddr !== undefined) {
    await m.enter('mac');
    await pod.setLink(index, { mac: plan.hardwareAddr }, `set MAC ${plan.hardwareAddr}`);
  }
  return index;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
