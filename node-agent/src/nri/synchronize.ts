// Synchronize: reconcile persisted attach records with the pods the runtime reports as existing.
//
// Contract: called by the runtime once per (re)connection, right after Configure, possibly split
// (`more`); the reply must come within the request timeout, so the reconcile runs in the
// background after the full pod list arrived (each pod under the pod lock). It NEVER deletes plans
// (k-sigs#232: pruning there lost NICs of running pods); it only
//   - detaches records whose pod no longer exists (the pod went away while we were disconnected),
//   - re-attaches intent records (no `result`: the agent died mid-attach) of running pods,
//   - attaches planned devices of running pods that have no record (the pod started while the
//     plugin was disconnected: late is better than never; logged as a warning).
import type { AttachRecord } from '../netns/contract.js';
import type { HandlerDeps } from './handler-deps.js';
import type { PodSandbox } from './nri-messages.js';
import { recordKey } from './plan-source.js';
import { runPodSandbox } from './run-pod-sandbox.js';
import { detachRecords } from './stop-pod-sandbox.js';

export interface ReconcilePlan {
  /** Records of pods the runtime no longer knows: detach. */
  orphaned: AttachRecord[];
  /** Intent records (attach never confirmed) of running pods: detach, then attach again. */
  unconfirmed: AttachRecord[];
  /** Running pods with plans to (re-)attach. */
  attach: PodSandbox[];
}

/** Pure: what to do, from the runtime's pods, the records and which pods have plans. */
export function planReconcile(
  pods: readonly PodSandbox[],
  records: readonly AttachRecord[],
  podsWithPlans: ReadonlySet<string>,
  plannedDeviceCount: ReadonlyMap<string, number>,
): ReconcilePlan {
  const running = new Map(pods.map((p) => [p.uid, p]));
  const orphaned: AttachRecord[] = [];
  const unconfirmed: AttachRecord[] = [];
  const confirmedPerPod = new Map<string, number>();
  for (const r of records) {
    if (!running.has(r.podUid)) orphaned.push(r);
    else if (r.result === undefined) unconfirmed.push(r);
    else confirmedPerPod.set(r.podUid, (confirmedPerPod.get(r.podUid) ?? 0) + 1);
  }
  const attach: PodSandbox[] = [];
  for (const pod of running.values()) {
    if (!podsWithPlans.has(pod.uid)) continue;
    const planned = plannedDeviceCount.get(pod.uid) ?? 0;
    if ((confirmedPerPod.get(pod.uid) ?? 0) < planned) attach.push(pod);
  }
  return { orphaned, unconfirmed, attach };
}

/** Collects split Synchronize requests; returns the full pod list on the last part. */
export class SyncCollector {
  private pods: PodSandbox[] = [];

  add(pods: readonly PodSandbox[], more: boolean): PodSandbox[] | undefined {
    this.pods.push(...pods);
    if (more) return undefined;
    const all = this.pods;
    this.pods = [];
    return all;
  }
}

export async function reconcile(deps: HandlerDeps, pods: readonly PodSandbox[]): Promise<ReconcilePlan> {
  const records = await deps.plans.listAttachRecords();
  const podsWithPlans = new Set<string>();
  const plannedDeviceCount = new Map<string, number>();
  for (const pod of pods) {
    const plans = await deps.plans.plansForPod(pod.uid);
    if (plans.length === 0) continue;
    podsWithPlans.add(pod.uid);
    plannedDeviceCount.set(
      pod.uid,
      plans.reduce((n, p) => n + p.devices.length, 0),
    );
  }
  const plan = planReconcile(pods, records, podsWithPlans, plannedDeviceCount);
  const failures: string[] = [];
  const note = (what: string, e: unknown): void => {
    failures.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  };
  for (const r of plan.orphaned) {
    await deps.podLock
      .run(r.podUid, () => detachRecords(deps, [r]))
      .then(
        () => deps.logger.info('reconcile: detached device of a pod that is gone', { record: recordKey(r) }),
        (e: unknown) => {
          note(`detach orphaned ${recordKey(r)}`, e);
        },
      );
  }
  for (const r of plan.unconfirmed) {
    await deps.podLock
      .run(r.podUid, () => detachRecords(deps, [r]))
      .catch((e: unknown) => {
        note(`detach unconfirmed ${recordKey(r)}`, e);
      });
  }
  for (const pod of plan.attach) {
    deps.logger.warn('reconcile: pod is running without its planned devices; attaching late', {
      pod: pod.uid,
    });
    await runPodSandbox(deps, pod).catch((e: unknown) => {
      note(`attach pod ${pod.uid}`, e);
    });
  }
  if (failures.length > 0) deps.logger.error('reconcile finished with failures', { failures });
  return plan;
}
