// At agent start, bring the CDI spec of every prepared claim to the running agent's rendering.
//
// Contract: called once by main.ts after the plan store is open and before the DRA socket serves
// (no prepare/unprepare runs concurrently). For each plan the store could read: render the spec
// from the plan; write it when the file is missing or differs (an upgraded agent thereby replaces
// specs an older agent wrote, e.g. with an older attach guard); leave the file alone when the
// rendering would not define every CDI id the plan gave the kubelet (logged as an error: the
// kubelet would hand the container an id the spec no longer has). Specs of plans the store keeps
// but cannot read (a newer agent's format) and of claims without a plan are not touched. Every
// rewrite is logged. Idempotent; a failed write is logged and the next claim is tried.
import type { Logger } from '../../../lib/util/logger.js';
import type { AttachPlan } from '../plan-store/plan.js';
import { cdiSpecText, type CdiWriter } from './cdi-writer.js';
import { missingCdiIds, specForPlan } from './plan-cdi-spec.js';

export interface CdiResyncResult {
  rewritten: number;
  kept: number;
  failed: number;
}

export async function resyncCdiSpecs(
  plans: readonly AttachPlan[],
  cdi: CdiWriter,
  completionDir: string,
  log: Logger,
): Promise<CdiResyncResult> {
  const out: CdiResyncResult = { rewritten: 0, kept: 0, failed: 0 };
  for (const plan of plans) {
    const claimUid = plan.claim.uid;
    const spec = specForPlan(plan, completionDir);
    const missing = missingCdiIds(plan, spec);
    if (missing.length > 0) {
      out.kept++;
      log.error('CDI spec of a prepared claim left as it is: this agent would not define its ids', {
        claimUid,
        file: cdi.path(claimUid),
        missing,
      });
      continue;
    }
    if (!spec) continue;
    try {
      const before = await cdi.read(claimUid);
      if (before === cdiSpecText(spec)) continue;
      await cdi.write(claimUid, spec);
      out.rewritten++;
      log.info('CDI spec of a prepared claim written in this agent’s rendering', {
        claimUid,
        file: cdi.path(claimUid),
        before: before === undefined ? 'missing' : 'different',
      });
    } catch (err) {
      out.failed++;
      log.error('CDI spec of a prepared claim could not be rewritten', {
        claimUid,
        error: (err as Error).message,
      });
    }
  }
  return out;
}
