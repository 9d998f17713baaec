// KEP-4817 claim status writer: the ClaimStatusSink the NRI hooks report to.
//
// Contract: attached()/failed() are called from NRI hooks and return at once; they only queue.
// A single background worker applies the latest status per claim (older queued statuses of the
// same claim are superseded, never written after a newer one) and creates a Warning Event on the
// pod for each failure. Retry policy: retriable failures (network, 5xx, 408/409/429) back off
// exponentially (initialDelayMs .. maxDelayMs) up to maxAttempts, then the job is dropped with an
// error log; a non-retriable 4xx is logged at once. Nothing is ever thrown to the caller.
import type { Logger } from '../../../lib/util/logger.js';
import type { AttachRecord } from '../netns/contract.js';
import type { ClaimRef, DevicePlan } from '../plan-store/plan.js';
import type { ClaimStatusApply } from './device-status.js';
import { claimStatusApply, failedStatus, readyStatus } from './device-status.js';
import type { ClaimStatusApi, PodEvent } from './status-api.js';
import { isRetriable } from './status-api.js';

/** Same shape as nri/handler-deps.ts ClaimStatusSink (status/ does not import nri/). */
export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

export interface StatusWriterOptions {
  api: ClaimStatusApi;
  logger: Logger;
  now?: () => Date;
  initialDelayMs?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

type Job =
  | { kind: 'status'; key: string; body: ClaimStatusApply; generation: number }
  | { kind: 'event'; key: string; event: PodEvent; generation: number };

export class ClaimStatusWriter {
  private readonly queue: Job[] = [];
  private readonly latest = new Map<string, number>();
  private generation = 0;
  private running: Promise<void> | undefined;
  private readonly opts: Required<Omit<StatusWriterOptions, 'api' | 'logger'>> &
    Pick<StatusWriterOptions, 'api' | 'logger'>;
  /** Counters for metrics and tests. */
  readonly stats = { applied: 0, events: 0, superseded: 0, dropped: 0, retries: 0 };

  constructor(opts: StatusWriterOptions) {
    this.opts = {
      api: opts.api,
      logger: opts.logger,
      now: opts.now ?? (() => new Date()),
      initialDelayMs: opts.initialDelayMs ?? 200,
      maxDelayMs: opts.maxDelayMs ?? 10_000,
      maxAttempts: opts.maxAttempts ?? 8,
      sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref())),
    };
  }

  attached(claim: ClaimRef, pod: PodIdentity, devices: { device: DevicePlan; record: AttachRecord }[]): void {
    const now = this.opts.now();
    const body = claimStatusApply(
      claim,
      devices.map((d) => readyStatus(d.device, d.record, pod, now)),
    );
    this.enqueueStatus(claim, body);
  }

  failed(claim: ClaimRef, pod: PodIdentity, devices: DevicePlan[], reason: string, message: string): void {
    const now = this.opts.now();
    this.enqueueStatus(
      claim,
      claimStatusApply(
        claim,
        devices.map((d) => failedStatus(d, reason, message, now)),
      ),
    );
    this.push({
      kind: 'event',
      key: `event/${pod.uid}/${claim.uid}/${String(this.generation)}`,
      event: { pod, type: 'Warning', reason, message: `claim ${claim.namespace}/${claim.name}: ${message}` },
      generation: ++this.generation,
    });
  }

  /** Resolves when the queue is empty (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  get pending(): number {
    return this.queue.length;
  }

  private enqueueStatus(claim: ClaimRef, body: ClaimStatusApply): void {
    this.push({
      kind: 'status',
      key: `claim/${claim.namespace}/${claim.name}`,
      body,
      generation: ++this.generation,
    });
  }

  private push(job: Job): void {
    this.latest.set(job.key, job.generation);
    this.queue.push(job);
    this.running ??= this.work().finally(() => {
      this.running = undefined;
    });
  }

  private superseded(job: Job): boolean {
    return (this.latest.get(job.key) ?? 0) > job.generation;
  }

  private async work(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      await this.runJob(job);
      if (this.latest.get(job.key) === job.generation) this.latest.delete(job.key);
    }
  }

  private async runJob(job: Job): Promise<void> {
    let delayMs = this.opts.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      if (this.superseded(job)) {
        this.stats.superseded++;
        return;
      }
      try {
        if (job.kind === 'status') {
          await this.opts.api.writeClaimStatus(job.body);
          this.stats.applied++;
        } else {
          await this.opts.api.createPodEvent(job.event);
          this.stats.events++;
        }
        return;
      } catch (e) {
        const text = e instanceof Error ? e.message : String(e);
        if (!isRetriable(e) || attempt >= this.opts.maxAttempts) {
          this.stats.dropped++;
          this.opts.logger.error('claim status write failed; giving up', {
            key: job.key,
            attempt,
            error: text,
          });
          return;
        }
        this.stats.retries++;
        this.opts.logger.warn('claim status write failed; retrying', {
          key: job.key,
          attempt,
          delayMs,
          error: text,
        });
        await this.opts.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, this.opts.maxDelayMs);
      }
    }
  }
}
