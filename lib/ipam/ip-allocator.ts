// Allocates and releases IPPool addresses against the apiserver: one IPAllocation object per
// address, named by pool and address (allocationName), so a create either succeeds or conflicts
// (409) and an address is never handed out twice, whatever the number of agents. No lock service,
// no per-node blocks (docs/ipam.md).
//
// Contract:
// - Callers: the node agent's prepare (node-agent/src/dra/claim-addresses.ts) and unprepare, and
//   the test and benchmark workers that stand in for many agents. Any number of callers on any
//   number of nodes may run at once.
// - allocate(request) is idempotent per (claim uid, device, pool, family): it first looks up the
//   claim's IPAllocations (label knd.dev/claim-uid) and returns an existing one unchanged, so a
//   retried prepare, an agent restarted after it created the object, or two concurrent prepares of
//   one claim all end with the same single address. A 409 on create whose object belongs to the
//   same claim and device is that case too (a create whose response was lost) and is reused.
// - Search: first up to `probes` creates at hashed positions of the pool (a hash of claim uid and
//   device, so agents allocating at once rarely collide), without reading the pool's allocations;
//   after that many conflicts, one list of the pool's allocations and the free addresses from the
//   first hashed position, refreshed by another list after every `probes` conflicts, up to
//   `maxRounds` lists. A pool with no free address rejects with IpPoolExhaustedError.
// - Time: 2 round trips when the first probe is free (claim lookup and pool GET in parallel, then
//   the create). Each request is bounded by the rest client's timeout; no retry here on errors
//   other than 409 (the kubelet retries prepare).
// - release(claimUid) deletes every IPAllocation of the claim, each with a uid precondition; a
//   404 counts as released. Idempotent.
import {
  IP_ALLOCATIONS_PLURAL,
  IP_POOLS_PLURAL,
  LABEL_IPAM_CLAIM_UID,
  LABEL_IPAM_POOL,
  allocationName,
  type IPAllocation,
  type IPAllocationOwner,
  type IPPool,
  type IpFamilyName,
} from '../api/ip-pool.js';
import { API_GROUP_VERSION } from '../api/constants.js';
import { formatIp, ipBytes } from '../api/ip.js';
import type { RouteConfig } from '../api/network-config.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { ListResult, ListSelectors } from '../kube/rest-client.js';
import {
  bigToBytes,
  bytesToBig,
  familyRanges,
  freeCandidates,
  startIndexFor,
  type FamilyRanges,
} from './pool-ranges.js';

/** The calls the allocator makes (KubeRestClient has them; unit tests pass a fake apiserver). */
export interface IpamApi {
  get<T>(path: string): Promise<T>;
  create<T>(path: string, body: unknown): Promise<T>;
  delete(path: string, options?: Record<string, unknown>): Promise<unknown>;
  listAll<T>(path: string, decode: (raw: unknown) => T, sel?: ListSelectors): Promise<ListResult<T>>;
}

export interface AllocationRequest {
  pool: string;
  family: IpFamilyName;
  claim: IPAllocationOwner;
  device: string;
  nodeName: string;
}

export interface AllocatedAddress {
  pool: string;
  family: IpFamilyName;
  /** Address with prefix length, e.g. 10.10.0.7/24. */
  cidr: string;
  /** The pool family's routes, installed with the address. */
  routes: RouteConfig[];
  /** The IPAllocation's name. */
  name: string;
  /** True when the claim already held it (retry, restart). */
  reused: boolean;
  /** Creates that conflicted before this one succeeded. */
  conflicts: number;
}

export class IpPoolExhaustedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpPoolExhaustedError';
  }
}

export interface IpAllocatorOptions {
  /** Blind creates at hashed positions before listing the pool's allocations. Default 4. */
  probes?: number;
  /** Lists of the pool's allocations before giving up as exhausted-by-contention. Default 8. */
  maxRounds?: number;
}

export const ipPoolsPath = (name?: string): string =>
  `/apis/${API_GROUP_VERSION}/${IP_POOLS_PLURAL}${name ? `/${encodeURIComponent(name)}` : ''}`;
