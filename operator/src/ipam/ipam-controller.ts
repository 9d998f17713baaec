// The operator's IPAM loop: IPPool status and the IPAllocation garbage collector (docs/ipam.md).
// Runs only while this replica leads, next to the reconcile controller (start.ts).
//
// Contract:
// - Informers on IPPools, IPAllocations and ResourceClaims (all namespaces; metadata is what is used).
// - Every periodMs (default 10 s), and debounced after pool or allocation changes, one pass:
//   1. status: each pool's status (pool-status.ts) is written with a merge patch of /status, only
//      when it changed (so an idle cluster costs no writes);
//   2. GC: allocations whose claim uid the claim informer does not hold and that are older than
//      graceMs (default 30 s) are candidates (gc-decision.ts); each is confirmed with a GET of the
//      claim (404, or another uid: gone) and only then deleted with a uid precondition. An error
//      leaves the allocation for the next pass. So an orphaned address is returned within about
//      graceMs + periodMs after its claim is gone (a claim deleted while its node was down, an agent
//      killed between allocating and recording), and one whose claim exists is never returned.
// - A restart (or a leader change) starts over from fresh lists: the GC keeps no state of its own.
// - stop() ends the timer and the informers and waits for a running pass.
import {
  IP_ALLOCATIONS_PLURAL,
  IP_POOLS_PLURAL,
  KIND_IP_ALLOCATION,
  KIND_IP_POOL,
  type IPAllocation,
  type IPPool,
} from '../../../lib/api/ip-pool.js';
import { API_GROUP_VERSION } from '../../../lib/api/constants.js';
import { objectDecoder, type KubeObject } from '../../../lib/kube/decode.js';
import { isConflict, isNotFound } from '../../../lib/kube/errors.js';
import { Informer } from '../../../lib/kube/informer.js';
import type { KubeRestClient } from '../../../lib/kube/rest-client.js';
import type { Logger } from '../../../lib/util/logger.js';
import { ipAllocationsPath, ipPoolsPath } from '../../../lib/ipam/ip-allocator.js';
import { statusChanged } from '../status/conditions.js';
import { gcCandidates } from './gc-decision.js';
import { poolStatus } from './pool-status.js';

type LiveClaim = KubeObject & { apiVersion: 'resource.k8s.io/v1'; kind: 'ResourceClaim' };

const decodePool = objectDecoder<IPPool>(API_GROUP_VERSION, KIND_IP_POOL);
const decodeAllocation = objectDecoder<IPAllocation>(API_GROUP_VERSION, KIND_IP_ALLOCATION);
const decodeClaim = objectDecoder<LiveClaim>('resource.k8s.io/v1', 'ResourceClaim');

export interface IpamControllerOptions {
  client: KubeRestClient;
  logger: Logger;
  /** Between passes. Default 10 000. */
  periodMs?: number;
  /** Age below which an allocation without a known claim is left alone. Default 30 000. */
  graceMs?: number;
  /** After a pool or allocation change, the pass runs this much later (coalescing). Default 500. */
  debounceMs?: number;
  now?: () => Date;
  /** Told after each pass (tests, metrics). */
  onPass?: (r: { released: string[]; statusWrites: number }) => void;
}

export class IpamController {
  private readonly o: IpamControllerOptions;
  private readonly pools: Informer<IPPool>;
  private readonly allocations: Informer<IPAllocation>;
  private readonly claims: Informer<LiveClaim>;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(o: IpamControllerOptions) {
    this.o = o;
    const onError = (what: string) => (err: unknown) => {
      o.logger.warn('informer error', { informer: what, error: (err as Error).message });
    };
    const changed = (): void => {
      this.kick();
    };
    this.pools = new Informer(o.client, {
      path: ipPoolsPath(),
      decode: decodePool,
      onEvent: changed,
      onError: onError(IP_POOLS_PLURAL),
    });
    this.allocations = new Informer(o.client, {
      path: ipAllocationsPath(),
      decode: decodeAllocation,
      onEvent: changed,
      onError: onError(IP_ALLOCATIONS_PLURAL),
    });
    this.claims = new Informer(o.client, {
      path: '/apis/resource.k8s.io/v1/resourceclaims',
      decode: decodeClaim,
      onEvent: () => undefined,
      onError: onError('resourceclaims'),
    });
  }

