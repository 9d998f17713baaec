// Where DRA prepare gets ResourceClaims: the informer cache first, a GET on the API as fallback.
//
// Contract: get() is called by the prepare handler once per claim per NodePrepareResources. The
// cache (a ListWatch over resource.k8s.io/v1 resourceclaims) can lag the scheduler's allocation
// write by a few ms, so a cached claim that is missing, has another uid or has no allocation is
// re-read from the API (GET, the rest client's timeout, no retry here: the kubelet retries the
// whole call). Errors reject with the API's message.
import type { KubeConfig } from '@kubernetes/client-node';
import { ListWatch, type KubeObject } from '../../../lib/kube/list-watch.js';
import { KubeRestClient, type RequestRecord } from '../../../lib/kube/rest-client.js';
import { FIELD_MANAGER_AGENT } from '../../../lib/api/constants.js';
import type { ResourceClaim } from './claim-types.js';

export const RESOURCE_CLAIMS_PATH = '/apis/resource.k8s.io/v1/resourceclaims';

export interface ClaimSource {
  get(namespace: string, name: string, uid: string): Promise<ResourceClaim>;
}

export interface KubeClaimSourceOptions {
  kubeConfig: KubeConfig;
  /** false: no informer, every get is a GET. Default true. */
  cache?: boolean;
  requestTimeoutMs?: number;
  onRequest?: (r: RequestRecord) => void;
  onError?: (err: unknown) => void;
  /** Informer add/update events (e.g. DraHandler.refreshReservations). Must not throw. */
  onClaimChange?: (claim: ResourceClaim) => void;
}

type ClaimObject = KubeObject & ResourceClaim;

export class KubeClaimSource implements ClaimSource {
  private readonly client: KubeRestClient;
  private readonly informer: ListWatch<ClaimObject> | undefined;
  /** Cache hits and API fallbacks, for metrics/tests. */
  readonly counts = { cacheHits: 0, apiReads: 0 };

  constructor(opts: KubeClaimSourceOptions) {
    this.client = new KubeRestClient(opts.kubeConfig, {
      fieldManager: FIELD_MANAGER_AGENT,
      ...(opts.requestTimeoutMs !== undefined ? { timeoutMs: opts.requestTimeoutMs } : {}),
      ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
    });
    if (opts.cache !== false) {
      this.informer = new ListWatch<ClaimObject>(this.client, {
        path: RESOURCE_CLAIMS_PATH,
        onEvent: (type, obj) => {
          if (type !== 'delete') opts.onClaimChange?.(obj);
        },
        ...(opts.onError ? { onError: opts.onError } : {}),
      });
    }
  }

  /** Starts the informer; resolves after its first list. */
  async start(): Promise<void> {
    await this.informer?.start();
  }

  stop(): void {
    this.informer?.stop();
  }

  async get(namespace: string, name: string, uid: string): Promise<ResourceClaim> {
    const cached = this.informer?.store.get(`${namespace}/${name}`);
    if (cached?.metadata.uid === uid && cached.status?.allocation) {
      this.counts.cacheHits++;
      return cached;
    }
    this.counts.apiReads++;
    return this.client.get<ResourceClaim>(
      `/apis/resource.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/resourceclaims/${encodeURIComponent(name)}`,
    );
  }
}
