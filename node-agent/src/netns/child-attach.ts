// Shared devices: a macvlan child of a host NIC created directly in the pod's network namespace,
// configured and shaped, and deleted again; plus the sweep of children nobody owns any more.
// Called by KernelNetnsOps (NRI RunPodSandbox / StopPodSandbox, startup recovery) within the
// runtime's 2 s hook budget: no netns move, every request is answered in microseconds.
//
// Attach order: find the parent on the host -> adopt a child of this claim already in the pod
// (idempotent re-run) or refuse a taken name -> record (hooks.onRecord, persisted by the caller
// before any change) -> ONE RTM_NEWLINK CREATE in the pod (name, parent, MTU, stable MAC, macvlan
// mode) -> marker alias (the kernel ignores an alias on create) -> addresses, up, routes, rules,
// neighbors, ethtool (attach.ts configureInPod) -> tbf root qdisc for the egress share -> read
// back -> completion mark. Each change pushes its undo; the undo of the create deletes the child,
// which takes everything configured on it. The parent is only read: never moved, renamed or
// reconfigured (the kernel itself adds the child's MAC to the parent's unicast filter).
//
// A child dies with its namespace (default_device_exit deletes virtual devices), so a pod torn
// down while the agent is away leaves nothing behind; no netns pin or hold is needed.
import { closeSync, openSync } from 'node:fs';
import type { DevicePlan } from '../plan-store/plan.js';
import {
  AttachError,
  configureInPod,
  refuseTakenName,
  type AttachContext,
  type AttachStep,
} from './attach.js';
import { delLink, newMacvlanChild, tbfRootQdisc } from './child-encode.js';
import {
  childMac,
  decodeChildMarker,
  encodeChildMarker,
  sameChild,
  tbfFor,
  type ChildKey,
} from './child-identity.js';
import type { AttachHooks, AttachRecord, HostLinkState } from './contract.js';
import type { DetachContext } from './detach.js';
import { NetlinkSocket, type NativeNetlink } from './netlink-socket.js';
import type { LinkInfo } from './rtnl-decode.js';
import { RtnlClient, tolerate } from './rtnl-client.js';
import { UndoStack } from './undo-stack.js';

type ChildDevicePlan = DevicePlan & { child: NonNullable<DevicePlan['child']> };

export function isChildPlan(plan: DevicePlan): plan is ChildDevicePlan {
  return plan.child !== undefined;
}

const keyOf = (claimUid: string, plan: { request: string; deviceName: string }): ChildKey => ({
  claimUid,
  request: plan.request,
  deviceName: plan.deviceName,
});

export async function attachChild(
  ctx: AttachContext,
  plan: ChildDevicePlan,
  netnsPath: string,
  ids: { claimUid: string; podUid: string },
  hooks: AttachHooks = {},
): Promise<AttachRecord> {
  const sockOpts = { timeoutMs: ctx.timeoutMs, ...(ctx.native ? { native: ctx.native } : {}) };
  const rootSock = new NetlinkSocket(sockOpts);
  let podSock: NetlinkSocket | undefined;
  let podFd: number | undefined;
  const undo = new UndoStack();
  let step: AttachStep = 'resolve';
  const enter = async (s: AttachStep): Promise<void> => {
    step = s;
    await ctx.beforeStep?.(s);
  };
  const key = keyOf(ids.claimUid, plan);
  const mac = (plan.hardwareAddr ?? childMac(key)).toLowerCase();
  const completionKey = { claimUid: ids.claimUid, deviceName: plan.deviceName };
  let created = false;
  try {
    const root = new RtnlClient(rootSock);
    podSock = new NetlinkSocket({ ...sockOpts, netnsPath });
    const pod = new RtnlClient(podSock);
    await enter('resolve');
    const parent = await root.link({ ifName: plan.host.ifName });
    if (parent === undefined)
      throw new Error(
        `parent ${plan.host.ifName} of the shared device ${plan.deviceName} is not on the host`,
      );
    if (plan.host.mac !== undefined && parent.mac !== plan.host.mac.toLowerCase())
      throw new Error(
        `parent ${plan.host.ifName} has MAC ${parent.mac}, the plan expects ${plan.host.mac.toLowerCase()}`,
      );
    const host = parentState(parent);
    const record = childRecord(ids, plan, netnsPath, host, mac);
    const existing = await findChild(pod, key, plan.podIfName);
    let index: number;
    if (existing !== undefined) {
      index = existing.index;
      await ctx.completion?.clear(completionKey);
    } else {
      await refuseTakenName(pod, plan.podIfName, netnsPath);
      await enter('record');
      await hooks.onRecord?.(record);
      await ctx.completion?.clear(completionKey);
      await enter('create');
      podFd = openSync(netnsPath, 'r');
      const req = newMacvlanChild({
        parentIndex: parent.index,
        netnsFd: podFd,
        ifName: plan.podIfName,
        ...(plan.mtu === undefined ? {} : { mtu: plan.mtu }),
        mac,
        mode: plan.child.mode,
      });
      await root.send(req, `create macvlan ${plan.podIfName} of ${plan.host.ifName} in ${netnsPath}`);
      created = true;
      const child = await pod.link({ ifName: plan.podIfName });
      if (child === undefined) throw new Error(`created ${plan.podIfName} but it is not in ${netnsPath}`);
      index = child.index;
      undo.push('create', () =>
        tolerate(() => pod.send(delLink(index), `delete ${plan.podIfName}`), 'ENODEV'),
      );
      await enter('mark');
      const marker = encodeChildMarker({ ...key, parentIfName: plan.host.ifName });
      await pod.setLink(index, { alias: marker }, `mark ${plan.podIfName}`);
    }
    await configureInPod(ctx, pod, index, plan, netnsPath, undo, enter, existing !== undefined);
    const rate = plan.child.egressBitsPerSecond;
    if (rate !== undefined) {
      await enter('shape');
      const tbf = tbfFor(rate, plan.mtu ?? parent.mtu);
      await tolerate(
        () => pod.send(tbfRootQdisc('add', index, tbf), `egress limit ${rate} bit/s on ${plan.podIfName}`),
        ...(existing !== undefined ? ['EEXIST'] : []),
      );
      undo.push('shape', () =>
        tolerate(
          () => pod.send(tbfRootQdisc('del', index), `remove egress limit`),
          'ENOENT',
          'ENODEV',
          'EINVAL',
        ),
      );
    }
    await enter('readback');
    const link = await pod.link({ index });
    if (link === undefined) throw new Error(`link ${index} vanished from ${netnsPath}`);
    const addresses = (await pod.addresses(index))
      .filter((a) => a.scope === 0)
      .map((a) => `${a.address}/${a.prefixLength}`);
    const done: AttachRecord = { ...record, result: { ifName: link.ifName, mac: link.mac, addresses } };
    await enter('complete');
    const completion = ctx.completion;
    if (completion !== undefined) {
      undo.push('complete', () => completion.clear(completionKey));
      await completion.set(done);
    }
    return done;
  } catch (e) {
    const undoErrors = await undo.unwind();
    if (created && podSock !== undefined) {
      const left = await new RtnlClient(podSock).link({ ifName: plan.podIfName }).catch(() => undefined);
      if (left !== undefined && left.mac === mac)
        undoErrors.push(`child ${plan.podIfName} is still in ${netnsPath}`);
    }
    throw new AttachError(step, e, undoErrors);
  } finally {
    if (podFd !== undefined) closeSync(podFd);
    podSock?.close();
    rootSock.close();
  }
}

