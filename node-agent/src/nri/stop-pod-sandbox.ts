// StopPodSandbox / RemovePodSandbox hooks: give the pod's netdevs back to the host.
//
// Contract: called by containerd when the sandbox stops and again when it is removed (the netns
// may already be gone then). Uses only the persisted attach records, so it works after an agent
// restart. Idempotent: a second call finds no records. A record is deleted only after its detach
// succeeded; if a detach fails the hook throws (the kubelet retries StopPodSandbox) and the record
// stays for the next call or the Synchronize reconcile. Runs under the pod lock, so a stop that
// races a slow RunPodSandbox waits for it and then undoes it.
import type { AttachRecord } from '../netns/contract.js';
import type { HandlerDeps } from './handler-deps.js';
import { Code, TtrpcStatusError } from './transport/ttrpc-status.js';

export async function stopPodSandbox(deps: HandlerDeps, podUid: string): Promise<AttachRecord[]> {
  return deps.podLock.run(podUid, async () => {
    const records = await deps.store.attachRecordsForPod(podUid);
    return detachRecords(deps, records);
  });
}

/**
 * Detach the devices still recorded for a claim (DRA unprepare: see NriPlugin.releaseClaim). Per pod,
 * under its lock, the records are read again there: a StopPodSandbox that held the lock first has
 * already given them back. Returns how many devices this call gave back.
 */
export async function releaseClaim(deps: HandlerDeps, claimUid: string): Promise<number> {
  const pods = new Set(
    (await deps.store.listAttachRecords()).filter((r) => r.claimUid === claimUid).map((r) => r.podUid),
  );
  let released = 0;
  for (const podUid of pods) {
    const done = await deps.podLock.run(podUid, async () => {
      const left = (await deps.store.attachRecordsForPod(podUid)).filter((r) => r.claimUid === claimUid);
      return detachRecords(deps, left);
    });
    for (const r of done) {
      deps.logger.warn('unprepare: gave back a device whose pod stop never reached knd', {
        claimUid,
        pod: r.podUid,
        device: r.deviceName,
      });
    }
    released += done.length;
  }
  return released;
}

/** Detach each record (reverse order of attach is not needed: devices are independent). */
export async function detachRecords(deps: HandlerDeps, records: AttachRecord[]): Promise<AttachRecord[]> {
  const done: AttachRecord[] = [];
  const errors: string[] = [];
  for (const record of records) {
    try {
      await deps.netns.detach(record);
      await deps.store.deleteAttachRecord(record);
      done.push(record);
    } catch (e) {
      errors.push(
        `${record.deviceName} (pod ${record.podUid}): ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  if (errors.length > 0) {
    throw new TtrpcStatusError(Code.UNKNOWN, `detach: ${errors.join('; ')}`);
  }
  return done;
}
