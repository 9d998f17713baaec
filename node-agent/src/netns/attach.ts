// Attach: move a host netdev into a pod network namespace and configure it, every kernel change
// paired with its undo. Called by KernelNetnsOps.attach (the NRI RunPodSandbox hook), within the
// runtime's 2 s hook budget; the kernel's netns move (~20 ms) dominates.
//
// Order: record host state (hooks.onRecord) -> ONE RTM_NEWLINK move+rename+MTU+MAC+alias (falls back
// to separate steps if the kernel refuses the combination) -> addresses -> up -> routes (link-scope
// first) -> rules -> neighbors -> ethtool -> read back. On failure the undo stack unwinds in
// reverse, leaving the NIC on the host under its original name with its original settings, and the
// error names the failed step. Idempotent: a device already in the pod with knd's marker alias is
// (re)configured tolerating existing entries and reported as attached.
import { openSync, closeSync } from 'node:fs';
import type { DevicePlan } from '../plan-store/plan.js';
import type { AttachHooks, AttachRecord, HostLinkState } from './contract.js';
import type { EthtoolRunner } from './ethtool.js';
import { featureArgs, parseFeatures } from './ethtool.js';
import { decodeMarker, encodeMarker, hostStateFrom, routeAddOrder } from './host-state.js';
import { NetlinkError } from './netlink-codec.js';
import { NetlinkSocket, type NativeNetlink } from './netlink-socket.js';
import { COMBINATION_ERRORS, moveBackToHost } from './restore-host.js';
import type { LinkInfo } from './rtnl-decode.js';
import { RtnlClient, tolerate } from './rtnl-client.js';
import { UndoStack } from './undo-stack.js';

export type AttachStep =
  | 'resolve'
  | 'record'
  | 'move'
  | 'mtu'
  | 'mac'
  | 'addresses'
  | 'up'
  | 'routes'
  | 'rules'
  | 'neighbors'
  | 'ethtool'
  | 'readback';

export interface AttachContext {
  native?: NativeNetlink;
  /** The agent's (host) network namespace, for moving devices back. */
  hostNetnsPath: string;
  ethtool: EthtoolRunner;
  timeoutMs: number;
  /** Test hook: called before each step; a throw is treated as that step failing. */
  beforeStep?: (step: AttachStep) => void | Promise<void>;
}

/** An attach failure: which step failed, and any undo that failed too. */
export class AttachError extends Error {
  readonly step: AttachStep;
  readonly undoErrors: string[];
  constructor(step: AttachStep, cause: unknown, undoErrors: string[]) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const undo = undoErrors.length > 0 ? `; rollback incomplete: ${undoErrors.join('; ')}` : '; rolled back';
    super(`attach step ${step} failed: ${why}${undo}`, { cause });
    this.name = 'AttachError';
    this.step = step;
    this.undoErrors = undoErrors;
  }
}

