// The two API-server writes the status writer needs (consumer-side interface; the real one is
// kube-status-api.ts, unit tests use a recording fake).
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

/** HTTP status of a failed API call, when the client exposes one. */
export function httpStatusOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  if ('statusCode' in e && typeof e.statusCode === 'number') return e.statusCode; // lib/kube KubeApiError
  if ('code' in e && typeof e.code === 'number') return e.code; // client-node ApiException
  return undefined;
}

/** 4xx other than 408/409/429 will not get better by retrying the same body. */
export function isRetriable(e: unknown): boolean {
  const code = httpStatusOf(e);
  if (code === undefined) return true;
  if (code === 408 || code === 409 || code === 429) return true;
  return code >= 500;
}