export const ipAllocationsPath = (name?: string): string =>
  `/apis/${API_GROUP_VERSION}/${IP_ALLOCATIONS_PLURAL}${name ? `/${encodeURIComponent(name)}` : ''}`;

/** Decode an IPAllocation from the wire (what listAll needs); throws on a malformed object. */
export function decodeIPAllocation(raw: unknown): IPAllocation {
  const o = raw as Partial<IPAllocation> | null;
  if (!o || typeof o.metadata?.name !== 'string' || typeof o.spec?.address !== 'string') {
    throw new Error('malformed IPAllocation (metadata.name or spec.address missing)');
  }
  return o as IPAllocation;
}

const familyKey = (f: IpFamilyName): 'ipv4' | 'ipv6' => (f === 'IPv4' ? 'ipv4' : 'ipv6');

/**
 * The pool validator (ajv, CEL), imported on the first allocation: the node agent keeps them out of
 * an idle process (docs/dra-plugin.md, "Memory"), as it does for the NetworkConfig validator.
 */
let poolValidator:
  | Promise<[typeof import('../api/validate-ip-pool.js'), typeof import('../api/validate-network-config.js')]>
  | undefined;
const loadPoolValidator = () =>
  (poolValidator ??= (async () => {
    // one after the other: both load ajv, and jest's ESM loader fails two concurrent first loads
    const common = await import('../api/validate-network-config.js');
    return [await import('../api/validate-ip-pool.js'), common];
  })());

export class IpAllocator {
  private readonly api: IpamApi;
  private readonly probes: number;
  private readonly maxRounds: number;

  constructor(api: IpamApi, opts: IpAllocatorOptions = {}) {
    this.api = api;
    this.probes = opts.probes ?? 4;
    this.maxRounds = opts.maxRounds ?? 8;
  }

  /** The claim's IPAllocations (a consistent list by label). */
  async claimAllocations(claimUid: string): Promise<IPAllocation[]> {
    const r = await this.api.listAll(ipAllocationsPath(), decodeIPAllocation, {
      labelSelector: `${LABEL_IPAM_CLAIM_UID}=${claimUid}`,
    });
    return r.items;
  }

  /** The pool and its ranges for `family`; a clear error when it is missing, invalid or lacks the family. */
  async poolRanges(pool: string, family: IpFamilyName): Promise<{ pool: IPPool; ranges: FamilyRanges }> {
    let p: IPPool;
    try {
      p = await this.api.get<IPPool>(ipPoolsPath(pool));
    } catch (err) {
      if (isNotFound(err)) throw new Error(`IPPool ${pool} does not exist`);
      throw err;
    }
    const [{ validateIPPoolSpec }, { formatProblems }] = await loadPoolValidator();
    const v = validateIPPoolSpec(p.spec);
    if (!v.ok) throw new Error(`IPPool ${pool} is invalid: ${formatProblems(v.problems, 'spec').join('; ')}`);
    const fam = v.value[familyKey(family)];
    if (!fam) throw new Error(`IPPool ${pool} has no spec.${familyKey(family)} (${family} addresses)`);
    return { pool: p, ranges: familyRanges(fam, family, v.value.reserve) };
  }

