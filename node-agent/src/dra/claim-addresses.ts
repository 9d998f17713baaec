// Pool addresses of a claim at prepare time (NetworkConfig `ipam`, docs/ipam.md).
//
// - addressNeeds (pure): which (device, family, pool) addresses an allocated claim asks for, from the
//   same merged opaque config planClaim reads. A config that does not validate yields no need (planClaim
//   reports it).
// - ClaimAddresses (I/O) allocates them through lib/ipam's IpAllocator and releases them.
//   Contract: caller DraHandler.prepare, outside the plan lock, once per claim without a plan, before
//   planning (the plan then carries the addresses; the NRI attach path is unchanged). Idempotent per
//   claim uid and device (a retried prepare or a restarted agent gets the same addresses). Each
//   request is bounded by the rest client's timeout; no retry here (the kubelet retries prepare).
//   A failure rejects with a message naming the pool, the family and the device; the caller fails
//   that claim only. release(claimUid) is called by unprepare after the plan is gone; idempotent.
import type { IpFamilyName } from '../../../lib/api/ip-pool.js';
import type { RouteConfig } from '../../../lib/api/network-config.js';
import type { IpAllocator } from '../../../lib/ipam/ip-allocator.js';
import { isConflict, isRetriable } from '../../../lib/kube/errors.js';
import { retry, type RetryOptions } from '../../../lib/util/backoff.js';
import type { ClaimRequest, ResourceClaim } from './claim-types.js';
import { configForRequest, type ConfigValidator } from './opaque-config.js';

export interface AddressNeed {
  device: string;
  family: IpFamilyName;
  pool: string;
}

/** What planClaim adds to one device: addresses (CIDR form) after the static ones, routes after the config's. */
export interface PoolAddresses {
  addresses: string[];
  routes: RouteConfig[];
}

export function addressNeeds(
  claim: ResourceClaim,
  driverName: string,
  poolName: string,
  validator: ConfigValidator,
): AddressNeed[] {
  const alloc = claim.status?.allocation?.devices;
  const out: AddressNeed[] = [];
  for (const r of alloc?.results ?? []) {
    // untrusted input: a null result is planClaim's to report
    if (typeof r !== 'object' || r === null) continue;
    if (r.driver !== driverName || r.pool !== poolName || !r.request || !r.device) continue;
    const cfg = configForRequest(alloc?.config ?? [], r.request, driverName, validator);
    if (!cfg.ok) continue;
    const ipam = cfg.config.ipam;
    if (ipam?.ipv4Pool) out.push({ device: r.device, family: 'IPv4', pool: ipam.ipv4Pool });
    if (ipam?.ipv6Pool) out.push({ device: r.device, family: 'IPv6', pool: ipam.ipv6Pool });
  }
  return out;
}

/** Error of a claim whose addresses could not be allocated; `exhausted` when a pool was full. */
export class AddressAllocationError extends Error {
  readonly exhausted: boolean;
  constructor(message: string, exhausted: boolean) {
    super(message);
    this.name = 'AddressAllocationError';
    this.exhausted = exhausted;
  }
}

export interface ClaimAddressSource {
  allocate(claim: ClaimRequest, needs: readonly AddressNeed[]): Promise<Map<string, PoolAddresses>>;
  release(claimUid: string): Promise<string[]>;
}

/** Told the duration of each claim's allocate or release (the agent's dra_ipam_duration_seconds). */
export type IpamObserver = (
  operation: 'allocate' | 'release',
  result: 'ok' | 'exhausted' | 'error',
  seconds: number,
) => void;

/** Transient apiserver errors on the claim's allocation list/delete: about 3 s of retries at most. */
const TRANSIENT_RETRY: RetryOptions = {
  backoff: { baseMs: 100, maxMs: 1_000 },
  maxAttempts: 6,
  retriable: (err) => isRetriable(err) && !isConflict(err),
};

export class ClaimAddresses implements ClaimAddressSource {
  private readonly allocator: IpAllocator;
  private readonly nodeName: string;
  private readonly observe: IpamObserver | undefined;

  constructor(allocator: IpAllocator, nodeName: string, observe?: IpamObserver) {
    this.allocator = allocator;
    this.nodeName = nodeName;
    this.observe = observe;
  }

