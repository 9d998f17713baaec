// The two API-server writes the status writer needs (consumer-side interface; the real one is
// kube-status-api.ts, unit tests use a recording fake).
import type { ClaimStatusApply } from './device-status.js';

export interface PodEvent {
  pod: { namespace: string; name: string; uid: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ClaimStatusApi {
  /** Server-side apply of resourceclaims/status with knd's field manager (force). */
  applyClaimStatus(body: ClaimStatusApply): Promise<void>;
  /** Create a core/v1 Event about the pod. */
  createPodEvent(event: PodEvent): Promise<void>;
}

/** HTTP status of a failed API call, when the client exposes one. */
export function httpStatusOf(e: unknown): number | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'number') return e.code;
  return undefined;
}

/** 4xx other than 408/409/429 will not get better by retrying the same body. */
export function isRetriable(e: unknown): boolean {
  const code = httpStatusOf(e);
  if (code === undefined) return true;
  if (code === 408 || code === 409 || code === 429) return true;
  return code >= 500;
}
