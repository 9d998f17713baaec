// A rate-limited work queue in the style of client-go's workqueue, for reconcile loops.
//
// Contract: keys are deduplicated while waiting; a key is never handed to two workers at once (a key
// added while processing is re-queued when done()); addRateLimited() delays a key by per-key
// exponential backoff (reset by forget()); shutDown() wakes every waiting get() with undefined.
// Timers come from the injected clock so tests need not sleep.
import { backoffDelayMs, type BackoffOptions } from './backoff.js';

export interface WorkQueueOptions {
  backoff?: BackoffOptions;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

export class WorkQueue<K extends string = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly timers = new Map<K, { cancel(): void }>();
  private readonly waiters: ((k: K | undefined) => void)[] = [];
  private closed = false;
  private readonly backoff: BackoffOptions;
  private readonly setTimer: (fn: () => void, ms: number) => { cancel(): void };

  constructor(opts: WorkQueueOptions = {}) {
    this.backoff = opts.backoff ?? { baseMs: 100, maxMs: 60_000 };
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return {
          cancel: () => {
            clearTimeout(t);
          },
        };
      });
  }

  get length(): number {
    return this.queue.length;
  }

  get shuttingDown(): boolean {
    return this.closed;
  }

  add(key: K): void {
    if (this.closed || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const w = this.waiters.shift();
    if (w) {
      this.dirty.delete(key);
      this.processing.add(key);
      w(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Add after the key's backoff; each call without forget() doubles it. */
  addRateLimited(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delayMs = backoffDelayMs(n, this.backoff);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  addAfter(key: K, delayMs: number): void {
    if (this.closed) return;
    if (this.timers.has(key)) return;
    const t = this.setTimer(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, t);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Next key to process (marks it processing), or undefined once shut down. */
  get(): Promise<K | undefined> {
    const k = this.queue.shift();
    if (k !== undefined) {
      this.dirty.delete(k);
      this.processing.add(k);
      return Promise.resolve(k);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.closed = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
