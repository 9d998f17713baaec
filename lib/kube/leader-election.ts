// Leader election through a coordination.k8s.io/v1 Lease, like client-go's leaderelection.
//
// Contract: run() loops until stop(). A candidate acquires the Lease when it is absent, already
// its own, or not renewed for leaseDurationMs as measured on the LOCAL clock since this process
// last saw the record change (no cross-host clock comparison). The leader renews every
// retryPeriodMs; if it cannot renew for renewDeadlineMs it calls onStoppedLeading and stops acting
// at once (the caller should stop its controllers; main exits). Writes use the Lease's
// resourceVersion, so two candidates can never both win the same round (409 -> retry).
// stop() releases the Lease (renewTime kept, holder cleared) when held, so a peer takes over fast.
import { sleep } from '../util/backoff.js';
import { isConflict, isNotFound } from './errors.js';
import { microTime } from './meta-time.js';
import type { KubeRestClient } from './rest-client.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onError?: (err: unknown) => void;
  now?: () => number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private observed: { key: string; atMs: number } | undefined;
  private readonly now: () => number;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly client: KubeRestClient;
  private readonly opts: LeaderElectionOptions;

  constructor(client: KubeRestClient, opts: LeaderElectionOptions) {
    this.client = client;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.opts.namespace}/leases/${this.opts.name}`;
  }

  /** One acquire-or-renew attempt; true when this candidate holds the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const nowMs = this.now();
    const spec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      renewTime: microTime(nowMs),
    };
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(this.path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.client.create(this.path.replace(/\/[^/]+$/, ''), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: { ...spec, acquireTime: microTime(nowMs), leaseTransitions: 0 },
        });
        return true;
      } catch (e) {
        if (isConflict(e)) return false;
        throw e;
      }
    }
    const holder = lease.spec.holderIdentity ?? '';
    const key = `${holder}|${lease.spec.renewTime ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, atMs: nowMs };
    const durationMs = (lease.spec.leaseDurationSeconds ?? 15) * 1000;
    const mine = holder === this.opts.identity;
    const expired = holder === '' || nowMs - this.observed.atMs >= durationMs;
    if (!mine && !expired) return false;
    const next: Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        ...(mine
          ? {}
          : { acquireTime: microTime(nowMs), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      const updated = await this.client.update<Lease>(this.path, next);
      this.observed = { key: `${this.opts.identity}|${updated.spec.renewTime ?? ''}`, atMs: nowMs };
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      // acquire
      while (!this.stopped && !this.leading) {
        try {
          if (await this.tryAcquireOrRenew()) {
            this.leading = true;
            this.opts.onStartedLeading();
            break;
          }
        } catch (err) {
          this.opts.onError?.(err);
        }
        await sleep(this.retryPeriodMs, this.abort.signal);
      }
      // renew
      let lastRenewMs = this.now();
      while (!this.stopped && this.leading) {
        await sleep(this.retryPeriodMs, this.abort.signal);
        if (this.stopped) break;
        let ok = false;
        try {
          ok = await this.tryAcquireOrRenew();
        } catch (err) {
          this.opts.onError?.(err);
        }
        if (ok) lastRenewMs = this.now();
        else if (!ok && this.now() - lastRenewMs >= this.renewDeadlineMs) {
          this.leading = false;
          this.opts.onStoppedLeading();
        } else if (!ok) {
          // lost to someone else (their update won): stop at once
          const l = await this.client.get<Lease>(this.path).catch(() => undefined);
          if (l && l.spec.holderIdentity && l.spec.holderIdentity !== this.opts.identity) {
            this.leading = false;
            this.opts.onStoppedLeading();
          }
        }
      }
    }
  }

  /** Stop campaigning; release the Lease if held. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.client.get<Lease>(this.path);
      if (lease.spec.holderIdentity === this.opts.identity) {
        await this.client.update(this.path, {
          ...lease,
          spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1 },
        });
      }
    } catch (err) {
      this.opts.onError?.(err);
    }
    this.opts.onStoppedLeading();
  }
}
