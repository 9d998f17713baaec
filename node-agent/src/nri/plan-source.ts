// What the NRI handlers need from the durable plan store (node-agent/src/plan-store/, written by DRA
// prepare). Declared where it is used (the consumer owns the interface) so the handlers depend on four calls
// only; startNriPlugin takes any object with this shape.
//
// Record lifecycle: a record WITHOUT `result` is an intent written before the kernel is touched
// (crash recovery: the link may be half-moved); the handler overwrites it with the record NetnsOps
// returns (WITH `result`) once the attach completed. Plans are never deleted by NRI code; only DRA
// unprepare deletes them.
import type { AttachRecord } from '../netns/contract.js';
import type { AttachPlan } from '../plan-store/plan.js';

export interface AttachRecordKey {
  claimUid: string;
  podUid: string;
  deviceName: string;
}

export interface NriPlanStore {
  /** Plans whose podUids contain podUid (claims reserved for the pod). */
  plansForPod(podUid: string): Promise<AttachPlan[]>;
  /** Durably write (create or replace) the record keyed by claimUid/podUid/deviceName. */
  putAttachRecord(record: AttachRecord): Promise<void>;
  attachRecordsForPod(podUid: string): Promise<AttachRecord[]>;
  listAttachRecords(): Promise<AttachRecord[]>;
  deleteAttachRecord(key: AttachRecordKey): Promise<void>;
}

export function recordKey(r: AttachRecordKey): string {
  return `${r.claimUid}/${r.podUid}/${r.deviceName}`;
}
