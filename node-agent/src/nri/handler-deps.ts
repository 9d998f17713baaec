// Dependencies shared by the NRI event handlers (injected by startNriPlugin; fakes in unit tests).
import type { Logger } from '../../../lib/util/logger.js';
import type { AttachRecord, NetnsOps } from '../netns/contract.js';
import type { ClaimRef, DevicePlan } from '../plan-store/plan.js';
import type { KeyedLock } from './keyed-lock.js';
import type { NriPlanStore } from './plan-source.js';

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * Receives KEP-4817 status outcomes. Implementations must return at once (queue and write
 * asynchronously): the hooks never wait for the API server.
 */
export interface ClaimStatusSink {
  attached(claim: ClaimRef, pod: PodIdentity, devices: { device: DevicePlan; record: AttachRecord }[]): void;
  failed(claim: ClaimRef, pod: PodIdentity, devices: DevicePlan[], reason: string, message: string): void;
}

/**
 * Adds pods to the plans of claims this node already prepared that they share (the DRA side,
 * node-agent/src/dra/shared-claims.ts: one GET per such claim in the pod's namespace, none when
 * there is none). The kubelet does not call prepare again for a second pod of a prepared claim, so
 * RunPodSandbox asks this for a pod without a plan, and Synchronize for every running pod, before
 * looking the plans up again. Rejects when a candidate claim could not be read.
 */
export interface SharedClaimLookup {
  addPods(pods: readonly PodIdentity[]): Promise<unknown>;
}

export interface HandlerDeps {
  /** The plan store: attach plans (read only here) and attach records. */
  store: NriPlanStore;
  netns: NetnsOps;
  status: ClaimStatusSink;
  logger: Logger;
  /** Per-pod-uid serialisation of kernel work. */
  podLock: KeyedLock;
  /** Monotonic milliseconds, for latency logs. */
  nowMs: () => number;
  /** Shared-claim lookup; without it a pod without a plan gets nothing. */
  sharedClaims?: SharedClaimLookup;
}
