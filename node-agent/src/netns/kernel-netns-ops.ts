// NetnsOps on the real kernel: the only code in knd that changes kernel network state (the NRI
// handlers call it through contract.ts). Netlink goes through the project's N-API addon with a
// socket opened inside each namespace (docs/netns.md has the measurements behind that choice).
//
// Contract: attach/detach as in contract.ts. Time: attach ≈ one kernel netns move (~20 ms here)
// plus ~1 ms; timeoutMs (default 10 s) bounds each netlink request. No retries inside: the caller
// (the kubelet/runtime retrying a hook) retries, and both operations are idempotent.
import type { DevicePlan } from '../plan-store/plan.js';
import { attachDevice, type AttachStep } from './attach.js';
import type { AttachCompletion, AttachHooks, AttachRecord, NetnsOps } from './contract.js';
import { detachDevice, type DetachOutcome } from './detach.js';
import { execEthtool, type EthtoolRunner } from './ethtool.js';
import type { NativeNetlink } from './netlink-socket.js';
import { NetnsHolds } from './netns-holds.js';

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
    const record = await attachDevice(
      {
        hostNetnsPath: this.hostNetnsPath,
        timeoutMs: this.timeoutMs,
        ethtool: this.opts.ethtool ?? execEthtool(),
        ...(this.opts.native ? { native: this.opts.native } : {}),
        ...(this.opts.beforeStep ? { beforeStep: this.opts.beforeStep } : {}),
        ...(this.opts.completion ? { completion: this.opts.completion } : {}),
      },
      plan,
      netnsPath,
      ids,
      hooks,
    );
    this.holds.hold(record);
    return record;
  }

  /** Hold the namespaces of records persisted by an earlier agent process (startup). */
  adopt(records: readonly AttachRecord[]): number {
    return this.holds.adopt(records);
  }

  async detach(record: AttachRecord): Promise<void> {
    await this.detachWithOutcome(record);
  }

  /** detach() that also says where the device was found. */
  async detachWithOutcome(record: AttachRecord): Promise<DetachOutcome> {
    // first: from here on the attach guard refuses new containers of this pod
    await this.opts.completion?.clear(record);
    const outcome = await detachDevice(
      {
        hostNetnsPath: this.hostNetnsPath,
        timeoutMs: this.timeoutMs,
        ...(this.opts.native ? { native: this.opts.native } : {}),
        ...(this.opts.onGone ? { onGone: this.opts.onGone } : {}),
      },
      // enter the namespace through the held descriptor: it exists even after the runtime
      // removed its bind mount
      { ...record, netnsPath: this.holds.path(record) },
    );
    this.holds.release(record);
    return outcome;
  }
}