  get hasSynced(): boolean {
    return this.pools.hasSynced && this.allocations.hasSynced && this.claims.hasSynced;
  }

  async start(): Promise<void> {
    // claims first: a pass must never see allocations newer than its view of the claims
    await this.claims.start();
    await Promise.all([this.pools.start(), this.allocations.start()]);
    if (this.stopped) return;
    this.timer = setInterval(() => {
      this.kick(0);
    }, this.o.periodMs ?? 10_000);
    this.kick(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.soon);
    for (const i of [this.pools, this.allocations, this.claims]) i.stop();
    await this.running;
  }

  /** Run a pass after `delayMs` (debounced); a pass already running is followed by one more. */
  private kick(delayMs = this.o.debounceMs ?? 500): void {
    if (this.stopped || !this.hasSynced) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.soon && delayMs > 0) return;
    clearTimeout(this.soon);
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.running = this.pass()
        .then(() => undefined)
        .catch((err: unknown) => {
          this.o.logger.warn('ipam pass failed', { error: (err as Error).message });
        })
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.kick();
          }
        });
    }, delayMs);
  }

  /** One status + GC pass. Exposed for tests. */
  async pass(): Promise<{ released: string[]; statusWrites: number }> {
    const now = this.o.now?.() ?? new Date();
    const allocations = this.allocations.list();
    const released = await this.collect(allocations, now);
    const live = allocations.filter((a) => !released.includes(a.metadata.name));
    let statusWrites = 0;
    for (const pool of this.pools.list()) {
      const next = poolStatus(pool, live, now.toISOString());
      if (!statusChanged(pool.status, next)) continue;
      try {
        await this.o.client.mergePatch(`${ipPoolsPath(pool.metadata.name)}/status`, { status: next });
        statusWrites++;
      } catch (err) {
        if (!isNotFound(err)) {
          this.o.logger.warn('cannot write IPPool status', {
            pool: pool.metadata.name,
            error: (err as Error).message,
          });
        }
      }
    }
    const r = { released, statusWrites };
    this.o.onPass?.(r);
    return r;
  }

  /** GC: release confirmed orphans; returns their names. */
  private async collect(allocations: IPAllocation[], now: Date): Promise<string[]> {
    const liveClaimUids = new Set(
      this.claims.list().flatMap((c) => (c.metadata.uid ? [c.metadata.uid] : [])),
    );
    const candidates = gcCandidates({
      allocations,
      liveClaimUids,
      nowMs: now.getTime(),
      graceMs: this.o.graceMs ?? 30_000,
    });
    const released: string[] = [];
    for (const a of candidates) {
      if (this.stopped) break;
      try {
        if (await this.claimExists(a)) continue;
        await this.o.client.delete(ipAllocationsPath(a.metadata.name), {
          preconditions: a.metadata.uid ? { uid: a.metadata.uid } : {},
        });
        released.push(a.metadata.name);
        this.o.logger.info('released the address of a deleted claim', {
          allocation: a.metadata.name,
          address: a.spec.address,
          claim: `${a.spec.claim.namespace}/${a.spec.claim.name}`,
          claimUid: a.spec.claim.uid,
          node: a.spec.nodeName,
        });
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) continue; // released or replaced meanwhile
        this.o.logger.warn('cannot release an orphaned address', {
          allocation: a.metadata.name,
          error: (err as Error).message,
        });
      }
    }
    return released;
  }

  /** A consistent read of the allocation's claim: true when it exists with the same uid. */
  private async claimExists(a: IPAllocation): Promise<boolean> {
    const { namespace, name, uid } = a.spec.claim;
    try {
      const c = await this.o.client.get<{ metadata?: { uid?: string } }>(
        `/apis/resource.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/resourceclaims/${encodeURIComponent(name)}`,
      );
      return c.metadata?.uid === uid;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
