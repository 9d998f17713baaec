// Exponential backoff with jitter for the NRI reconnect loop (every retry loop backs off with jitter).
// Pure given `random`.
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** [0,1) source; the delay is scaled into [50%, 100%] of the exponential step. */
  random: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly opts: BackoffOptions;

  constructor(opts: BackoffOptions) {
    this.opts = opts;
  }

  nextDelayMs(): number {
    const step = Math.min(this.opts.maxDelayMs, this.opts.initialDelayMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(step * (0.5 + this.opts.random() / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