export async function attachDevice(
  ctx: AttachContext,
  plan: DevicePlan,
  netnsPath: string,
  ids: { claimUid: string; podUid: string },
  hooks: AttachHooks = {},
): Promise<AttachRecord> {
  const sockOpts = { timeoutMs: ctx.timeoutMs, ...(ctx.native ? { native: ctx.native } : {}) };
  const rootSock = new NetlinkSocket(sockOpts);
  let podSock: NetlinkSocket | undefined;
  const fds: number[] = [];
  const undo = new UndoStack();
  let step: AttachStep = 'resolve';
  const enter = async (s: AttachStep): Promise<void> => {
    step = s;
    await ctx.beforeStep?.(s);
  };
  try {
    const root = new RtnlClient(rootSock);
    podSock = new NetlinkSocket({ ...sockOpts, netnsPath });
    const pod = new RtnlClient(podSock);
    const podFd = openSync(netnsPath, 'r');
    fds.push(podFd);
    const hostFd = openSync(ctx.hostNetnsPath, 'r');
    fds.push(hostFd);

    await enter('resolve');
    const hostLink = await findHostLink(root, plan);
    let host: HostLinkState;
    let podIndex: number;
    let existing = false;
    if (hostLink === undefined) {
      const inPod = await findOwnLink(pod, plan.podIfName, plan.host.ifName);
      if (inPod === undefined) {
        throw new Error(
          `device ${plan.host.ifName} is neither in the host namespace nor attached in ${netnsPath}`,
        );
      }
      host = inPod.host;
      podIndex = inPod.link.index;
      existing = true;
      undo.push('move', () => moveBackToHost(pod, podIndex, root, hostFd, host));
    } else {
      await enter('record');
      host = hostStateFrom(hostLink, await root.addresses(hostLink.index), await root.routes(hostLink.index));
      await hooks.onRecord?.(recordOf(ids, plan, netnsPath, host));
      await enter('move');
      podIndex = await moveIntoPod(root, pod, hostLink, plan, host, podFd, hostFd, undo, enter);
    }
    await configureInPod(ctx, pod, podIndex, plan, netnsPath, undo, enter, existing);
    await enter('readback');
    const link = await pod.link({ index: podIndex });
    if (link === undefined) throw new Error(`link ${podIndex} vanished from ${netnsPath}`);
    const addresses = (await pod.addresses(podIndex))
      .filter((a) => a.scope === 0)
      .map((a) => `${a.address}/${a.prefixLength}`);
    return {
      ...recordOf(ids, plan, netnsPath, host),
      result: { ifName: link.ifName, mac: link.mac, addresses },
    };
  } catch (e) {
    const undoErrors = await undo.unwind();
    throw new AttachError(step, e, undoErrors);
  } finally {
    for (const fd of fds) closeSync(fd);
    podSock?.close();
    rootSock.close();
  }
}

function recordOf(
  ids: { claimUid: string; podUid: string },
  plan: DevicePlan,
  netnsPath: string,
  host: HostLinkState,
): AttachRecord {
  return { ...ids, deviceName: plan.deviceName, netnsPath, podIfName: plan.podIfName, host };
}

/** The planned host link: by name (MAC checked when planned), else by MAC. */
async function findHostLink(root: RtnlClient, plan: DevicePlan): Promise<LinkInfo | undefined> {
  const byName = await root.link({ ifName: plan.host.ifName });
  if (byName !== undefined && (plan.host.mac === undefined || byName.mac === plan.host.mac.toLowerCase()))
    return byName;
  if (plan.host.mac === undefined) return undefined;
  const mac = plan.host.mac.toLowerCase();
  return (await root.links()).find((l) => l.mac === mac && decodeMarker(l.alias) === undefined);
}

/** A link in `pod` named podIfName carrying knd's marker for host link `hostIfName`. */
export async function findOwnLink(
  pod: RtnlClient,
  podIfName: string,
  hostIfName: string,
): Promise<{ link: LinkInfo; host: HostLinkState } | undefined> {
  const link = await pod.link({ ifName: podIfName });
  const host = decodeMarker(link?.alias);
  if (link === undefined || host === undefined || host.ifName !== hostIfName) return undefined;
  return { link, host };
}