  async allocate(claim: ClaimRequest, needs: readonly AddressNeed[]): Promise<Map<string, PoolAddresses>> {
    if (needs.length === 0) return new Map();
    const started = performance.now();
    try {
      const out = await this.allocateAll(claim, needs);
      this.observe?.('allocate', 'ok', (performance.now() - started) / 1000);
      return out;
    } catch (err) {
      const exhausted = err instanceof AddressAllocationError && err.exhausted;
      this.observe?.('allocate', exhausted ? 'exhausted' : 'error', (performance.now() - started) / 1000);
      throw err;
    }
  }

  private async allocateAll(
    claim: ClaimRequest,
    needs: readonly AddressNeed[],
  ): Promise<Map<string, PoolAddresses>> {
    const out = new Map<string, PoolAddresses>();
    const existing = await retry(() => this.allocator.claimAllocations(claim.uid), TRANSIENT_RETRY);
    const owner = { namespace: claim.namespace, name: claim.name, uid: claim.uid };
    // in order (IPv4 before IPv6 per device, as the config lists them), so addresses keep their order
    for (const n of needs) {
      let got;
      try {
        got = await this.allocator.allocate(
          { pool: n.pool, family: n.family, claim: owner, device: n.device, nodeName: this.nodeName },
          existing,
        );
      } catch (err) {
        const e = err as Error;
        throw new AddressAllocationError(
          `no ${n.family} address from IPPool ${n.pool} for device ${n.device}: ${e.message}`,
          e.name === 'IpPoolExhaustedError',
        );
      }
      const d = out.get(n.device) ?? { addresses: [], routes: [] };
      d.addresses.push(got.cidr);
      d.routes.push(...got.routes);
      out.set(n.device, d);
    }
    return out;
  }

  async release(claimUid: string): Promise<string[]> {
    const started = performance.now();
    try {
      // idempotent, so retried whole: a transient apiserver answer (429 while a just-installed
      // CRD's storage initializes, 5xx, a dropped connection) must not fail the kubelet's unprepare
      const released = await retry(() => this.allocator.release(claimUid), TRANSIENT_RETRY);
      this.observe?.('release', 'ok', (performance.now() - started) / 1000);
      return released;
    } catch (err) {
      this.observe?.('release', 'error', (performance.now() - started) / 1000);
      throw err;
    }
  }
}

/** Told when a claim's addresses could not be allocated (the agent writes Ready=False on the claim). */
export type AddressFailureHandler = (
  claim: ClaimRequest,
  devices: { poolName: string; deviceName: string }[],
  reason: 'AddressPoolExhausted' | 'AddressAllocationFailed',
  message: string,
) => void;

export interface ClaimAddressContext {
  driverName: string;
  poolName: string;
  validator: ConfigValidator;
  source: ClaimAddressSource | undefined;
  onFailure: AddressFailureHandler | undefined;
}

/**
 * The pool addresses of one claim about to be planned: `pooled` by device (none asked: empty), or
 * the error text that fails the claim (also reported through onFailure). Never rejects.
 */
export async function addressesForClaim(
  req: ClaimRequest,
  claim: ResourceClaim,
  ctx: ClaimAddressContext,
): Promise<{ pooled: Map<string, PoolAddresses> } | { error: string }> {
  let needs: AddressNeed[] = [];
  try {
    needs = addressNeeds(claim, ctx.driverName, ctx.poolName, ctx.validator);
    if (needs.length === 0) return { pooled: new Map() };
    if (!ctx.source)
      return { error: 'the config asks for IPPool addresses but this agent has no IPAM client' };
    return { pooled: await ctx.source.allocate(req, needs) };
  } catch (err) {
    const e = err as Error;
    const exhausted = e instanceof AddressAllocationError && e.exhausted;
    ctx.onFailure?.(
      req,
      [...new Set(needs.map((n) => n.device))].map((deviceName) => ({ poolName: ctx.poolName, deviceName })),
      exhausted ? 'AddressPoolExhausted' : 'AddressAllocationFailed',
      e.message,
    );
    return { error: e.message };
  }
}
