// Plans whose claim no longer exists, unprepared by the agent itself.
//
// The kubelet unprepares a claim when its pod ends. If the pod's sandbox went away while the agent
// was down and the agent then stayed down past the pod's deletion, the kubelet may never call
// NodeUnprepareResources for it: the plan stays in the state dir and keeps its NIC (and its IPPool
// addresses) from every later claim. This sweep closes that gap.
//
// Contract:
// - Caller: node-agent main, once the DRA plugin listens and then every intervalMs (default 10 min).
// - For each persisted plan, one GET of its claim (namespace/name). Only a 404, or a claim of that
//   name with another uid (deleted and created again), counts as gone: the claim is then
//   unprepared through the very path of the kubelet's NodeUnprepareResources (devices still attached
//   are given back, CDI spec and plan removed, addresses released). Any other answer (the claim
//   exists, an apiserver or network error) keeps the plan: fail closed, retried on the next sweep.
//   A claim is protected from deletion while a pod holds it, so a gone claim has no running pod.
// - Idempotent: a later kubelet unprepare of the same claim finds nothing and succeeds.
// - Errors are logged per claim, never thrown; one sweep at a time.
import { isNotFound } from '../../../lib/kube/errors.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { AttachPlan } from '../plan-store/plan.js';
import type { ClaimSource } from './claim-reader.js';
import type { ClaimRequest } from './claim-types.js';

export type ClaimLookup =
  { kind: 'found'; uid: string } | { kind: 'not-found' } | { kind: 'error'; message: string };

/** Pure: whether a plan's claim is gone (unprepare it) or must be kept. */
export function orphanVerdict(planClaimUid: string, lookup: ClaimLookup): 'gone' | 'keep' {
  if (lookup.kind === 'not-found') return 'gone';
  if (lookup.kind === 'found') return lookup.uid === planClaimUid ? 'keep' : 'gone';
  return 'keep';
}

export interface OrphanSweepDeps {
  store: { listPlans(): Promise<AttachPlan[]> };
  claims: ClaimSource;
  unprepare(claims: readonly ClaimRequest[]): Promise<Map<string, { error: string }>>;
  logger: Logger;
}

export interface OrphanSweepResult {
  unprepared: string[];
  kept: number;
  failed: string[];
}

async function lookup(claims: ClaimSource, namespace: string, name: string): Promise<ClaimLookup> {
  try {
    const c = await claims.get(namespace, name);
    return { kind: 'found', uid: c.metadata?.uid ?? '' };
  } catch (e) {
    return isNotFound(e) ? { kind: 'not-found' } : { kind: 'error', message: (e as Error).message };
  }
}

/** One sweep over the persisted plans. */
export async function sweepOrphanPlans(deps: OrphanSweepDeps): Promise<OrphanSweepResult> {
  const out: OrphanSweepResult = { unprepared: [], kept: 0, failed: [] };
  for (const plan of await deps.store.listPlans()) {
    const { namespace, name, uid } = plan.claim;
    const found = await lookup(deps.claims, namespace, name);
    if (orphanVerdict(uid, found) === 'keep') {
      if (found.kind === 'error')
        deps.logger.warn('orphan sweep: claim lookup failed; plan kept', {
          claimUid: uid,
          error: found.message,
        });
      out.kept++;
      continue;
    }
    const result = (await deps.unprepare([{ namespace, name, uid }])).get(uid);
    if (result === undefined || result.error !== '') {
      out.failed.push(uid);
      deps.logger.warn('orphan sweep: unprepare of a gone claim failed; retried next sweep', {
        claimUid: uid,
        error: result?.error ?? 'no result',
      });
    } else {
      out.unprepared.push(uid);
      deps.logger.info('orphan sweep: claim no longer exists; unprepared its plan', {
        claim: `${namespace}/${name}`,
        claimUid: uid,
      });
    }
  }
  return out;
}

/** Sweeps now and every intervalMs; stop() ends it. Sweeps never overlap. */
export function startOrphanSweep(deps: OrphanSweepDeps, intervalMs = 600_000): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    try {
      await sweepOrphanPlans(deps);
    } catch (e) {
      deps.logger.warn('orphan sweep failed; retried next interval', { error: (e as Error).message });
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), intervalMs);
      timer.unref();
    }
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
