// Which IPAllocations the garbage collector may release (pure). An allocation is a candidate when
// the claim it names (by uid) is not among the live claims the operator's informer sees and it is
// older than graceMs (an agent creates an allocation only after reading its claim, but the
// informer may lag behind the apiserver). A candidate is released only after a direct GET of the
// claim confirms it is gone or was recreated under another uid (ipam-controller.ts), so an
// allocation whose claim still exists is never released, whatever the informer says.
import type { IPAllocation } from '../../../lib/api/ip-pool.js';

export interface GcInput {
  allocations: readonly IPAllocation[];
  /** uids of the ResourceClaims the informer holds. */
  liveClaimUids: ReadonlySet<string>;
  nowMs: number;
  graceMs: number;
}

export function gcCandidates(input: GcInput): IPAllocation[] {
  return input.allocations.filter((a) => {
    if (input.liveClaimUids.has(a.spec.claim.uid)) return false;
    if (a.metadata.deletionTimestamp) return false;
    const created = Date.parse(a.metadata.creationTimestamp ?? '');
    // no creation time (never from the apiserver): treat as new
    if (Number.isNaN(created)) return false;
    return input.nowMs - created >= input.graceMs;
  });
}
