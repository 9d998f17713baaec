// Retry timing, the one way to do it in knd: exponential backoff with jitter.
//
// - backoffDelayMs(attempt, opts): pure delay of retry number `attempt` (work-queue per-key delays).
// - Backoff: the same sequence with its own attempt counter, for loops that reset it on success
//   (NRI reconnect, ResourceSlice publisher, informer re-list/re-watch, ip monitor restarts).
// - retry(fn, opts): call until it succeeds, a non-retriable error, maxAttempts, or abort (DRA
//   socket binding, claim status writes).
// - sleep(ms, signal): the abortable wait all of them use.
// Every delay is min(maxMs, baseMs * 2^attempt) jittered into [d/2, d]; randomness and sleeping
// are injectable, so callers' tests need no timers.

export interface BackoffOptions {
  /** Delay before the first retry (before jitter). */
  baseMs: number;
  /** Cap of the exponential step (before jitter). */
  maxMs: number;
  /** Returns [0,1); default Math.random. Pass () => 1 for no jitter (deterministic upper bound). */
  random?: () => number;
}

/** Delay before retry number `attempt` (0-based): min(max, base*2^attempt), jittered into [d/2, d]. */
export function backoffDelayMs(attempt: number, opts: BackoffOptions): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  const r = (opts.random ?? Math.random)();
  return Math.round(exp / 2 + (exp / 2) * r);
}

/** The backoff sequence with its own attempt counter: next() grows it, reset() starts over. */
export class Backoff {
  private failures = 0;
  private readonly opts: BackoffOptions;

  constructor(opts: BackoffOptions) {
    this.opts = opts;
  }

  /** The delay to wait now; the following call returns the next step. */
  next(): number {
    const delayMs = backoffDelayMs(this.failures, this.opts);
    this.failures += 1;
    return delayMs;
  }

  /** Back to the first step (after a success). */
  reset(): void {
    this.failures = 0;
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.failures;
  }
}

export interface RetryOptions {
  backoff: BackoffOptions;
  /** Total calls of fn, the first included; default unlimited. */
  maxAttempts?: number;
  /** False stops at once with that error; default: every error is retried. */
  retriable?: (err: unknown) => boolean;
  /** Aborting ends the wait early and stops with the last error. */
  signal?: AbortSignal;
  /** Injected for tests; default sleep() below. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told before each wait: the attempt that failed (1-based), the delay, the error. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * Calls fn (with its 1-based attempt number) until it resolves. Rejects with fn's last error when
 * the error is not retriable, after maxAttempts calls, or when the signal aborted.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const backoff = new Backoff(opts.backoff);
  const wait = opts.sleep ?? sleep;
  const maxAttempts = opts.maxAttempts ?? Number.POSITIVE_INFINITY;
  const aborted = (): boolean => opts.signal?.aborted === true;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const retriable = opts.retriable?.(err) ?? true;
      if (!retriable || attempt >= maxAttempts || aborted()) throw err;
      const delayMs = backoff.next();
      opts.onRetry?.({ attempt, delayMs, error: err });
      await wait(delayMs, opts.signal);
      if (aborted()) throw err;
    }
  }
}

/** Resolves after `ms`, or early (rejecting nothing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
