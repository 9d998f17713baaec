// The DRA plugin's behaviour behind the gRPC methods (dra-plugin.ts maps the wire to these calls).
//
// Contract (kubelet -> agent, the kubelet's DRA manager, kubernetes/kubernetes pkg/kubelet/cm/dra):
// - prepare(claims): called once per pod per driver with the pod's not-yet-prepared claims; the
//   kubelet's deadline is 45 s and it retries through the pod sync loop. Every requested claim gets
//   an entry; a failure of one claim never affects another. Before returning, each successful
//   claim's AttachPlan and CDI spec (attach guard + RDMA char devices) are durable on disk.
// - Reads from the API only what it prepares: one GET per claim without a plan (claim-reader.ts),
//   plus, for the pods of those claims when this node already prepared claims in their namespace,
//   one GET of the pod (pod-claims.ts) and of each prepared claim the pod names (shared-claims.ts),
//   so a pod that also uses an already prepared claim is in that plan before its sandbox starts. A
//   failure of that check fails the new claim (the kubelet retries).
// - Idempotent: a claim with a plan from this boot is answered from that plan without any API call
//   (after a restart too; the plan is keyed by the kubelet's claim uid). A device held by another
//   claim's plan, or named by a state entry the store cannot read (written by a newer agent), is an
//   error.
// - unprepare(claims): gives back any device still attached for the claim (releaseClaim, the NRI
//   side), then removes that claim's CDI spec and plan; unknown claims succeed.
// - Locks (docs/lifecycle.md): the plan lock serialises planning and the conflict check so two calls
//   cannot take one device: a decided plan's devices are reserved in memory (plan-reservations.ts)
//   under the lock, and its CDI spec and plan are persisted (fsync'd) AFTER the lock is released,
//   so concurrent prepares do not queue behind each other's fsyncs. The reservation ends when the
//   plan store holds the plan, or when a failed persist was undone. A prepare answers success only
//   once both files are durable. Unprepare and refreshReservations of a claim being persisted wait
//   (under the lock) for that persist. Code holding the lock never waits for anything but the plan
//   store and the CDI writer; in particular releaseClaim (which takes NRI pod locks and does kernel
//   work) runs BEFORE the plan lock is taken, so no path holds the plan lock and a pod lock at once.
// - Never throws for a claim's problem; unexpected errors become that claim's error text.
import type { MacvlanMode } from '../../../lib/api/shared-device.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { AttachPlan } from '../plan-store/plan.js';
import type { PlanStore } from '../plan-store/plan-store.js';
import { attachCompletionDir } from '../cdi/attach-completion.js';
import { keptMessage } from '../plan-store/state-scan.js';
import type { CdiWriter } from '../cdi/cdi-writer.js';
import type { ClaimRequest, ResourceClaim } from './claim-types.js';
import type { ClaimSource } from './claim-reader.js';
import type { DeviceLookup } from './device-lookup.js';
import type { DraMetrics } from './dra-metrics.js';
import {
  claimLabel,
  findConflicts,
  planClaim,
  preparedDevices,
  reservedPodUids,
  type PreparedDevice,
} from './plan-claim.js';
import { loadConfigValidator, type ConfigValidator } from './opaque-config.js';
import { persistPlan } from './persist-plan.js';
import { PlanReservations } from './plan-reservations.js';
import { reservedPods, type PodClaimSource } from './pod-claims.js';
import {
  addPodsToSharedPlans,
  candidatePlans,
  type PodRef,
  type SharedClaimResult,
} from './shared-claims.js';
import {
  addressesForClaim,
  type AddressFailureHandler,
  type ClaimAddressSource,
  type PoolAddresses,
} from './claim-addresses.js';

export interface PrepareResult {
  devices: PreparedDevice[];
  error: string;
}

