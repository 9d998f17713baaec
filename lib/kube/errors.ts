// The one reading of Kubernetes API errors: what HTTP status a failed call had and what it means.
//
// Contract: pure predicates over any thrown value (never throw). They understand
// - lib/kube's KubeApiError (`statusCode`, from rest-client.ts),
// - client-node's ApiException (`code`) and the Error its Watch rejects with (`statusCode`),
// - a metav1.Status object (`code`), which a watch stream sends as an ERROR event,
// - an Error wrapping one of these as its `cause` (lib/util/result.ts wrap()), at any depth.
// Callers never inspect `.code` / `.statusCode` / message text themselves.

/** HTTP status of a failed API call, or undefined (network error, timeout, anything else). */
export function httpStatusOf(e: unknown): number | undefined {
  for (let cur: unknown = e, depth = 0; depth < 8; depth++) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    if ('statusCode' in cur && typeof cur.statusCode === 'number') return cur.statusCode;
    if ('code' in cur && typeof cur.code === 'number') return cur.code;
    cur = 'cause' in cur ? cur.cause : undefined;
  }
  return undefined;
}

/** 404: the object (or its namespace) does not exist. */
export const isNotFound = (e: unknown): boolean => httpStatusOf(e) === 404;

/** 409: resourceVersion conflict on update, or AlreadyExists on create. */
export const isConflict = (e: unknown): boolean => httpStatusOf(e) === 409;

/** 410: the watch's resourceVersion is too old (relist). */
export const isGone = (e: unknown): boolean => httpStatusOf(e) === 410;

/** 400/422: the apiserver rejected the body itself; sending it again will not help. */
export const isInvalid = (e: unknown): boolean => {
  const code = httpStatusOf(e);
  return code === 400 || code === 422;
};

/** Worth retrying the same request: no status (network, timeout), 408, 409, 429 or 5xx. */
export function isRetriable(e: unknown): boolean {
  const code = httpStatusOf(e);
  if (code === undefined) return true;
  if (code === 408 || code === 409 || code === 429) return true;
  return code >= 500;
}
