// RunPodSandbox hook: replay the prepared plans of the pod, moving each claimed netdev into the
// sandbox network namespace.
//
// Contract: called by containerd (NRI Plugin.RunPodSandbox, or StateChange RUN_POD_SANDBOX on
// older runtimes) after CNI setup, with the runtime's request timeout (2 s default; exceeding it
// disconnects the plugin). A pod with a plan makes no API-server call here (status is queued). A
// pod without one may share a claim this node prepared for another pod (the kubelet does not call
// prepare again for it): deps.sharedClaims reads the claims this node prepared in the pod's
// namespace (none: no call) and adds the pod where reservedFor lists it; if that read fails the
// hook fails with UNAVAILABLE (fail closed: the runtime tears the sandbox down, the kubelet
// creates it again). Retried calls for
// the same pod are safe: NetnsOps.attach is idempotent for a completed attach and records are
// keyed by claim/pod/device. Fail closed: if any device cannot be attached, the devices already
// attached for this sandbox are detached again and the hook throws, so the runtime tears the
// sandbox down instead of starting the pod without its NIC. An intent record (host state read by
// NetnsOps, no `result`) is persisted through AttachHooks.onRecord before the first kernel change,
// so a crash mid-attach can be undone by Synchronize/Stop; the
// confirmed records are written right after the kernel work, off the critical path.
import { attachRolledBack, type AttachRecord } from '../netns/contract.js';
import type { AttachPlan, DevicePlan } from '../plan-store/plan.js';
import type { HandlerDeps, PodIdentity, SharedClaimLookup } from './handler-deps.js';
import type { PodSandbox } from './nri-messages.js';
import { podNetnsPath, podRef } from './pod-netns.js';
import { Code, TtrpcStatusError } from './transport/ttrpc-status.js';

export function podIdentity(pod: PodSandbox): PodIdentity {
  return { namespace: pod.namespace, name: pod.name, uid: pod.uid };
}

/**
 * Attach every planned device of the pod; throws (after rollback) on the first failure. Resolves
 * as soon as the kernel work is done; the confirmed records are written right after, still under
 * the pod lock (so a StopPodSandbox waits for them), but off the hook's critical path. If the
 * agent dies before they land, the intent records remain, which Stop and Synchronize handle.
 */
export function runPodSandbox(deps: HandlerDeps, pod: PodSandbox): Promise<AttachRecord[]> {
  return new Promise((resolve, reject) => {
    // The plan lookup happens under the pod lock too, so a StopPodSandbox that arrives while this
    // call is still looking up plans waits and then sees the records this call writes.
    deps.podLock
      .run(pod.uid, async () => {
        let plans = await deps.store.plansForPod(pod.uid);
        if (plans.length === 0 && deps.sharedClaims) plans = await sharedPlans(deps, deps.sharedClaims, pod);
        if (plans.length === 0) {
          resolve([]);
          return;
        }
        const netnsPath = podNetnsPath(pod);
        if (netnsPath === undefined) {
          const message = `pod ${podRef(pod)} has claimed network devices but no network namespace path (namespaces: ${JSON.stringify(pod.linux?.namespaces ?? [])}; hostNetwork pods cannot take a NIC)`;
          for (const plan of plans) {
            deps.status.failed(plan.claim, podIdentity(pod), plan.devices, 'NoNetworkNamespace', message);
          }
          throw new TtrpcStatusError(Code.FAILED_PRECONDITION, message);
        }
        const attached = await attachAll(deps, pod, plans, netnsPath);
        resolve(attached);
        await confirmRecords(deps, pod.uid, attached);
      })
      .catch(reject);
  });
}