  /**
   * The address of `req`: the claim's existing one, or a newly allocated one. `existing` (from
   * claimAllocations) saves the lookup when a caller allocates several addresses of one claim.
   */
  async allocate(req: AllocationRequest, existing?: readonly IPAllocation[]): Promise<AllocatedAddress> {
    const [mine, { pool, ranges }] = await Promise.all([
      existing ? Promise.resolve(existing) : this.claimAllocations(req.claim.uid),
      this.poolRanges(req.pool, req.family),
    ]);
    const routes = pool.spec[familyKey(req.family)]?.routes ?? [];
    const held = mine.find((a) => sameOwner(a, req));
    if (held) return resultOf(held, routes, true, 0);
    const key = `${req.claim.uid}/${req.device}`;
    const used = new Set<bigint>();
    let conflicts = 0;
    // blind probes at independent hashed positions
    for (let i = 0; i < this.probes; i++) {
      const [c] = freeCandidates(ranges, used, startIndexFor(`${key}#${String(i)}`, ranges.size), 1);
      if (!c) break;
      const r = await this.tryCreate(req, c.addr, c.prefixLength);
      if (r) return resultOf(r.object, routes, r.reused, conflicts);
      used.add(c.addr);
      conflicts++;
    }
    for (let round = 0; round < this.maxRounds; round++) {
      const taken = await this.api.listAll(ipAllocationsPath(), decodeIPAllocation, {
        labelSelector: `${LABEL_IPAM_POOL}=${req.pool}`,
      });
      const usedNow = new Set<bigint>();
      for (const a of taken.items) {
        if (a.spec.family !== req.family) continue;
        if (sameOwner(a, req)) return resultOf(a, routes, true, conflicts);
        usedNow.add(addrOf(a));
      }
      const candidates = freeCandidates(ranges, usedNow, startIndexFor(`${key}#0`, ranges.size), this.probes);
      if (candidates.length === 0) {
        throw new IpPoolExhaustedError(
          `IPPool ${req.pool} has no free ${req.family} address: all ${String(ranges.size)} are allocated`,
        );
      }
      for (const c of candidates) {
        const r = await this.tryCreate(req, c.addr, c.prefixLength);
        if (r) return resultOf(r.object, routes, r.reused, conflicts);
        conflicts++;
      }
    }
    throw new Error(
      `IPPool ${req.pool}: no ${req.family} address after ${String(conflicts)} conflicting creates (heavy contention); retried by the next prepare`,
    );
  }

  /** Create the allocation; undefined on a conflict with another owner. */
  private async tryCreate(
    req: AllocationRequest,
    addr: bigint,
    prefixLength: number,
  ): Promise<{ object: IPAllocation; reused: boolean } | undefined> {
    const bytes = bigToBytes(addr, req.family);
    const name = allocationName(req.pool, bytes);
    const body: IPAllocation = {
      apiVersion: API_GROUP_VERSION,
      kind: 'IPAllocation',
      metadata: {
        name,
        labels: { [LABEL_IPAM_POOL]: req.pool, [LABEL_IPAM_CLAIM_UID]: req.claim.uid },
      },
      spec: {
        pool: req.pool,
        family: req.family,
        address: formatIp(bytes),
        prefixLength,
        claim: { ...req.claim },
        device: req.device,
        nodeName: req.nodeName,
      },
    };
    try {
      return { object: await this.api.create<IPAllocation>(ipAllocationsPath(), body), reused: false };
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    // taken: by this very claim and device (a create whose answer was lost, a concurrent prepare)?
    try {
      const other = await this.api.get<IPAllocation>(ipAllocationsPath(name));
      return sameOwner(other, req) ? { object: other, reused: true } : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined; // released meanwhile: the next candidate
      throw err;
    }
  }

  /**
   * Delete every IPAllocation of the claim; returns the names deleted. A cluster without the
   * IPAllocation CRD (404 on the collection) has nothing to release.
   */
  async release(claimUid: string): Promise<string[]> {
    let mine: IPAllocation[];
    try {
      mine = await this.claimAllocations(claimUid);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const deleted: string[] = [];
    for (const a of mine) {
      try {
        await this.api.delete(ipAllocationsPath(a.metadata.name), {
          preconditions: a.metadata.uid ? { uid: a.metadata.uid } : {},
        });
        deleted.push(a.metadata.name);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    return deleted;
  }
}

function sameOwner(a: IPAllocation, req: AllocationRequest): boolean {
  return (
    a.spec.claim.uid === req.claim.uid &&
    a.spec.device === req.device &&
    a.spec.pool === req.pool &&
    a.spec.family === req.family
  );
}

function addrOf(a: IPAllocation): bigint {
  const bytes = ipBytes(a.spec.address);
  if (!bytes) throw new Error(`IPAllocation ${a.metadata.name} has a malformed address ${a.spec.address}`);
  return bytesToBig(bytes);
}

function resultOf(
  a: IPAllocation,
  routes: RouteConfig[],
  reused: boolean,
  conflicts: number,
): AllocatedAddress {
  return {
    pool: a.spec.pool,
    family: a.spec.family,
    cidr: `${a.spec.address}/${String(a.spec.prefixLength)}`,
    routes,
    name: a.metadata.name,
    reused,
    conflicts,
  };
}