/** Delete the child of `record` from its pod. Idempotent: a child or namespace already gone is `gone`. */
export async function detachChild(ctx: DetachContext, record: AttachRecord): Promise<'deleted' | 'gone'> {
  const request = record.child?.request;
  if (request === undefined) throw new Error(`attach record of ${record.deviceName} is not a child's`);
  const sock = openNetnsSocket(record.netnsPath, ctx);
  if (sock === undefined) {
    ctx.onGone?.(record, `${record.netnsPath} no longer exists: the child died with it`);
    return 'gone';
  }
  try {
    const pod = new RtnlClient(sock);
    const child = await findChild(
      pod,
      keyOf(record.claimUid, { request, deviceName: record.deviceName }),
      record.podIfName,
    );
    if (child === undefined) {
      ctx.onGone?.(record, `no child of claim ${record.claimUid} in ${record.netnsPath}`);
      return 'gone';
    }
    await tolerate(() => pod.send(delLink(child.index), `delete ${child.ifName}`), 'ENODEV');
    return 'deleted';
  } finally {
    sock.close();
  }
}

/**
 * Delete every knd child in `netnsPath` whose claim `keep` rejects (crash recovery: children of
 * claims without an attach record). Returns the names deleted; a missing namespace deletes nothing.
 */
export async function sweepChildren(
  ctx: { native?: NativeNetlink; timeoutMs: number },
  netnsPath: string,
  keep: (child: ChildKey) => boolean,
): Promise<string[]> {
  const sock = openNetnsSocket(netnsPath, ctx);
  if (sock === undefined) return [];
  try {
    const pod = new RtnlClient(sock);
    const deleted: string[] = [];
    for (const l of await pod.links()) {
      const m = decodeChildMarker(l.alias);
      if (m === undefined || keep(m)) continue;
      await tolerate(() => pod.send(delLink(l.index), `delete orphaned child ${l.ifName}`), 'ENODEV');
      deleted.push(l.ifName);
    }
    return deleted;
  } finally {
    sock.close();
  }
}

/** This claim's child in the pod, by its marker (under `likelyName` first, else any name). */
async function findChild(pod: RtnlClient, key: ChildKey, likelyName: string): Promise<LinkInfo | undefined> {
  const isOurs = (l: LinkInfo): boolean => {
    const m = decodeChildMarker(l.alias);
    return m !== undefined && sameChild(m, key);
  };
  const named = await pod.link({ ifName: likelyName });
  if (named !== undefined && isOurs(named)) return named;
  return (await pod.links()).find(isOurs);
}

function parentState(parent: LinkInfo): HostLinkState {
  const s: HostLinkState = {
    ifName: parent.ifName,
    mtu: parent.mtu,
    mac: parent.mac,
    up: parent.up,
    addresses: [],
    routes: [],
  };
  if (parent.alias !== undefined) s.alias = parent.alias;
  return s;
}

function childRecord(
  ids: { claimUid: string; podUid: string },
  plan: ChildDevicePlan,
  netnsPath: string,
  host: HostLinkState,
  mac: string,
): AttachRecord {
  const child: NonNullable<AttachRecord['child']> = {
    kind: plan.child.kind,
    mode: plan.child.mode,
    request: plan.request,
    mac,
  };
  if (plan.child.egressBitsPerSecond !== undefined)
    child.egressBitsPerSecond = plan.child.egressBitsPerSecond;
  return { ...ids, deviceName: plan.deviceName, netnsPath, podIfName: plan.podIfName, host, child };
}

/** A socket in `netnsPath`, or undefined when that namespace no longer exists. */
function openNetnsSocket(
  netnsPath: string,
  opts: { timeoutMs: number; native?: NativeNetlink },
): NetlinkSocket | undefined {
  try {
    return new NetlinkSocket({
      timeoutMs: opts.timeoutMs,
      netnsPath,
      ...(opts.native ? { native: opts.native } : {}),
    });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'EINVAL') return undefined;
    throw e;
  }
}