/** The plans of claims this node prepared for other pods that `pod` shares (usually none). */
async function sharedPlans(
  deps: HandlerDeps,
  shared: SharedClaimLookup,
  pod: PodSandbox,
): Promise<AttachPlan[]> {
  try {
    await shared.addPods([podIdentity(pod)]);
  } catch (e) {
    const cause = e instanceof Error ? e.message : String(e);
    throw new TtrpcStatusError(Code.UNAVAILABLE, `pod ${podRef(pod)}: ${cause}`, { cause: e });
  }
  return deps.store.plansForPod(pod.uid);
}

/** Overwrite the intent records with the confirmed ones; a failure is logged, never thrown. */
async function confirmRecords(deps: HandlerDeps, podUid: string, records: AttachRecord[]): Promise<void> {
  for (const r of records) {
    try {
      await deps.store.putAttachRecord(r);
    } catch (e) {
      deps.logger.error('writing a confirmed attach record failed; the intent record remains', {
        pod: podUid,
        device: r.deviceName,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
}

async function attachAll(
  deps: HandlerDeps,
  pod: PodSandbox,
  plans: AttachPlan[],
  netnsPath: string,
): Promise<AttachRecord[]> {
  const attached: AttachRecord[] = [];
  const perClaim = new Map<string, { device: DevicePlan; record: AttachRecord }[]>();
  for (const plan of plans) {
    for (const device of plan.devices) {
      const ids = { claimUid: plan.claim.uid, podUid: pod.uid };
      try {
        // NetnsOps reads the host state and hands us the record before its first kernel change;
        // it is durable before the change happens (crash recovery), without a result (intent).
        const record = await deps.netns.attach(device, netnsPath, ids, {
          onRecord: (intent) => deps.store.putAttachRecord(intent),
        });
        attached.push(record);
        const list = perClaim.get(plan.claim.uid) ?? [];
        list.push({ device, record });
        perClaim.set(plan.claim.uid, list);
      } catch (e) {
        const cause = e instanceof Error ? e.message : String(e);
        const message = `attach ${device.deviceName} (${device.host.ifName}) of claim ${plan.claim.namespace}/${plan.claim.name} to pod ${podRef(pod)}: ${cause}`;
        // NetnsOps.attach rolls its own steps back. Only when it says the NIC is provably home is
        // the intent record dropped; otherwise the record stays, so StopPodSandbox/Synchronize
        // detach it later (the NIC may be in the pod, or on the host under another name).
        if (attachRolledBack(e)) {
          await deps.store
            .deleteAttachRecord({ claimUid: plan.claim.uid, podUid: pod.uid, deviceName: device.deviceName })
            .catch((de: unknown) => {
              deps.logger.error('delete intent record failed', {
                device: device.deviceName,
                error: String(de),
              });
            });
        } else {
          deps.logger.error('attach rollback incomplete; intent record kept for StopPodSandbox/Synchronize', {
            device: device.deviceName,
            error: cause,
          });
        }
        const rollbackErrors = await rollback(deps, attached);
        for (const p of plans)
          deps.status.failed(p.claim, podIdentity(pod), p.devices, 'AttachFailed', message);
        const suffix = rollbackErrors.length > 0 ? `; rollback failed: ${rollbackErrors.join('; ')}` : '';
        throw new TtrpcStatusError(Code.UNKNOWN, message + suffix, { cause: e });
      }
    }
  }
  for (const plan of plans) {
    const devices = perClaim.get(plan.claim.uid);
    if (devices) deps.status.attached(plan.claim, podIdentity(pod), devices);
  }
  return attached;
}

/** Detach in reverse order; a record is deleted only after its detach succeeded. */
async function rollback(deps: HandlerDeps, attached: AttachRecord[]): Promise<string[]> {
  const errors: string[] = [];
  for (const record of [...attached].reverse()) {
    try {
      await deps.netns.detach(record);
      await deps.store.deleteAttachRecord(record);
    } catch (e) {
      const text = `${record.deviceName}: ${e instanceof Error ? e.message : String(e)}`;
      deps.logger.error('rollback detach failed; record kept for Synchronize/Stop', { error: text });
      errors.push(text);
    }
  }
  return errors;
}
