// Unit-test NriPlanStore held in memory (the durable store lives in node-agent/src/plan-store/).
import type { AttachRecord } from '../../../node-agent/src/netns/contract.js';
import type { AttachPlan } from '../../../node-agent/src/plan-store/plan.js';
import type { AttachRecordKey, NriPlanStore } from '../../../node-agent/src/nri/plan-source.js';
import { recordKey } from '../../../node-agent/src/nri/plan-source.js';

export class MemoryPlanStore implements NriPlanStore {
  readonly plans: AttachPlan[] = [];
  readonly records = new Map<string, AttachRecord>();
  /** Every record write, in order (to check intent-before-attach). */
  readonly writes: AttachRecord[] = [];

  plansForPod(podUid: string): Promise<AttachPlan[]> {
    return Promise.resolve(this.plans.filter((p) => p.podUids.includes(podUid)));
  }
  putAttachRecord(record: AttachRecord): Promise<void> {
    this.records.set(recordKey(record), structuredClone(record));
    this.writes.push(structuredClone(record));
    return Promise.resolve();
  }
  attachRecordsForPod(podUid: string): Promise<AttachRecord[]> {
    return Promise.resolve([...this.records.values()].filter((r) => r.podUid === podUid));
  }
  listAttachRecords(): Promise<AttachRecord[]> {
    return Promise.resolve([...this.records.values()]);
  }
  deleteAttachRecord(key: AttachRecordKey): Promise<void> {
    this.records.delete(recordKey(key));
    return Promise.resolve();
  }
}