export interface DraHandlerOptions {
  driverName: string;
  /** This node's pool name (= node name). */
  poolName: string;
  claims: ClaimSource;
  /**
   * Reads which claims a pod names (pod-claims.ts), so prepare checks only those of the already
   * prepared claims for sharing. Without it, every prepared claim of the pod's namespace is read.
   */
  pods?: PodClaimSource;
  devices: DeviceLookup;
  store: PlanStore;
  cdi: CdiWriter;
  logger: Logger;
  metrics?: DraMetrics;
  now?: () => Date;
  /**
   * Give back devices still attached for the claim (NRI side; see NriPlugin.releaseClaim). Called
   * by unprepare before the plan is deleted and outside the plan lock; a rejection fails that
   * claim's unprepare (the kubelet retries) and keeps the plan, so no device is forgotten.
   */
  releaseClaim?: (claimUid: string) => Promise<unknown>;
  /**
   * Where the NRI side marks completed attaches for the attach guard (cdi/attach-completion.ts;
   * must be the directory KernelNetnsOps writes to). Default: `attached/` under the plan store's dir.
   */
  completionDir?: string;
  /** IPPool addresses (claim-addresses.ts); without it a claim asking for a pool fails to prepare. */
  addresses?: ClaimAddressSource;
  /** Told when a claim's addresses could not be allocated: the agent writes Ready=False on the claim. */
  onAddressFailure?: AddressFailureHandler;
  /** macvlan mode of a device published as shared (publish/shared-classes.ts); default bridge. */
  sharedMode?: (deviceName: string) => MacvlanMode | undefined;
}

/** Devices of the plan named by state entries the store keeps but cannot read (a newer agent's format). */
function heldByUnreadable(plan: AttachPlan, store: PlanStore): string[] {
  return plan.devices.flatMap((d) => {
    const e = store.unreadableHolding(d.deviceName);
    return e
      ? [
          `device ${d.poolName}/${d.deviceName} is held by ${e.file}, which this agent keeps but cannot use (${e.reason}); it is not handed out again`,
        ]
      : [];
  });
}

/** What prepare decided under the plan lock; persisted outside it. */
interface Decided {
  out: Map<string, PrepareResult>;
  writes: { plan: AttachPlan; settle: () => void }[];
  /** Claims of this call another call is persisting. */
  waitFor: ClaimRequest[];
}

type Fetched = {
  req: ClaimRequest;
  claim?: ResourceClaim;
  fetchError?: string;
  stored?: AttachPlan;
  /** The request itself cannot be handled (e.g. a uid that is not a safe key). */
  invalid?: string;
  /** The claim's pods could not be checked for shared claims (shared-claims.ts). */
  sharedError?: string;
  /** IPPool addresses allocated for the claim, by device (claim-addresses.ts). */
  pooled?: Map<string, PoolAddresses>;
  /** Its IPPool addresses could not be allocated. */
  addressError?: string;
};

export class DraHandler {
  private readonly o: DraHandlerOptions;
  /** The plan lock: serialises planning and conflict checks so two calls cannot take one device. */
  private planLock: Promise<unknown> = Promise.resolve();
  /** Plans decided under the plan lock whose files are being written outside it. */
  private readonly reserved = new PlanReservations();

  constructor(opts: DraHandlerOptions) {
    this.o = opts;
  }

