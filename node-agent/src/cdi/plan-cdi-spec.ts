// The CDI spec of one prepared claim, derived from its AttachPlan. Pure. The spec is never read back
// for its content: the plan is the durable record, the spec a rendering of it (prepare writes it,
// the agent renders it again at start, cdi-resync.ts). The CDI device ids the kubelet was given are
// stored in the plan (`devices[].cdiDeviceIds`) and must stay resolvable for as long as the claim is
// prepared, whatever the rendering of the running agent.
import type { AttachPlan } from '../plan-store/plan.js';
import { CDI_KIND, renderCdiSpec, type CdiSpec } from './cdi-spec.js';

/**
 * The claim's spec (attach guard + RDMA char devices per device); undefined for a plan without devices.
 * `completionDir`: where the agent writes attach completion marks (attach-completion.ts).
 */
export function specForPlan(plan: AttachPlan, completionDir: string): CdiSpec | undefined {
  return renderCdiSpec(
    plan.claim.uid,
    `${plan.claim.namespace}/${plan.claim.name}`,
    plan.devices.map((d) => ({
      deviceName: d.deviceName,
      podIfName: d.podIfName,
      charDevices: d.rdma?.charDevices ?? [],
    })),
    completionDir,
  );
}

/** CDI ids the plan promised the kubelet that the spec does not define (empty: the spec serves the plan). */
export function missingCdiIds(plan: AttachPlan, spec: CdiSpec | undefined): string[] {
  const defined = new Set((spec?.devices ?? []).map((d) => `${CDI_KIND}=${d.name}`));
  return plan.devices.flatMap((d) => d.cdiDeviceIds).filter((id) => !defined.has(id));
}