async function moveIntoPod(
  root: RtnlClient,
  pod: RtnlClient,
  hostLink: LinkInfo,
  plan: DevicePlan,
  host: HostLinkState,
  podFd: number,
  hostFd: number,
  undo: UndoStack,
  enter: (s: AttachStep) => Promise<void>,
): Promise<number> {
  const alias = encodeMarker(host);
  const base = { netnsFd: podFd, ifName: plan.podIfName, alias };
  const pushUndo = (index: number): void => {
    undo.push('move', () => moveBackToHost(pod, index, root, hostFd, host));
  };
  try {
    await root.setLink(
      hostLink.index,
      {
        ...base,
        ...(plan.mtu !== undefined ? { mtu: plan.mtu } : {}),
        ...(plan.hardwareAddr !== undefined ? { mac: plan.hardwareAddr } : {}),
      },
      `move ${hostLink.ifName} into the pod as ${plan.podIfName}`,
    );
  } catch (e) {
    const combined = plan.mtu !== undefined || plan.hardwareAddr !== undefined;
    if (!(e instanceof NetlinkError) || !COMBINATION_ERRORS.has(e.code) || !combined) throw e;
    // The kernel refused the combination. It applies RTM_NEWLINK attributes in order and stops at
    // the first failure, so the move (and the MAC) may already have happened while the rename and
    // alias did not: look for the device in the pod by ifindex or original name first.
    let index: number;
    const partial = (await pod.links()).find(
      (l) => l.index === hostLink.index || l.ifName === hostLink.ifName,
    );
    if (partial !== undefined) {
      index = partial.index;
      pushUndo(index);
      await pod.setLink(
        index,
        { ifName: plan.podIfName, alias },
        `rename ${hostLink.ifName} to ${plan.podIfName}`,
      );
    } else {
      await root.setLink(hostLink.index, base, `move ${hostLink.ifName} into the pod as ${plan.podIfName}`);
      index = await podIndexOf(pod, plan, host);
      pushUndo(index);
    }
    if (plan.mtu !== undefined) {
      await enter('mtu');
      await pod.setLink(index, { mtu: plan.mtu }, `set MTU ${plan.mtu}`);
    }
    if (plan.hardwareAddr !== undefined) {
      await enter('mac');
      await pod.setLink(index, { mac: plan.hardwareAddr }, `set MAC ${plan.hardwareAddr}`);
    }
    return index;
  }
  const index = await podIndexOf(pod, plan, host);
  pushUndo(index);
  return index;
}

async function podIndexOf(pod: RtnlClient, plan: DevicePlan, host: HostLinkState): Promise<number> {
  const found = await findOwnLink(pod, plan.podIfName, host.ifName);
  if (found === undefined) throw new Error(`${plan.podIfName} not found in the pod after the move`);
  return found.link.index;
}

async function configureInPod(
  ctx: AttachContext,
  pod: RtnlClient,
  index: number,
  plan: DevicePlan,
  netnsPath: string,
  undo: UndoStack,
  enter: (s: AttachStep) => Promise<void>,
  existing: boolean,
): Promise<void> {
  const ok = existing ? ['EEXIST'] : [];
  await enter('addresses');
  for (const cidr of plan.addresses) {
    await tolerate(() => pod.address('add', index, cidr), ...ok);
    undo.push('addresses', () => tolerate(() => pod.address('del', index, cidr), 'EADDRNOTAVAIL', 'ENODEV'));
  }
  await enter('up');
  await pod.setLink(index, { up: true }, `set ${plan.podIfName} up`);
  undo.push('up', () =>
    tolerate(() => pod.setLink(index, { up: false }, `set ${plan.podIfName} down`), 'ENODEV'),
  );
  await enter('routes');
  for (const r of routeAddOrder(plan.routes)) {
    await tolerate(() => pod.route('add', index, r), ...ok);
    undo.push('routes', () => tolerate(() => pod.route('del', index, r), 'ESRCH', 'ENODEV'));
  }
  await enter('rules');
  for (const r of plan.rules) {
    await tolerate(() => pod.rule('add', r), ...ok);
    undo.push('rules', () => tolerate(() => pod.rule('del', r), 'ENOENT'));
  }
  await enter('neighbors');
  for (const n of plan.neighbors) {
    await pod.neighbor('add', index, n); // CREATE|REPLACE: idempotent by itself
    undo.push('neighbors', () => tolerate(() => pod.neighbor('del', index, n), 'ENOENT', 'ENODEV'));
  }
  if (Object.keys(plan.ethtoolFeatures).length > 0) {
    await enter('ethtool');
    const current = parseFeatures(await ctx.ethtool.run(netnsPath, ['-k', plan.podIfName]));
    const { args, previous } = featureArgs(plan.podIfName, plan.ethtoolFeatures, current);
    if (args.length > 0) {
      await ctx.ethtool.run(netnsPath, args);
      const back = featureArgs(
        plan.podIfName,
        previous,
        new Map(Object.entries(plan.ethtoolFeatures).map(([k, v]) => [k, { on: v, fixed: false }])),
      );
      undo.push('ethtool', async () => {
        if (back.args.length > 0) await ctx.ethtool.run(netnsPath, back.args);
      });
    }
  }
}
