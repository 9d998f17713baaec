import { describe, expect, it } from '@jest/globals';
import { Backoff, backoffDelayMs, retry, type RetryOptions } from './backoff.js';

describe('backoffDelayMs', () => {
  it.each([
    // attempt, baseMs, maxMs, random, delay
    [0, 100, 5000, 1, 100],
    [1, 100, 5000, 1, 200],
    [3, 100, 5000, 1, 800],
    [6, 100, 5000, 1, 5000],
    [20, 100, 5000, 1, 5000],
    [1000, 100, 5000, 1, 5000], // exponent clamped: no Infinity/NaN
    [-1, 100, 5000, 1, 100], // a negative attempt is the first one
    [0, 100, 5000, 0, 50], // lowest jitter: half the step
    [2, 100, 5000, 0, 200],
    [2, 100, 5000, 0.5, 300],
    [3, 500, 30_000, 0.999_999, 4000],
    [0, 250, 5000, 0, 125],
  ])('attempt %i base %i max %i random %f -> %i ms', (attempt, baseMs, maxMs, r, ms) => {
    expect(backoffDelayMs(attempt, { baseMs, maxMs, random: () => r })).toBe(ms);
  });

  it('stays within [d/2, d] for random jitter', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const d = Math.min(10_000, 200 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const ms = backoffDelayMs(attempt, { baseMs: 200, maxMs: 10_000 });
        expect(ms).toBeGreaterThanOrEqual(d / 2);
        expect(ms).toBeLessThanOrEqual(d);
      }
    }
  });
});

describe('Backoff', () => {
  it.each([
    ['grows to the cap', ['next', 'next', 'next', 'next', 'next'], [100, 200, 400, 500, 500], 5],
    ['reset starts over', ['next', 'next', 'reset', 'next'], [100, 200, 100], 1],
    ['reset before any delay', ['reset', 'next'], [100], 1],
  ] as const)('%s', (_name, ops, delays, attempts) => {
    const b = new Backoff({ baseMs: 100, maxMs: 500, random: () => 1 });
    const got: number[] = [];
    for (const op of ops) {
      if (op === 'next') got.push(b.next());
      else b.reset();
    }
    expect(got).toEqual(delays);
    expect(b.attempts).toBe(attempts);
  });
});

/** fn failing `failures` times with the given errors, then resolving 'ok'. */
function flaky(errors: Error[]): { fn: (attempt: number) => Promise<string>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    fn: (attempt) => {
      calls.push(attempt);
      const e = errors.shift();
      return e === undefined ? Promise.resolve('ok') : Promise.reject(e);
    },
  };
}

const http = (code: number): Error => Object.assign(new Error(`HTTP ${String(code)}`), { code });
const retriableHttp = (e: unknown): boolean => ((e as { code?: number }).code ?? 500) >= 500;

describe('retry', () => {
  it.each([
    {
      name: 'first call succeeds: no wait',
      errors: [],
      opts: {},
      result: 'ok',
      calls: [1],
      sleeps: [],
    },
    {
      name: 'retries until success with growing delays',
      errors: [new Error('a'), new Error('b'), new Error('c')],
      opts: {},
      result: 'ok',
      calls: [1, 2, 3, 4],
      sleeps: [100, 200, 400],
    },
    {
      name: 'gives up after maxAttempts with the last error',
      errors: [new Error('a'), new Error('b'), new Error('c')],
      opts: { maxAttempts: 2 },
      result: 'b',
      calls: [1, 2],
      sleeps: [100],
    },
    {
      name: 'maxAttempts 1 never waits',
      errors: [new Error('a')],
      opts: { maxAttempts: 1 },
      result: 'a',
      calls: [1],
      sleeps: [],
    },
    {
      name: 'a non-retriable error stops at once',
      errors: [http(503), http(422), http(503)],
      opts: { retriable: retriableHttp },
      result: 'HTTP 422',
      calls: [1, 2],
      sleeps: [100],
    },
    {
      name: 'delays are capped',
      errors: [1, 2, 3, 4, 5].map((i) => new Error(String(i))),
      opts: { backoff: { baseMs: 100, maxMs: 300, random: () => 1 } },
      result: 'ok',
      calls: [1, 2, 3, 4, 5, 6],
      sleeps: [100, 200, 300, 300, 300],
    },
  ] as {
    name: string;
    errors: Error[];
    opts: Partial<RetryOptions>;
    result: string;
    calls: number[];
    sleeps: number[];
  }[])('$name', async ({ errors, opts, result, calls, sleeps }) => {
    const f = flaky([...errors]);
    const waited: number[] = [];
    const retried: number[] = [];
    const run = retry(f.fn, {
      backoff: { baseMs: 100, maxMs: 10_000, random: () => 1 },
      sleep: (ms) => {
        waited.push(ms);
        return Promise.resolve();
      },
      onRetry: ({ attempt }) => retried.push(attempt),
      ...opts,
    });
    const got = await run.then(
      (v) => v,
      (e: unknown) => (e as Error).message,
    );
    expect(got).toBe(result);
    expect(f.calls).toEqual(calls);
    expect(waited).toEqual(sleeps);
    expect(retried).toEqual(sleeps.map((_, i) => i + 1));
  });

  it('an abort during the wait stops with the last error, without another call', async () => {
    const abort = new AbortController();
    const f = flaky([new Error('bind EACCES'), new Error('never')]);
    const run = retry(f.fn, {
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      signal: abort.signal,
    });
    await Promise.resolve();
    abort.abort();
    await expect(run).rejects.toThrow('bind EACCES');
    expect(f.calls).toEqual([1]);
  });

  it('an aborted signal does not stop the first call but stops any retry', async () => {
    const abort = new AbortController();
    abort.abort();
    const f = flaky([new Error('x')]);
    await expect(retry(f.fn, { backoff: { baseMs: 1, maxMs: 1 }, signal: abort.signal })).rejects.toThrow(
      'x',
    );
    expect(f.calls).toEqual([1]);
  });
});
