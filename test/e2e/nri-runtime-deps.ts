// The real dependencies of the NRI runtime tier (test/e2e/nri-runtime.test.ts, bench/nri-hook.ts):
// the durable PlanStore (node-agent/src/plan-store/) and the kernel NetnsOps (node-agent/src/netns/).
// Never fakes: when a real piece is missing the caller fails with the reason.
import type { NetnsOps } from '../../node-agent/src/netns/contract.js';
import { KernelNetnsOps } from '../../node-agent/src/netns/kernel-netns-ops.js';
import type { AttachPlan } from '../../node-agent/src/plan-store/plan.js';
import { PlanStore } from '../../node-agent/src/plan-store/plan-store.js';

export interface TestPlanStore extends PlanStore {
  /** putPlan with this boot's id stamped in (plans are only valid for the boot they were made in). */
  putPlanThisBoot(plan: AttachPlan): Promise<void>;
}

export async function openPlanStore(dir: string): Promise<TestPlanStore> {
  const store = await PlanStore.open({ dir });
  return Object.assign(store, {
    putPlanThisBoot: (plan: AttachPlan) => store.putPlan({ ...plan, bootId: store.bootId }),
  });
}

/** The kernel implementation of NetnsOps (node-agent/src/netns/kernel-netns-ops.ts). */
export function realNetnsOps(): Promise<NetnsOps> {
  return Promise.resolve(new KernelNetnsOps());
}
