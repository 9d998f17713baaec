// Unit-test fake of NetnsOps (node-agent/src/netns/contract.ts): records calls, fails on demand.
// Never used outside unit tests; the runtime tier uses the real kernel implementation.
import type { AttachHooks, AttachRecord, NetnsOps } from '../../../node-agent/src/netns/contract.js';
import type { DevicePlan } from '../../../node-agent/src/plan-store/plan.js';

export interface RecordedCall {
  op: 'attach' | 'detach';
  deviceName: string;
  podUid: string;
  netnsPath: string;
}

export class RecordingNetns implements NetnsOps {
  readonly calls: RecordedCall[] = [];
  /** Device names whose attach throws after a complete rollback (the error says `rolledBack`). */
  readonly failAttach = new Set<string>();
  /** Device names whose attach throws with its rollback incomplete (the NIC may still be in the pod). */
  readonly failAttachUnrolled = new Set<string>();
  /** Device names whose attach throws an error that does not say whether it rolled back. */
  readonly failAttachPlain = new Set<string>();
  readonly failDetach = new Set<string>();
  /** Artificial latency per call, ms. */
  delayMs = 0;

  async attach(
    plan: DevicePlan,
    netnsPath: string,
    ids: { claimUid: string; podUid: string },
    hooks?: AttachHooks,
  ): Promise<AttachRecord> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const intent: AttachRecord = {
      claimUid: ids.claimUid,
      podUid: ids.podUid,
      deviceName: plan.deviceName,
      netnsPath,
      podIfName: plan.podIfName,
      host: {
        ifName: plan.host.ifName,
        mtu: 1500,
        mac: plan.host.mac ?? '02:00:00:00:00:01',
        up: true,
        addresses: [],
        routes: [],
      },
    };
    await hooks?.onRecord?.(structuredClone(intent));
    this.calls.push({ op: 'attach', deviceName: plan.deviceName, podUid: ids.podUid, netnsPath });
    if (this.failAttach.has(plan.deviceName))
      throw Object.assign(new Error(`injected attach failure for ${plan.deviceName}; rolled back`), {
        rolledBack: true,
      });
    if (this.failAttachUnrolled.has(plan.deviceName))
      throw Object.assign(
        new Error(`injected attach failure for ${plan.deviceName}; rollback incomplete: undo move: EBUSY`),
        { rolledBack: false },
      );
    if (this.failAttachPlain.has(plan.deviceName)) throw new Error(`EIO from ${plan.deviceName}`);
    return {
      ...intent,
      result: {
        ifName: plan.podIfName,
        mac: plan.hardwareAddr ?? '02:00:00:00:00:01',
        addresses: plan.addresses,
      },
    };
  }

  async detach(record: AttachRecord): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.calls.push({
      op: 'detach',
      deviceName: record.deviceName,
      podUid: record.podUid,
      netnsPath: record.netnsPath,
    });
    if (this.failDetach.has(record.deviceName))
      throw new Error(`injected detach failure for ${record.deviceName}`);
  }
}
