// KEP-4817 claim status writer: the ClaimStatusSink the NRI hooks report to.
//
// Contract: attached()/failed() are called from NRI hooks and return at once; they only queue.
// Every claim (and every pod Event) has its own queue slot and its own retry: one claim whose
// writes keep failing never delays another claim's status. Within a claim, writes are sequential
// and only the newest status is kept while one is in flight or backing off (an older status is
// superseded, never written after a newer one). Each failure creates a Warning Event on the pod.
// Retry policy (lib/util/backoff.ts retry): retriable failures (network, 5xx, 408/409/429) back
// off exponentially with jitter (initialDelayMs .. maxDelayMs) up to maxAttempts per status, then
// that status is dropped with an error log; a non-retriable 4xx is logged and dropped at once.
// Nothing is ever thrown to the caller.
import { retry, sleep } from '../../../lib/util/backoff.js';
import type { Logger } from '../../../lib/util/logger.js';
import type { AttachRecord } from '../netns/contract.js';
import type { ClaimRef, DevicePlan } from '../plan-store/plan.js';
import type { ClaimStatusPatch } from './device-status.js';
import { claimStatusPatch, failedStatus, readyStatus } from './device-status.js';
import type { ClaimStatusApi, PodEvent } from './status-api.js';
import { isRetriable } from '../../../lib/kube/errors.js';

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
  /** Backoff jitter source ([0,1)); default Math.random. */
  random?: () => number;
}

type Job =
  { kind: 'status'; key: string; body: ClaimStatusPatch } | { kind: 'event'; key: string; event: PodEvent };

/** One claim's (or one Event's) queue: the newest job not yet taken, and the loop writing it. */
interface Slot {
  next: Job | undefined;
  running: Promise<void> | undefined;
}

export class ClaimStatusWriter {
  private readonly slots = new Map<string, Slot>();
  private eventSeq = 0;
  private readonly opts: Required<Omit<StatusWriterOptions, 'api' | 'logger' | 'random'>> &
    Pick<StatusWriterOptions, 'api' | 'logger' | 'random'>;
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
      sleep: opts.sleep ?? sleep,
      ...(opts.random ? { random: opts.random } : {}),
    };
  }

  attached(claim: ClaimRef, pod: PodIdentity, devices: { device: DevicePlan; record: AttachRecord }[]): void {
    const now = this.opts.now();
    const body = claimStatusPatch(
      claim,
      devices.map((d) => readyStatus(d.device, d.record, pod, now)),
    );
    this.enqueueStatus(claim, body);
  }

  failed(claim: ClaimRef, pod: PodIdentity, devices: DevicePlan[], reason: string, message: string): void {
    const now = this.opts.now();
    this.enqueueStatus(
      claim,
      claimStatusPatch(
        claim,
        devices.map((d) => failedStatus(d, reason, message, now)),
      ),
    );
    this.push({
      kind: 'event',
      key: `event/${pod.uid}/${claim.uid}/${String(++this.eventSeq)}`,
      event: { pod, type: 'Warning', reason, message: `claim ${claim.namespace}/${claim.name}: ${message}` },
    });
  }

  /**
   * Ready=False on the claim's devices when prepare failed before any pod ran (e.g. its IPPool is
   * exhausted). No Event: the kubelet already reports the prepare error on the pod.
   */
  prepareFailed(
    claim: ClaimRef,
    devices: Pick<DevicePlan, 'poolName' | 'deviceName'>[],
    reason: string,
    message: string,
  ): void {
    const now = this.opts.now();
    this.enqueueStatus(
      claim,
      claimStatusPatch(
        claim,
        devices.map((d) => failedStatus(d, reason, message, now)),
      ),
    );
  }

  /** Resolves when every queue is empty (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.slots.size > 0) {
      await Promise.all([...this.slots.values()].flatMap((s) => (s.running ? [s.running] : [])));
    }
  }

  /** Statuses and Events not yet written (queued, in flight or backing off). */
  get pending(): number {
    return this.slots.size;
  }

  private enqueueStatus(claim: ClaimRef, body: ClaimStatusPatch): void {
    this.push({ kind: 'status', key: `claim/${claim.namespace}/${claim.name}`, body });
  }

  private push(job: Job): void {
    let slot = this.slots.get(job.key);
    if (slot === undefined) {
      slot = { next: undefined, running: undefined };
      this.slots.set(job.key, slot);
    }
    if (slot.next !== undefined) this.stats.superseded++;
    slot.next = job;
    this.start(job.key, slot);
  }

  private start(key: string, slot: Slot): void {
    if (slot.running !== undefined) return;
    slot.running = this.runSlot(slot).finally(() => {
      slot.running = undefined;
      // a job pushed after the loop's last look but before this callback
      if (slot.next !== undefined) this.start(key, slot);
      else this.slots.delete(key);
    });
  }

  /** Writes the slot's jobs in order until none is left; each job retried on its own backoff. */
  private async runSlot(slot: Slot): Promise<void> {
    while (slot.next !== undefined) {
      let current: Job = slot.next;
      slot.next = undefined;
      try {
        await retry(
          async () => {
            // a newer status that arrived while the previous try failed replaces it
            if (slot.next !== undefined) {
              this.stats.superseded++;
              current = slot.next;
              slot.next = undefined;
            }
            await this.write(current);
          },
          {
            backoff: {
              baseMs: this.opts.initialDelayMs,
              maxMs: this.opts.maxDelayMs,
              ...(this.opts.random ? { random: this.opts.random } : {}),
            },
            maxAttempts: this.opts.maxAttempts,
            retriable: isRetriable,
            sleep: this.opts.sleep,
            onRetry: ({ attempt, delayMs, error }) => {
              this.stats.retries++;
              this.opts.logger.warn('claim status write failed; retrying', {
                key: current.key,
                attempt,
                delayMs,
                error: errorText(error),
              });
            },
          },
        );
      } catch (e) {
        this.stats.dropped++;
        this.opts.logger.error('claim status write failed; giving up', {
          key: current.key,
          error: errorText(e),
        });
      }
    }
  }

  private async write(job: Job): Promise<void> {
    if (job.kind === 'status') {
      await this.opts.api.writeClaimStatus(job.body);
      this.stats.applied++;
    } else {
      await this.opts.api.createPodEvent(job.event);
      this.stats.events++;
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
