// Shared claims without a watch: which claims already prepared on this node a pod also uses.
//
// Why: the kubelet calls NodePrepareResources once per claim. A second pod that uses an already
// prepared claim (a shared claim, `spec.resourceClaims[].resourceClaimName`) gets no prepare call,
// so its uid is not in that plan's podUids and RunPodSandbox would find nothing to attach. The
// scheduler adds every pod to the claim's status.reservedFor before it binds the pod, so once this
// node sees the pod, a GET of the claim (a consistent read) lists it.
//
// Contract: addPodsToSharedPlans(deps, pods) considers only plans of this node that are in the
// namespace of one of the pods (claims are namespaced: a pod can use only claims of its own
// namespace), do not list that pod yet and, when the pod's claim names are known (PodRef.claimNames,
// pod-claims.ts), are of a claim the pod names; no plan qualifies -> no API call. Each qualifying claim
// is read once (in parallel, the reader's timeout); every one whose reservedFor names one of the
// pods gets its plan's podUids brought up to date, durably (deps.refresh, under the DRA handler's
// lock). A claim that is gone (404) or was recreated (other uid) is skipped. Callers: DRA prepare
// (the pods of newly prepared claims), the NRI RunPodSandbox hook (a pod without a plan) and the
// NRI Synchronize reconcile (every running pod). Idempotent. When a claim cannot be read, the
// others are still applied and the call rejects naming the unread claims: the caller cannot know
// whether the pod uses them and fails closed (prepare error, sandbox error) or logs (Synchronize).
import type { AttachPlan, ClaimRef } from '../plan-store/plan.js';
import { sameClaim, type ClaimSource } from './claim-reader.js';
import type { ResourceClaim } from './claim-types.js';
import { reservedPodUids } from './plan-claim.js';

export interface PodRef {
  namespace: string;
  uid: string;
  /**
   * The claim names the pod uses (pod-claims.ts), when known: only plans of those claims are
   * candidates. Undefined: every plan of the namespace that does not list the pod is.
   */
  claimNames?: ReadonlySet<string>;
}

export interface SharedClaimDeps {
  listPlans(): Promise<AttachPlan[]>;
  claims: ClaimSource;
  /** Merge the claim's reservedFor pods into this node's plan of it; true when the plan changed. */
  refresh(claim: ResourceClaim): Promise<boolean>;
}

export interface SharedClaimResult {
  /** Claims read from the API. */
  checked: number;
  /** Plans that now list pods they did not list before (only pods that were asked about). */
  added: { claim: ClaimRef; podUids: string[] }[];
}

/** Pure: the plans that one of `pods` might use without being listed in them yet. */
export function candidatePlans(
  plans: readonly AttachPlan[],
  pods: readonly PodRef[],
  excludeClaimUids: ReadonlySet<string> = new Set(),
): AttachPlan[] {
  return plans.filter(
    (p) =>
      !excludeClaimUids.has(p.claim.uid) &&
      pods.some(
        (pod) =>
          pod.namespace === p.claim.namespace &&
          !p.podUids.includes(pod.uid) &&
          (pod.claimNames === undefined || pod.claimNames.has(p.claim.name)),
      ),
  );
}

export async function addPodsToSharedPlans(
  deps: SharedClaimDeps,
  pods: readonly PodRef[],
  excludeClaimUids: ReadonlySet<string> = new Set(),
): Promise<SharedClaimResult> {
  const candidates = candidatePlans(await deps.listPlans(), pods, excludeClaimUids);
  if (candidates.length === 0) return { checked: 0, added: [] };
  const settled = await Promise.allSettled(
    candidates.map(async (plan) => {
      const claim = await sameClaim(deps.claims, plan.claim);
      if (!claim) return undefined;
      const wanted = new Set(
        pods
          .filter((p) => p.namespace === plan.claim.namespace && !plan.podUids.includes(p.uid))
          .map((p) => p.uid),
      );
      const podUids = reservedPodUids(claim).filter((uid) => wanted.has(uid));
      if (podUids.length === 0) return undefined;
      await deps.refresh(claim);
      return { claim: plan.claim, podUids };
    }),
  );
  const added: SharedClaimResult['added'] = [];
  const failures: string[] = [];
  settled.forEach((s, i) => {
    const plan = candidates[i] as AttachPlan;
    if (s.status === 'fulfilled') {
      if (s.value) added.push(s.value);
    } else {
      const why = s.reason instanceof Error ? s.reason.message : String(s.reason);
      failures.push(`claim ${plan.claim.namespace}/${plan.claim.name}: ${why}`);
    }
  });
  if (failures.length > 0) {
    throw new Error(
      `cannot check which claims prepared on this node the pod also uses: ${failures.join('; ')}`,
    );
  }
  return { checked: candidates.length, added };
}
