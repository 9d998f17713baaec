// NetnsOps on the real kernel: the only code in knd that changes kernel network state (the NRI
// handlers call it through contract.ts). Netlink goes through the project's N-API addon with a
// socket opened inside each namespace (docs/netns.md has the measurements behind that choice).
//
// Contract: attach/detach as in contract.ts. Time: attach ≈ one kernel netns move (~20 ms here)
// plus ~1 ms; timeoutMs (default 10 s) bounds each netlink request. No retries inside: the caller
// (the kubelet/runtime retrying a hook) retries, and both operations are idempotent.
import type { DevicePlan } from '../plan-store/plan.js';
import { attachDevice, type AttachStep } from './attach.js';
import type { AttachHooks, AttachRecord, NetnsOps } from './contract.js';
import { detachDevice, type DetachOutcome } from './detach.js';
import { execEthtool, type EthtoolRunner } from './ethtool.js';
import type { NativeNetlink } from './netlink-socket.js';

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
}

export class KernelNetnsOps implements NetnsOps {
  private readonly hostNetnsPath: string;
  private readonly timeoutMs: number;

  private readonly opts: KernelNetnsOptions;

  constructor(opts: KernelNetnsOptions = {}) {
    this.opts = opts;
    this.hostNetnsPath = opts.hostNetnsPath ?? '/proc/self/ns/net';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  attach(
    plan: DevicePlan,
    netnsPath: string,
    ids: { claimUid: string; podUid: string },
    hooks?: AttachHooks,
  ): Promise<AttachRecord> {
    return attachDevice(
      {
        hostNetnsPath: this.hostNetnsPath,
        timeoutMs: this.timeoutMs,
        ethtool: this.opts.ethtool ?? execEthtool(),
        ...(this.opts.native ? { native: this.opts.native } : {}),
        ...(this.opts.beforeStep ? { beforeStep: this.opts.beforeStep } : {}),
      },
      plan,
      netnsPath,
      ids,
      hooks,
    );
  }

  async detach(record: AttachRecord): Promise<void> {
    await this.detachWithOutcome(record);
  }

  /** detach() that also says where the device was found. */
  detachWithOutcome(record: AttachRecord): Promise<DetachOutcome> {
    return detachDevice(
      {
        hostNetnsPath: this.hostNetnsPath,
        timeoutMs: this.timeoutMs,
        ...(this.opts.native ? { native: this.opts.native } : {}),
        ...(this.opts.onGone ? { onGone: this.opts.onGone } : {}),
      },
      record,
    );
  }
}
