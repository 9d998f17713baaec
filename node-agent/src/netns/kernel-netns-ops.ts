// NetnsOps on the real kernel: the only code in knd that changes kernel network state (the NRI
// handlers call it through contract.ts). Netlink goes through the project's N-API addon with a
// socket opened inside each namespace (docs/netns.md has the measurements behind that choice).
//
// Contract: attach/detach as in contract.ts. Time: attach ≈ one kernel netns move (~20 ms here)
// plus ~1 ms; timeoutMs (default 10 s) bounds each netlink request. No retries inside: the caller
// (the kubelet/runtime retrying a hook) retries, and both operations are idempotent.
import { existsSync } from 'node:fs';
import type { DevicePlan } from '../plan-store/plan.js';
import { attachDevice, type AttachContext, type AttachStep } from './attach.js';
import { attachChild, detachChild, isChildPlan, sweepChildren } from './child-attach.js';
import type { ChildKey } from './child-identity.js';
import {
  attachRolledBack,
  type AttachCompletion,
  type AttachHooks,
  type AttachRecord,
  type NetnsOps,
} from './contract.js';
import { detachDevice, type DetachContext, type DetachOutcome } from './detach.js';
import { execEthtool, type EthtoolRunner } from './ethtool.js';
import type { NativeNetlink } from './netlink-socket.js';
import { NetnsHolds } from './netns-holds.js';
import { entryPath, keepPinAfterFailedAttach, type NetnsPins } from './netns-pins.js';

export interface KernelNetnsOptions {
  /** The agent's own network namespace (where detached devices go). */
  hostNetnsPath?: string;
  timeoutMs?: number;
  native?: NativeNetlink;
  ethtool?: EthtoolRunner;
  /** Test hook: fault injection before each attach step. */
  beforeStep?: (step: AttachStep) => void | Promise<void>;
  /** Told when a device no longer exists anywhere at detach (destroyed with its netns). */
  onGone?: (record: AttachRecord, reason: string) => void;
  /**
   * Completion marks for the attach guard (node-agent/src/cdi/attach-completion.ts): set after the
   * last attach step, cleared before a detach or rollback. None: nothing is marked (tests, bench).
   */
  completion?: AttachCompletion;
  /** Descriptors keeping pod namespaces alive until detach (default: a fresh NetnsHolds). */
  holds?: NetnsHolds;
  /**
   * Bind mounts keeping pod namespaces alive across an agent kill (netns-pins.ts), made before
   * the NIC moves and removed once it is back. None: descriptor holds only (tests, bench).
   */
  pins?: NetnsPins;
}

export class KernelNetnsOps implements NetnsOps {
  private readonly hostNetnsPath: string;
  private readonly timeoutMs: number;

  private readonly opts: KernelNetnsOptions;
  readonly holds: NetnsHolds;

  constructor(opts: KernelNetnsOptions = {}) {
    this.opts = opts;
    this.holds = opts.holds ?? new NetnsHolds();
    this.hostNetnsPath = opts.hostNetnsPath ?? '/proc/self/ns/net';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async attach(
    plan: DevicePlan,
    netnsPath: string,
    ids: { claimUid: string; podUid: string },
    hooks?: AttachHooks,
  ): Promise<AttachRecord> {
    // a shared device's child dies with the pod namespace: nothing to pin or hold
    if (isChildPlan(plan)) return attachChild(this.attachContext(), plan, netnsPath, ids, hooks);
    const pinned = { ...ids, deviceName: plan.deviceName };
    this.opts.pins?.pin(pinned, netnsPath);
    let record: AttachRecord;
    try {
      record = await attachDevice(this.attachContext(), plan, netnsPath, ids, hooks);
    } catch (e) {
      // not rolled back: the NIC may be in the pod; the pin stays with the kept intent record
      if (!keepPinAfterFailedAttach(attachRolledBack(e))) this.opts.pins?.release(pinned);
      throw e;
    }
    this.holds.hold(record);
    return record;
  }

  private attachContext(): AttachContext {
    return {
      hostNetnsPath: this.hostNetnsPath,
      timeoutMs: this.timeoutMs,
      ethtool: this.opts.ethtool ?? execEthtool(),
      ...(this.opts.native ? { native: this.opts.native } : {}),
      ...(this.opts.beforeStep ? { beforeStep: this.opts.beforeStep } : {}),
      ...(this.opts.completion ? { completion: this.opts.completion } : {}),
    };
  }

  private detachContext(): DetachContext {
    return {
      hostNetnsPath: this.hostNetnsPath,
      timeoutMs: this.timeoutMs,
      ...(this.opts.native ? { native: this.opts.native } : {}),
      ...(this.opts.onGone ? { onGone: this.opts.onGone } : {}),
    };
  }

  /**
   * Delete knd's children in `netnsPath` whose claim `keep` rejects (crash recovery); see
   * child-attach.ts sweepChildren.
   */
  sweepChildren(netnsPath: string, keep: (child: ChildKey) => boolean): Promise<string[]> {
    return sweepChildren(this.detachContext(), netnsPath, keep);
  }

  /**
   * Hold the namespaces of records persisted by an earlier agent process (startup): through the
   * runtime's path, or through the pod's pin when the runtime already removed that path.
   */
  adopt(records: readonly AttachRecord[]): number {
    const pins = this.opts.pins;
    pins?.adopt(records.filter((r) => r.child === undefined));
    let held = 0;
    for (const r of records) {
      if (r.child !== undefined) continue;
      if (this.holds.hold(r)) held++;
      else {
        const pin = pins?.path(r);
        if (pin !== undefined && this.holds.hold(r, pin)) held++;
      }
    }
    return held;
  }

  async detach(record: AttachRecord): Promise<void> {
    await this.detachWithOutcome(record);
  }

  /** detach() that also says where the device was found. */
  async detachWithOutcome(record: AttachRecord): Promise<DetachOutcome> {
    // first: from here on the attach guard refuses new containers of this pod
    await this.opts.completion?.clear(record);
    if (record.child !== undefined) return detachChild(this.detachContext(), record);
    const outcome = await detachDevice(
      this.detachContext(),
      // enter the namespace through the held descriptor or the pin: they exist even after the
      // runtime removed its bind mount
      { ...record, netnsPath: this.entryPath(record) },
    );
    this.holds.release(record);
    // only now: the device is back on the host (or was never there), the namespace may go
    this.opts.pins?.release(record);
    return outcome;
  }

  private entryPath(record: AttachRecord): string {
    const held = this.holds.path(record);
    return entryPath({
      recorded: record.netnsPath,
      held: held === record.netnsPath ? undefined : held,
      recordedExists: existsSync(record.netnsPath),
      pin: this.opts.pins?.path(record),
    });
  }
}
