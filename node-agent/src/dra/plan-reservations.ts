// Plans that prepare decided under the plan lock and is persisting outside it.
//
// Contract:
// - Caller: DraHandler (prepare-handler.ts). reserve() is called under the plan lock, right after the
//   conflict check, so the next holder of the lock sees the plan's devices as taken although the plan
//   is not in the plan store yet. The returned settle() is called exactly once by the persisting
//   code, outside the lock: after the plan store holds the plan (success), or after the failed
//   persist was undone (the devices are free again).
// - From reserve() to settle() a device is in `plans()`; from the store's putPlan onwards it is in
//   the store; settle() is called after putPlan resolved, so there is no moment in which a decided
//   plan is in neither (JavaScript runs the two steps without interleaving other prepares).
// - settled(claimUid) lets a caller holding the plan lock wait until that claim's persist ended
//   (unprepare and refreshReservations of a claim being persisted). The persist never takes the plan
//   lock, so waiting for it under the lock cannot deadlock.
// - One reservation per claim: reserving a claim that is already reserved throws (the caller checks
//   `has` first and waits instead).
import type { AttachPlan } from '../plan-store/plan.js';

interface Reservation {
  plan: AttachPlan;
  settled: Promise<void>;
}

export class PlanReservations {
  private readonly byClaim = new Map<string, Reservation>();

  /** Plans reserved and not settled yet. */
  plans(): AttachPlan[] {
    return [...this.byClaim.values()].map((r) => r.plan);
  }

  has(claimUid: string): boolean {
    return this.byClaim.has(claimUid);
  }

  /** Resolves when the claim's persist ended (at once when none is running). Never rejects. */
  settled(claimUid: string): Promise<void> {
    return this.byClaim.get(claimUid)?.settled ?? Promise.resolve();
  }

  /** Reserve the plan's devices; call the returned function once the persist ended either way. */
  reserve(plan: AttachPlan): () => void {
    const uid = plan.claim.uid;
    if (this.byClaim.has(uid)) throw new Error(`claim ${uid} is already being prepared`);
    let done!: () => void;
    const settled = new Promise<void>((resolve) => {
      done = resolve;
    });
    const r: Reservation = { plan, settled };
    this.byClaim.set(uid, r);
    return () => {
      if (this.byClaim.get(uid) === r) this.byClaim.delete(uid);
      done();
    };
  }
}
