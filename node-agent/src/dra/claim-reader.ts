// How the node agent reads ResourceClaims: one GET of exactly the claim it needs, never a
// cluster-wide list or watch (an informer per node costs the apiserver one watch stream and every
// claim change in the cluster times the number of nodes; this node only ever prepares its own).
//
// Contract: get() is called by DRA prepare once per claim the kubelet names that has no plan yet,
// and by the shared-claim lookup (shared-claims.ts) for claims this node already prepared. Each
// call is one GET without resourceVersion, i.e. a consistent read from etcd: it sees the
// scheduler's allocation and reservedFor writes, which happened before the pod reached this node.
// No retry here (the kubelet retries prepare, the runtime retries the sandbox); the request
// timeout is the caller's (ClaimReaderOptions.timeoutMs). Errors reject with the API's message;
// a 404 rejects with KubeApiError (lib/kube/errors.ts isNotFound). The returned claim may carry another uid than the
// kubelet's (claim deleted and recreated under the same name): callers compare (planClaim refuses
// it, sameClaim() below). No cache: a claim with a plan is answered from the plan (keyed by the
// kubelet's claim uid), and the other reads need the current reservedFor.
import type { KubeEndpoint } from '../../../lib/kube/kube-endpoint.js';
import { FIELD_MANAGER_AGENT } from '../../../lib/api/constants.js';
import { isNotFound } from '../../../lib/kube/errors.js';
import { KubeRestClient, type RequestRecord } from '../../../lib/kube/rest-client.js';
import type { ClaimRequest, ResourceClaim } from './claim-types.js';

/** The one API call the reader needs (KubeRestClient has it; unit tests pass a fake). */
export interface ClaimGetApi {
  get<T>(path: string): Promise<T>;
}

export interface ClaimSource {
  /** GET the claim namespace/name (the caller compares the uid). */
  get(namespace: string, name: string): Promise<ResourceClaim>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Pure: the claim's URL path, or an error naming the field (never a list URL for an empty name). */
export function claimPath(namespace: string, name: string): string {
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
    throw new Error(`claim reference: namespace ${JSON.stringify(namespace)} is not a DNS label`);
  }
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
    throw new Error(`claim reference: name ${JSON.stringify(name)} is not a DNS subdomain`);
  }
  return `/apis/resource.k8s.io/v1/namespaces/${namespace}/resourceclaims/${name}`;
}

export class ClaimReader implements ClaimSource {
  private readonly api: ClaimGetApi;
  /** GETs issued (metrics/tests). */
  reads = 0;

  constructor(api: ClaimGetApi) {
    this.api = api;
  }

  async get(namespace: string, name: string): Promise<ResourceClaim> {
    const path = claimPath(namespace, name);
    this.reads++;
    return this.api.get<ResourceClaim>(path);
  }
}

/**
 * The claim `ref` names if it still exists with the same uid; undefined when it is gone (404) or
 * was recreated (another uid). Other errors reject.
 */
export async function sameClaim(source: ClaimSource, ref: ClaimRequest): Promise<ResourceClaim | undefined> {
  try {
    const claim = await source.get(ref.namespace, ref.name);
    return claim.metadata?.uid === ref.uid ? claim : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export interface ClaimReaderOptions {
  kubeConfig: KubeEndpoint;
  /** Per request (no response within it rejects). Default: the rest client's 30 s. */
  timeoutMs?: number;
  onRequest?: (r: RequestRecord) => void;
}

export function kubeClaimReader(opts: ClaimReaderOptions): ClaimReader {
  return new ClaimReader(
    new KubeRestClient(opts.kubeConfig, {
      fieldManager: FIELD_MANAGER_AGENT,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
    }),
  );
}
