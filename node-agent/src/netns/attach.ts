// Attach: move a host netdev into a pod network namespace and configure it, every kernel change
// paired with its undo. Called by KernelNetnsOps.attach (the NRI RunPodSandbox hook), within the
// runtime's 2 s hook budget; the kernel's netns move (~20 ms) dominates.
//
// Order: refuse a pod interface name that is taken -> record host state (hooks.onRecord) -> mark the
// host link with knd's alias -> ONE RTM_NEWLINK move+rename+MTU+MAC+alias (move-into-pod.ts; separate
// steps if the kernel refuses the combination) -> addresses -> up -> routes (link-scope first) ->
// rules -> neighbors -> ethtool -> read back -> completion mark for the attach guard. On failure the
// undo stack unwinds in reverse, leaving the NIC on the host under its original name with its
// original settings; the error names the failed step and says "rolled back" only after checking
// that the NIC is home (else "rollback incomplete", and the caller must keep its attach record).
// Idempotent: a device already in the pod with knd's marker alias is (re)configured tolerating
// existing entries and reported as attached.
import { openSync, closeSync } from 'node:fs';
import type { DevicePlan } from '../plan-store/plan.js';
import type { AttachCompletion, AttachHooks, AttachRecord, HostLinkState } from './contract.js';
import type { EthtoolRunner } from './ethtool.js';
import { featureArgs, parseFeatures } from './ethtool.js';
import { findMarkedLink, isHomeLink } from './find-link.js';
import { decodeMarker, hostStateFrom, routeAddOrder } from './host-state.js';
import { markHostLink, moveIntoPod, type MoveContext } from './move-into-pod.js';
import { NetlinkSocket, type NativeNetlink } from './netlink-socket.js';
import { moveBackToHost } from './restore-host.js';
import type { LinkInfo } from './rtnl-decode.js';
import { RtnlClient, tolerate } from './rtnl-client.js';
import { UndoStack } from './undo-stack.js';

export type AttachStep =
  | 'resolve'
  | 'record'
  | 'mark'
  | 'move'
  | 'create'
  | 'mtu'
  | 'mac'
  | 'addresses'
  | 'up'
  | 'routes'
  | 'rules'
  | 'neighbors'
  | 'ethtool'
  | 'shape'
  | 'readback'
  | 'complete';

export interface AttachContext {
  native?: NativeNetlink;
  /** The agent's (host) network namespace, for moving devices back. */
  hostNetnsPath: string;
  ethtool: EthtoolRunner;
  timeoutMs: number;
  /** Told when the attach completed (and, first, that it no longer is): the attach guard's input. */
  completion?: AttachCompletion;
  /** Test hook: called before each step; a throw is treated as that step failing. */
  beforeStep?: (step: AttachStep) => void | Promise<void>;
}