  /** Runs fn under the plan lock. fn must not wait for a pod lock or kernel work (lock order). */
  private underPlanLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.planLock.then(fn, fn);
    this.planLock = run.catch(() => undefined);
    return run;
  }

  async prepare(claims: readonly ClaimRequest[]): Promise<Map<string, PrepareResult>> {
    const started = process.hrtime.bigint();
    const fetched: Fetched[] = await Promise.all(
      claims.map(async (req): Promise<Fetched> => {
        const missing = ['namespace', 'name'].filter((k) => req[k as 'namespace' | 'name'] === '');
        if (missing.length > 0) return { req, invalid: `${missing.join(' and ')} required (uid ${req.uid})` };
        let stored: AttachPlan | undefined;
        try {
          stored = await this.o.store.getPlan(req.uid);
        } catch (err) {
          return { req, invalid: (err as Error).message };
        }
        if (stored) return { req, stored }; // the plan is the answer: no API read
        try {
          return { req, claim: await this.o.claims.get(req.namespace, req.name) };
        } catch (err) {
          return { req, fetchError: (err as Error).message };
        }
      }),
    );
    await this.addSharingPods(fetched, new Set(claims.map((c) => c.uid)));
    // the config validator (ajv, CEL) is loaded by the first prepare that plans a claim
    const validator = fetched.some((f) => f.claim) ? await loadConfigValidator() : undefined;
    if (validator) await this.allocateAddresses(fetched, validator);
    const decided = await this.underPlanLock(() => this.prepareLocked(fetched, validator));
    const out = await this.persist(decided);
    this.record('prepare', out, started);
    return out;
  }

  /**
   * For the pods of the claims this call prepares anew: add them to the plans of claims this node
   * already prepared that they use too (the kubelet will not call prepare for those). A claim whose
   * pods could not be checked gets `sharedError` and is not prepared, so the kubelet's retry redoes it.
   */
  private async addSharingPods(fetched: Fetched[], inThisCall: ReadonlySet<string>): Promise<void> {
    const byPods = new Map<string, { pods: PodRef[]; claims: Fetched[] }>();
    const claimed = fetched.filter((f) => f.claim && f.claim.metadata?.uid === f.req.uid); // else planClaim reports it
    if (claimed.length === 0) return;
    const plans = await this.o.store.listPlans();
    for (const f of claimed) {
      const pods = await this.podsOf(f, plans, inThisCall);
      if (pods.length === 0) continue;
      const key = JSON.stringify(pods);
      const group = byPods.get(key) ?? { pods, claims: [] };
      group.claims.push(f);
      byPods.set(key, group);
    }
    await Promise.all(
      [...byPods.values()].map(async ({ pods, claims }) => {
        try {
          await this.addPodsToSharedPlans(pods, { excludeClaimUids: inThisCall });
        } catch (err) {
          for (const f of claims) f.sharedError = (err as Error).message;
        }
      }),
    );
  }

  /**
   * The pods of a newly prepared claim, each with the claim names it uses (pod-claims.ts) when the
   * namespace has candidate plans, so only those plans' claims are read. A pod that cannot be read
   * keeps claimNames undefined: every candidate claim is read, as without the pod reader.
   */
  private async podsOf(f: Fetched, plans: AttachPlan[], inThisCall: ReadonlySet<string>): Promise<PodRef[]> {
    const claim = f.claim;
    if (!claim) return [];
    const pods: PodRef[] = reservedPodUids(claim).map((uid) => ({ namespace: f.req.namespace, uid }));
    const podSource = this.o.pods;
    if (!podSource || candidatePlans(plans, pods, inThisCall).length === 0) return pods;
    const names = new Map(reservedPods(claim).map((p) => [p.uid, p.name]));
    return Promise.all(
      pods.map(async (pod): Promise<PodRef> => {
        const name = names.get(pod.uid);
        if (name === undefined) return pod;
        try {
          return { ...pod, claimNames: await podSource.claimNames(pod.namespace, name, pod.uid) };
        } catch (err) {
          this.o.logger.warn(
            'cannot read the pod for its claim names; checking every prepared claim of its namespace',
            {
              pod: `${pod.namespace}/${name}`,
              error: (err as Error).message,
            },
          );
          return pod;
        }
      }),
    );
  }

  /** Outside the plan lock: the IPPool addresses of each claim about to be planned (claim-addresses.ts). */
  private async allocateAddresses(fetched: Fetched[], validator: ConfigValidator): Promise<void> {
    const ctx = {
      driverName: this.o.driverName,
      poolName: this.o.poolName,
      validator,
      source: this.o.addresses,
      onFailure: this.o.onAddressFailure,
    };
    await Promise.all(
      fetched.map(async (f) => {
        if (!f.claim || f.claim.metadata?.uid !== f.req.uid || f.sharedError !== undefined) return;
        const r = await addressesForClaim(f.req, f.claim, ctx);
        if ('error' in r) f.addressError = r.error;
        else if (r.pooled.size > 0) f.pooled = r.pooled;
      }),
    );
  }

  /** Under the plan lock: plan each claim, check conflicts, reserve the devices of new plans. */
  private async prepareLocked(fetched: Fetched[], validator: ConfigValidator | undefined): Promise<Decided> {
    const out = new Map<string, PrepareResult>();
    const held = [...(await this.o.store.listPlans()), ...this.reserved.plans()];
    const toWrite: AttachPlan[] = [];
    const waitFor: ClaimRequest[] = [];
    for (const f of fetched) {
      // one claim's bad input (or a bug it triggers) fails that claim only
      try {
        const r = this.planOne(f, held, toWrite, validator);
        if (r === 'persisting') waitFor.push(f.req);
        else out.set(f.req.uid, r);
      } catch (err) {
        out.set(f.req.uid, {
          devices: [],
          error: `${claimLabel(f.req)}: cannot prepare the claim: ${(err as Error).message}`,
        });
      }
    }
    const writes = toWrite.map((plan) => ({ plan, settle: this.reserved.reserve(plan) }));
    return { out, writes, waitFor };
  }

  /**
   * Outside the plan lock: write each new plan's CDI spec and plan (in parallel, independent files),
   * each durable before the claim is answered; then end its reservation. A failed write is undone
   * (the CDI spec and any plan file removed) before the devices are free again. Claims another call
   * is persisting are answered from that call's outcome.
   */
  private async persist({ out, writes, waitFor }: Decided): Promise<Map<string, PrepareResult>> {
    const deps = {
      ...this.o,
      completionDir: this.o.completionDir ?? attachCompletionDir(this.o.store.dir),
    };
    await Promise.all([
      ...writes.map(async ({ plan, settle }) => {
        try {
          const error = await persistPlan(deps, plan);
          if (error !== undefined) {
            out.set(plan.claim.uid, {
              devices: [],
              error: `${claimLabel(plan.claim)}: cannot persist the attach plan: ${error}`,
            });
          }
        } finally {
          settle();
        }
      }),
      ...waitFor.map(async (req) => {
        await this.reserved.settled(req.uid);
        let r: PrepareResult;
        try {
          const plan = await this.o.store.getPlan(req.uid);
          r = plan
            ? { devices: preparedDevices(plan), error: '' }
            : { devices: [], error: `${claimLabel(req)}: a concurrent prepare of this claim failed` };
        } catch (err) {
          r = { devices: [], error: `${claimLabel(req)}: ${(err as Error).message}` };
        }
        out.set(req.uid, r);
      }),
    ]);
    for (const [uid, r] of out) {
      if (r.error) this.o.logger.warn('prepare failed', { claimUid: uid, error: r.error });
      else this.o.logger.info('prepared', { claimUid: uid, devices: r.devices.map((d) => d.device_name) });
    }
    return out;
  }

  /**
   * One claim of a prepare call (under the plan lock); may push its new plan to `toWrite`.
   * 'persisting': another call decided this claim and is writing its plan; answer from its outcome.
   */
  private planOne(
    f: Fetched,
    held: AttachPlan[],
    toWrite: AttachPlan[],
    validator: ConfigValidator | undefined,
  ): PrepareResult | 'persisting' {
    const label = claimLabel(f.req);
    if (f.invalid !== undefined) return { devices: [], error: `${label}: ${f.invalid}` };
    // already prepared in this boot: same answer
    if (f.stored) return { devices: preparedDevices(f.stored), error: '' };
    const kept = this.o.store.unreadablePlan(f.req.uid);
    if (kept) return { devices: [], error: `${label}: ${keptMessage(kept)}` };
    if (f.sharedError !== undefined) return { devices: [], error: `${label}: ${f.sharedError}` };
    if (f.addressError !== undefined) return { devices: [], error: `${label}: ${f.addressError}` };
    if (this.reserved.has(f.req.uid)) return 'persisting';
    if (!f.claim || !validator) {
      return { devices: [], error: `${label}: cannot read the ResourceClaim: ${f.fetchError ?? ''}` };
    }
    const r = planClaim({
      request: f.req,
      claim: f.claim,
      driverName: this.o.driverName,
      poolName: this.o.poolName,
      bootId: this.o.store.bootId,
      nowIso: (this.o.now?.() ?? new Date()).toISOString(),
      lookup: (name) => this.o.devices.lookup(name),
      validator,
      ...(f.pooled ? { poolAddresses: f.pooled } : {}),
      ...(this.o.sharedMode ? { sharedMode: this.o.sharedMode } : {}),
    });
    if (!r.ok) {
      return { devices: [], error: r.error };
    }
    const conflicts = [
      ...findConflicts(r.plan, [...held, ...toWrite]),
      ...heldByUnreadable(r.plan, this.o.store),
    ];
    if (conflicts.length > 0) {
      return { devices: [], error: `${label}: ${conflicts.join('; ')}` };
    }
    toWrite.push(r.plan);
    return { devices: preparedDevices(r.plan), error: '' };
  }

  /**
   * Add pods to the plans of claims this node already prepared that they use (shared-claims.ts):
   * reads only those claims, through `opts.claims` when given (the NRI hooks pass a reader with a
   * timeout inside their budget). Used by prepare, and by the NRI hooks for pods without a plan.
   */
  addPodsToSharedPlans(
    pods: readonly PodRef[],
    opts: { excludeClaimUids?: ReadonlySet<string>; claims?: ClaimSource } = {},
  ): Promise<SharedClaimResult> {
    return addPodsToSharedPlans(
      {
        listPlans: () => this.o.store.listPlans(),
        claims: opts.claims ?? this.o.claims,
        refresh: (claim) => this.refreshReservations(claim),
      },
      pods,
      opts.excludeClaimUids,
    );
  }

  /**
   * Bring this node's plan of the claim up to date with its status.reservedFor (pods are only
   * added). Under the handler's lock, so it never races an unprepare deleting the plan. Returns
   * true when the plan was rewritten.
   */
  async refreshReservations(claim: ResourceClaim): Promise<boolean> {
    const uid = claim.metadata?.uid;
    const mine = (claim.status?.allocation?.devices?.results ?? []).some(
      (r) => r.driver === this.o.driverName && r.pool === this.o.poolName,
    );
    if (!uid || !mine) return false;
    return this.underPlanLock(async () => {
      await this.reserved.settled(uid); // a prepare writing this plan: update what it wrote
      const plan = await this.o.store.getPlan(uid);
      if (!plan) return false;
      const merged = [...new Set([...plan.podUids, ...reservedPodUids(claim)])].sort();
      if (merged.join() === plan.podUids.join()) return false;
      await this.o.store.putPlan({ ...plan, podUids: merged });
      this.o.logger.info('claim reserved for more pods; plan updated', { claimUid: uid, podUids: merged });
      return true;
    });
  }

  async unprepare(claims: readonly ClaimRequest[]): Promise<Map<string, { error: string }>> {
    const started = process.hrtime.bigint();
    const out = new Map<string, { error: string }>();
    await Promise.all(
      claims.map(async (req) => {
        try {
          // a plan a newer agent wrote is left alone, and so is what it describes
          const kept = this.o.store.unreadablePlan(req.uid);
          if (kept) throw new Error(keptMessage(kept));
          // 1. outside the plan lock: give back what is still attached (NRI pod locks, kernel work)
          await this.o.releaseClaim?.(req.uid);
          // 2. under the plan lock: the claim's CDI spec and plan go
          const hadPlan = await this.underPlanLock(() => this.forgetClaim(req.uid));
          // 3. its IPPool addresses go back (idempotent; none for most claims: one list)
          const released = (await this.o.addresses?.release(req.uid)) ?? [];
          this.o.logger.info('unprepared', { claimUid: req.uid, hadPlan, releasedAddresses: released });
          out.set(req.uid, { error: '' });
        } catch (err) {
          out.set(req.uid, { error: `${claimLabel(req)}: unprepare failed: ${(err as Error).message}` });
        }
      }),
    );
    this.record('unprepare', out, started);
    return out;
  }

  /** Under the plan lock: delete the claim's CDI spec and plan; true when there was a plan. */
  private async forgetClaim(claimUid: string): Promise<boolean> {
    // a prepare writing this claim's plan: let it end, then delete what it wrote (else the plan
    // would appear after the kubelet was told the claim is unprepared, its devices held for good)
    await this.reserved.settled(claimUid);
    const plan = await this.o.store.getPlan(claimUid);
    if (this.o.releaseClaim) {
      // a RunPodSandbox that read the plan after step 1 may have attached again: keep the plan
      // (and fail; the kubelet retries) rather than leave a device in a pod without its plan
      const again = await this.o.store.attachRecordsForClaim(claimUid);
      if (again.length > 0) {
        throw new Error(
          `device(s) ${again.map((r) => `${r.deviceName} (pod ${r.podUid})`).join(', ')} attached again while unpreparing; the plan is kept`,
        );
      }
    }
    await this.o.cdi.remove(claimUid);
    await this.o.store.deletePlan(claimUid);
    for (const d of plan?.devices ?? []) this.o.devices.unpin?.(d.deviceName);
    return plan !== undefined;
  }

  private record(
    method: 'prepare' | 'unprepare',
    out: Map<string, { error: string }>,
    started: bigint,
  ): void {
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    // one line per call: the exact latency (bench/pod-startup.ts reads it; the histogram is bucketed)
    this.o.logger.info('dra call', { method, claims: out.size, durationMs });
    const m = this.o.metrics;
    if (!m) return;
    let failed = 0;
    for (const r of out.values()) {
      const result = r.error ? 'error' : 'ok';
      if (r.error) failed++;
      m.claims.inc({ method, result });
    }
    m.calls.inc({ method, result: failed > 0 ? 'error' : 'ok' });
    m.callSeconds.observe({ method }, durationMs / 1000);
  }
}
