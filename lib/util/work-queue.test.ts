import { describe, it, expect } from '@jest/globals';
import { WorkQueue } from './work-queue.js';

function manualTimers() {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const t = { fn, ms, cancelled: false };
      pending.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
    fireAll: () => {
      for (const t of pending.splice(0)) if (!t.cancelled) t.fn();
    },
  };
}

describe('WorkQueue', () => {
  it('deduplicates waiting keys and hands them out in order', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands one key to two workers; a key added while processing comes back after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    let second: string | undefined;
    void q.get().then((x) => (second = x));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(k ?? '');
    await Promise.resolve();
    expect(second).toBe('a');
  });

  it('addRateLimited backs off per key, doubling until forget()', () => {
    const t = manualTimers();
    const q = new WorkQueue({ backoff: { baseMs: 10, maxMs: 1000, random: () => 1 }, setTimer: t.setTimer });
    expect(q.addRateLimited('a')).toBe(10);
    t.fireAll();
    expect(q.addRateLimited('a')).toBe(20);
    expect(q.retries('a')).toBe(2);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(10);
  });

  it('delayed adds arrive when the timer fires', async () => {
    const t = manualTimers();
    const q = new WorkQueue({ setTimer: t.setTimer });
    q.addAfter('x', 500);
    expect(q.length).toBe(0);
    t.fireAll();
    expect(await q.get()).toBe('x');
  });

  it('shutDown wakes waiting workers with undefined and drops timers', async () => {
    const t = manualTimers();
    const q = new WorkQueue({ setTimer: t.setTimer });
    const w = q.get();
    q.addAfter('x', 10);
    q.shutDown();
    expect(await w).toBeUndefined();
    expect(t.pending.every((p) => p.cancelled)).toBe(true);
    q.add('y');
    expect(await q.get()).toBeUndefined();
  });
});
