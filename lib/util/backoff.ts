// Exponential backoff with full jitter. Pure (randomness injected).
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Returns [0,1); default Math.random. Pass () => 1 for no jitter (deterministic upper bound). */
  random?: () => number;
}

/** Delay before retry number `attempt` (0-based): min(max, base*2^attempt), jittered into [d/2, d]. */
export function backoffDelayMs(attempt: number, opts: BackoffOptions): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  const r = (opts.random ?? Math.random)();
  return Math.round(exp / 2 + (exp / 2) * r);
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
