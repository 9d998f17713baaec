// Prepare's durable step for one decided plan: its CDI spec, then the plan, each atomic and fsync'd
// (cdi-writer.ts, plan-store.ts), then the devices pinned in the inventory.
//
// Contract:
// - Caller: DraHandler.prepare, outside the plan lock, while the plan's devices are reserved
//   (plan-reservations.ts); the caller ends the reservation after this resolves either way.
// - Resolves with undefined once both files are durable and the plan is in the store's memory, or
//   with the error text; never rejects. On failure it first removes what it may have written (the
//   CDI spec; a plan file a failing directory fsync left behind), so the devices can be handed out
//   again; a removal that fails is logged at error level (the file may then outlive the failure).
import type { Logger } from '../../../lib/util/logger.js';
import type { CdiWriter } from '../cdi/cdi-writer.js';
import { specForPlan } from '../cdi/plan-cdi-spec.js';
import type { AttachPlan } from '../plan-store/plan.js';
import type { PlanStore } from '../plan-store/plan-store.js';
import type { DeviceLookup } from './device-lookup.js';

export interface PersistDeps {
  cdi: CdiWriter;
  store: PlanStore;
  devices: DeviceLookup;
  /** Where the attach guard looks for completion marks (cdi/attach-completion.ts). */
  completionDir: string;
  logger: Logger;
}

export async function persistPlan(deps: PersistDeps, plan: AttachPlan): Promise<string | undefined> {
  try {
    const spec = specForPlan(plan, deps.completionDir);
    if (spec) await deps.cdi.write(plan.claim.uid, spec);
    await deps.store.putPlan(plan);
    for (const d of plan.devices) deps.devices.pin?.(d.deviceName);
    return undefined;
  } catch (err) {
    await undoPersist(deps, plan.claim.uid);
    return (err as Error).message;
  }
}

async function undoPersist(deps: PersistDeps, claimUid: string): Promise<void> {
  for (const [file, undo] of [
    ['CDI spec', () => deps.cdi.remove(claimUid)],
    ['plan', () => deps.store.deletePlan(claimUid)],
  ] as const) {
    try {
      await undo();
    } catch (err) {
      deps.logger.error('cannot remove what a failed prepare wrote', {
        claimUid,
        file,
        error: (err as Error).message,
      });
    }
  }
}
