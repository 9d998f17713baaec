// Which claims a pod names, so DRA prepare reads only the claims a new pod can share instead of
// every claim this node prepared in its namespace (shared-claims.ts).
//
// Why: a pod that also uses an already prepared claim gets no prepare call for it, so prepare adds
// the pod to that plan itself. Without knowing the pod's claims, every plan of the namespace that
// does not list the pod is a candidate and costs one claim GET: with N claim pods running in a
// namespace, the next prepare makes N reads (N² for N pods started together). The pod's own spec
// says which claims it uses: `spec.resourceClaims[].resourceClaimName` (claims made outside the pod,
// the only ones another pod can hold) and `status.resourceClaimStatuses[].resourceClaimName` (the
// claims generated from its templates). One pod GET, then only the named plans are candidates.
//
// Contract: claimNames() is called by DRA prepare, once per pod of the claims it prepares anew, and
// only when the namespace has candidate plans at all. One GET without resourceVersion (a consistent
// read); the pod's uid must match the claim's reservedFor entry: a pod that is gone (404) or was
// recreated yields an empty set (that pod never starts; nothing to add). Other errors reject, and
// the caller falls back to reading every candidate claim (the old, always-correct way). No retries,
// no cache. RBAC: `get` on pods.
import { isNotFound } from '../../../lib/kube/errors.js';
import type { ResourceClaim } from './claim-types.js';
import type { ClaimGetApi } from './claim-reader.js';

export interface PodClaimSource {
  /** The claim names pod namespace/name (with this uid) uses; empty when that pod is gone. */
  claimNames(namespace: string, name: string, uid: string): Promise<ReadonlySet<string>>;
}

/** The parts of a v1 Pod read here, as raw JSON (untrusted: everything optional). */
export interface PodClaimsJson {
  metadata?: { uid?: string };
  spec?: { resourceClaims?: { name?: string; resourceClaimName?: string | null }[] };
  status?: { resourceClaimStatuses?: { name?: string; resourceClaimName?: string | null }[] };
}

/** Pure: every claim name the pod refers to, directly or through its generated claims. */
export function claimNamesOfPod(pod: PodClaimsJson): Set<string> {
  const names = new Set<string>();
  for (const c of [...(pod.spec?.resourceClaims ?? []), ...(pod.status?.resourceClaimStatuses ?? [])]) {
    if (typeof c.resourceClaimName === 'string' && c.resourceClaimName !== '') names.add(c.resourceClaimName);
  }
  return names;
}

/** Pure: the pods in the claim's reservedFor, with the names needed to read them. */
export function reservedPods(claim: ResourceClaim): { name: string; uid: string }[] {
  return (claim.status?.reservedFor ?? []).flatMap((c) =>
    (c.apiGroup ?? '') === '' &&
    c.resource === 'pods' &&
    typeof c.uid === 'string' &&
    typeof c.name === 'string'
      ? [{ name: c.name, uid: c.uid }]
      : [],
  );
}

export function podClaimSource(api: ClaimGetApi): PodClaimSource {
  return {
    async claimNames(namespace, name, uid) {
      let pod: PodClaimsJson;
      try {
        pod = await api.get<PodClaimsJson>(
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
        );
      } catch (err) {
        if (isNotFound(err)) return new Set();
        throw err;
      }
      return pod.metadata?.uid === uid ? claimNamesOfPod(pod) : new Set();
    },
  };
}
