// The real dependencies of the NRI runtime tier (test/e2e/nri-runtime.test.ts, bench/nri-hook.ts):
// the durable PlanStore (node-agent/src/plan-store/) and the kernel NetnsOps (node-agent/src/netns/).
// Never fakes: when a real piece is missing the caller fails with the reason.
import type { NetnsOps } from '../../node-agent/src/netns/contract.js';
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

const NETNS_OPS_MODULE = '../../node-agent/src/netns/netns-ops.js';

function isNetnsOps(v: unknown): v is NetnsOps {
  return (
    typeof v === 'object' &&
    v !== null &&
    'attach' in v &&
    typeof v.attach === 'function' &&
    'detach' in v &&
    typeof v.detach === 'function'
  );
}

/** The kernel implementation of NetnsOps, or an error saying why it is not there. */
export async function realNetnsOps(): Promise<NetnsOps> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(NETNS_OPS_MODULE)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(
      `real NetnsOps not available: cannot load ${NETNS_OPS_MODULE} (node-agent/src/netns/, issue 6 kernel half): ${String(e)}`,
      { cause: e },
    );
  }
  const factory = mod.createNetnsOps;
  if (typeof factory !== 'function') throw new Error(`${NETNS_OPS_MODULE} exports no createNetnsOps()`);
  const ops: unknown = await (factory as () => unknown)();
  if (!isNetnsOps(ops)) throw new Error(`${NETNS_OPS_MODULE} createNetnsOps() did not return a NetnsOps`);
  return ops;
}
