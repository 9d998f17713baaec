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
// One Synchronize (all its `more` parts together) may carry at most SYNC_LIMITS pods and containers;
// each part is counted on the wire before it is decoded (decoding millions of entries blocks the
// event loop for seconds), and a part past the limit is answered RESOURCE_EXHAUSTED, forgetting the
// parts so far: the runtime then drops the connection and the plugin reconnects. Containers are
// counted but never decoded: knd does not read them, and they are most of the decoding cost.
import type { AttachRecord } from '../netns/contract.js';
import type { HandlerDeps } from './handler-deps.js';
import type { PodSandbox } from './nri-messages.js';
import { walkTopLevelFields } from './protobuf-wire.js';
import { Code, TtrpcStatusError } from './transport/ttrpc-status.js';
import { recordKey } from './plan-source.js';
import { runPodSandbox } from './run-pod-sandbox.js';
import { detachRecords } from './stop-pod-sandbox.js';

export interface ReconcileDecision {
  /** Records of pods the runtime no longer knows: detach. */
  orphaned: AttachRecord[];
  /** Intent records (attach never confirmed) of running pods: detach, then attach again. */
  unconfirmed: AttachRecord[];
  /** Running pods with plans to (re-)attach. */
  attach: PodSandbox[];
}

/** Pure: what to do (the decision), from the runtime's pods, the records and which pods have plans. */
export function decideReconcile(
  pods: readonly PodSandbox[],
  records: readonly AttachRecord[],
  podsWithPlans: ReadonlySet<string>,
  plannedDeviceCount: ReadonlyMap<string, number>,
): ReconcileDecision {
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

export interface SyncLimits {
  maxPods: number;
  maxContainers: number;
}

/**
 * Far above any node (Kubernetes supports 110 pods per node; large nodes run a few hundred), low
 * enough that one Synchronize costs milliseconds: walking 60 000 entries and decoding 10 000 pods.
 */
export const SYNC_LIMITS: SyncLimits = { maxPods: 10_000, maxContainers: 50_000 };

/** SynchronizeRequest field numbers (proto/nri/api.proto). */
const SYNC_PODS_FIELD = 1;
const SYNC_CONTAINERS_FIELD = 2;

export interface SyncPart {
  pods: number;
  containers: number;
  /** The encoded part without its container entries, to decode as a SynchronizeRequest. */
  withoutContainers: Uint8Array;
}

/**
 * Count the pods and containers of one encoded SynchronizeRequest part without decoding it, and drop
 * the containers. Throws INVALID_ARGUMENT for malformed bytes and RESOURCE_EXHAUSTED when the part
 * alone has more entries than the limits allow (the walk stops there).
 */
export function scanSyncPart(payload: Uint8Array, limits: SyncLimits = SYNC_LIMITS): SyncPart {
  let pods = 0;
  let containers = 0;
  const kept: Uint8Array[] = [];
  const maxFields = limits.maxPods + limits.maxContainers + 1; // + `more`
  const walked = walkTopLevelFields(payload, maxFields, (field, start, end) => {
    if (field === SYNC_CONTAINERS_FIELD) {
      containers++;
      return;
    }
    if (field === SYNC_PODS_FIELD) pods++;
    kept.push(payload.subarray(start, end));
  });
  if (!walked.ok) {
    const tooMany = walked.error.message.includes('more than');
    throw new TtrpcStatusError(
      tooMany ? Code.RESOURCE_EXHAUSTED : Code.INVALID_ARGUMENT,
      tooMany
        ? `Synchronize: more than ${maxFields} entries in one request (limits: ${limits.maxPods} pods, ${limits.maxContainers} containers per synchronization)`
        : `Synchronize: ${walked.error.message}`,
    );
  }
  return { pods, containers, withoutContainers: containers === 0 ? payload : Buffer.concat(kept) };
}

/** Collects split Synchronize requests within SYNC_LIMITS; returns the full pod list on the last part. */
export class SyncCollector {
  private pods: PodSandbox[] = [];
  private podCount = 0;
  private containerCount = 0;
  private readonly limits: SyncLimits;

  constructor(limits: SyncLimits = SYNC_LIMITS) {
    this.limits = limits;
  }

  /**
   * Count one part (before decoding it) against what one Synchronize may hold. Past a limit: forget
   * the parts so far and throw RESOURCE_EXHAUSTED.
   */
  admit(counts: { pods: number; containers: number }): void {
    const pods = this.podCount + counts.pods;
    const containers = this.containerCount + counts.containers;
    const over =
      pods > this.limits.maxPods
        ? `${pods} pods exceed the limit of ${this.limits.maxPods}`
        : containers > this.limits.maxContainers
          ? `${containers} containers exceed the limit of ${this.limits.maxContainers}`
          : undefined;
    if (over !== undefined) {
      this.reset();
      throw new TtrpcStatusError(Code.RESOURCE_EXHAUSTED, `Synchronize: ${over} per synchronization`);
    }
    this.podCount = pods;
    this.containerCount = containers;
  }

  add(pods: readonly PodSandbox[], more: boolean): PodSandbox[] | undefined {
    for (const p of pods) this.pods.push(p);
    if (more) return undefined;
    const all = this.pods;
    this.reset();
    return all;
  }

  private reset(): void {
    this.pods = [];
    this.podCount = 0;
    this.containerCount = 0;
  }
}

export async function reconcile(deps: HandlerDeps, pods: readonly PodSandbox[]): Promise<ReconcileDecision> {
  const records = await deps.store.listAttachRecords();
  const podsWithPlans = new Set<string>();
  const plannedDeviceCount = new Map<string, number>();
  for (const pod of pods) {
    const plans = await deps.store.plansForPod(pod.uid);
    if (plans.length === 0) continue;
    podsWithPlans.add(pod.uid);
    plannedDeviceCount.set(
      pod.uid,
      plans.reduce((n, p) => n + p.devices.length, 0),
    );
  }
  const decision = decideReconcile(pods, records, podsWithPlans, plannedDeviceCount);
  const failures: string[] = [];
  const note = (what: string, e: unknown): void => {
    failures.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  };
  for (const r of decision.orphaned) {
    await deps.podLock
      .run(r.podUid, () => detachRecords(deps, [r]))
      .then(
        () => deps.logger.info('reconcile: detached device of a pod that is gone', { record: recordKey(r) }),
        (e: unknown) => {
          note(`detach orphaned ${recordKey(r)}`, e);
        },
      );
  }
  for (const r of decision.unconfirmed) {
    await deps.podLock
      .run(r.podUid, () => detachRecords(deps, [r]))
      .catch((e: unknown) => {
        note(`detach unconfirmed ${recordKey(r)}`, e);
      });
  }
  for (const pod of decision.attach) {
    deps.logger.warn('reconcile: pod is running without its planned devices; attaching late', {
      pod: pod.uid,
    });
    await runPodSandbox(deps, pod).catch((e: unknown) => {
      note(`attach pod ${pod.uid}`, e);
    });
  }
  if (failures.length > 0) deps.logger.error('reconcile finished with failures', { failures });
  return decision;
}