/** An attach failure: which step failed, and any undo that failed too. */
export class AttachError extends Error {
  readonly step: AttachStep;
  readonly undoErrors: string[];
  /** The NIC is provably back on the host as it was (or never left). */
  readonly rolledBack: boolean;
  constructor(step: AttachStep, cause: unknown, undoErrors: string[]) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const undo = undoErrors.length > 0 ? `; rollback incomplete: ${undoErrors.join('; ')}` : '; rolled back';
    super(`attach step ${step} failed: ${why}${undo}`, { cause });
    this.name = 'AttachError';
    this.step = step;
    this.undoErrors = undoErrors;
    this.rolledBack = undoErrors.length === 0;
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
  /** What the rollback must give back; known once the host state was read. */
  let host: HostLinkState | undefined;
  const enter = async (s: AttachStep): Promise<void> => {
    step = s;
    await ctx.beforeStep?.(s);
  };
  const root = new RtnlClient(rootSock);
  const completionKey = { claimUid: ids.claimUid, deviceName: plan.deviceName };
  try {
    podSock = new NetlinkSocket({ ...sockOpts, netnsPath });
    const pod = new RtnlClient(podSock);
    const podFd = openSync(netnsPath, 'r');
    fds.push(podFd);
    const hostFd = openSync(ctx.hostNetnsPath, 'r');
    fds.push(hostFd);

    await enter('resolve');
    const hostLink = await findHostLink(root, plan);
    let podIndex: number;
    let existing = false;
    if (hostLink === undefined) {
      const inPod = await findOwnLink(pod, plan.podIfName, plan.host.ifName);
      if (inPod === undefined) {
        throw new Error(
          `device ${plan.host.ifName} is neither in the host namespace nor attached in ${netnsPath}`,
        );
      }
      const state = inPod.host;
      host = state;
      podIndex = inPod.link.index;
      existing = true;
      await ctx.completion?.clear(completionKey);
      undo.push('move', () => moveBackToHost(pod, podIndex, root, hostFd, state));
    } else {
      await refuseTakenName(pod, plan.podIfName, netnsPath);
      await enter('record');
      const state = hostStateFrom(
        hostLink,
        await root.addresses(hostLink.index),
        await root.routes(hostLink.index),
      );
      // still marked by an attach that died before its move: the marker holds the original alias
      const stale = decodeMarker(hostLink.alias);
      if (stale?.ifName === hostLink.ifName && stale.alias !== undefined) state.alias = stale.alias;
      host = state;
      await hooks.onRecord?.(recordOf(ids, plan, netnsPath, state));
      await ctx.completion?.clear(completionKey);
      const m: MoveContext = { root, pod, hostLink, plan, host: state, podFd, hostFd, undo, enter };
      await enter('mark');
      await markHostLink(m);
      await enter('move');
      podIndex = await moveIntoPod(m);
    }
    await configureInPod(ctx, pod, podIndex, plan, netnsPath, undo, enter, existing);
    await enter('readback');
    const link = await pod.link({ index: podIndex });
    if (link === undefined) throw new Error(`link ${podIndex} vanished from ${netnsPath}`);
    const addresses = (await pod.addresses(podIndex))
      .filter((a) => a.scope === 0)
      .map((a) => `${a.address}/${a.prefixLength}`);
    const record: AttachRecord = {
      ...recordOf(ids, plan, netnsPath, host),
      result: { ifName: link.ifName, mac: link.mac, addresses },
    };
    await enter('complete');
    const completion = ctx.completion;
    if (completion !== undefined) {
      undo.push('complete', () => completion.clear(completionKey));
      await completion.set(record);
    }
    return record;
  } catch (e) {
    const undoErrors = await undo.unwind();
    if (host !== undefined) {
      const away = await notHome(root, host);
      if (away !== undefined) undoErrors.push(away);
    }
    throw new AttachError(step, e, undoErrors);
  } finally {
    for (const fd of fds) closeSync(fd);
    podSock?.close();
    rootSock.close();
  }
}

/** Refuse before anything moves: the kernel would move the NIC and then fail the rename (EEXIST). */
export async function refuseTakenName(pod: RtnlClient, podIfName: string, netnsPath: string): Promise<void> {
  const taken = await pod.link({ ifName: podIfName });
  if (taken !== undefined) {
    throw new Error(
      `interface name ${podIfName} is already taken in ${netnsPath} (ifindex ${taken.index}); the NIC was not moved`,
    );
  }
}

/**
 * After a rollback: undefined when the NIC is on the host under its original name with its
 * original MAC and without knd's marker; otherwise where it is, for the error.
 */
async function notHome(root: RtnlClient, host: HostLinkState): Promise<string | undefined> {
  try {
    const link = await root.link({ ifName: host.ifName });
    if (link !== undefined && isHomeLink(link, host) && decodeMarker(link.alias) === undefined)
      return undefined;
    const marked = await findMarkedLink(root, host.ifName);
    const where =
      marked === undefined
        ? 'it may still be in the pod network namespace'
        : `it is on the host as ${marked.ifName}, still marked`;
    return `${host.ifName} is not back on the host as it was: ${where}`;
  } catch (e) {
    return `cannot check that ${host.ifName} is back on the host: ${e instanceof Error ? e.message : String(e)}`;
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

/** Addresses, up, routes, rules, neighbors, ethtool of link `index` in the pod, each with its undo. */
export async function configureInPod(
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
