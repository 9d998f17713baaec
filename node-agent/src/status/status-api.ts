// The two API-server writes the status writer needs (consumer-side interface; the real one is
// kube-status-api.ts, unit tests use a recording fake). Failed writes are classified by
// lib/kube/errors.ts (isRetriable).
import type { ClaimStatusPatch } from './device-status.js';

export interface PodEvent {
  pod: { namespace: string; name: string; uid: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ClaimStatusApi {
  /** Write knd's entries of resourceclaims/status.devices, keeping other drivers' entries. */
  writeClaimStatus(body: ClaimStatusPatch): Promise<void>;
  /** Create a core/v1 Event about the pod. */
  createPodEvent(event: PodEvent): Promise<void>;
}
