// Prepare's durable step for one decided plan: its CDI spec, then the plan, each atomic and fsync'd
// (cdi-writer.ts, plan-store.ts), then the devices pinned in the inventory. Both files' contents are
// staged (written and fsync'd under temp names) at once; then the CDI spec is renamed into place and
// its directory fsync'd BEFORE the plan is: a plan on disk always has its spec on disk. Three
// fsync waits in a row instead of four (each a journal commit: 100+ ms on a busy disk).
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
import type { StagedFile } from '../plan-store/durable-file.js';
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
  const staged: StagedFile[] = [];
  try {
    const spec = specForPlan(plan, deps.completionDir);
    // both files' data fsync'd at once (one journal commit instead of two in a row) ...
    const [cdiFile, planFile] = await stageBoth(
      spec ? deps.cdi.stage(plan.claim.uid, spec) : Promise.resolve(undefined),
      deps.store.stagePlan(plan),
    );
    if (cdiFile) staged.push(cdiFile);
    staged.push(planFile);
    // ... then put in place in order: the CDI spec is durable before the plan that names it is
    await cdiFile?.commit();
    await planFile.commit();
    for (const d of plan.devices) deps.devices.pin?.(d.deviceName);
    return undefined;
  } catch (err) {
    for (const f of staged) await f.discard().catch(() => undefined); // temp files; no-op once committed
    await undoPersist(deps, plan.claim.uid);
    return (err as Error).message;
  }
}

/** Both stagings; if one fails, the other's temp file is removed and the first error thrown. */
async function stageBoth(
  cdi: Promise<StagedFile | undefined>,
  plan: Promise<StagedFile>,
): Promise<[StagedFile | undefined, StagedFile]> {
  const [c, p] = await Promise.allSettled([cdi, plan]);
  if (c.status === 'fulfilled' && p.status === 'fulfilled') return [c.value, p.value];
  for (const r of [c, p]) if (r.status === 'fulfilled') await r.value?.discard().catch(() => undefined);
  throw c.status === 'rejected' ? c.reason : (p as PromiseRejectedResult).reason;
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
