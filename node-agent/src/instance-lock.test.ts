import { describe, it, expect } from '@jest/globals';
import { acquireInstanceLock, instanceLockName } from './instance-lock.js';
import { captureLogger } from '../../test/support/capture-logger.js';

describe('instance lock', () => {
  it('names one abstract socket per state directory, whatever the spelling of the path', () => {
    expect(instanceLockName('/var/lib/knd')).toBe(instanceLockName('/var/lib/knd/'));
    expect(instanceLockName('/var/lib/knd')).not.toBe(instanceLockName('/var/lib/knd-2'));
    expect(instanceLockName('/var/lib/knd').startsWith('\0knd-agent-')).toBe(true);
    expect(instanceLockName(`/tmp/${'x'.repeat(300)}`).length).toBeLessThan(108);
  });

  it('a second agent over the same state directory waits until the first releases it', async () => {
    const dir = `/tmp/knd-lock-test-${process.pid}-${Date.now()}`;
    const { logger, entries } = captureLogger();
    const first = await acquireInstanceLock(dir, { logger });
    let secondHeld = false;
    const second = acquireInstanceLock(dir, { logger, retryMs: 20 }).then((l) => {
      secondHeld = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(secondHeld).toBe(false);
    expect(entries.some((e) => e.message.includes('another knd agent is running'))).toBe(true);
    await first.release();
    const lock = await second;
    expect(secondHeld).toBe(true);
    await lock.release();
    await lock.release(); // idempotent
  });

  it('another state directory is not blocked', async () => {
    const { logger } = captureLogger();
    const a = await acquireInstanceLock(`/tmp/knd-lock-a-${process.pid}`, { logger });
    const b = await acquireInstanceLock(`/tmp/knd-lock-b-${process.pid}`, { logger });
    await a.release();
    await b.release();
  });

  it('stops waiting when shut down', async () => {
    const { logger } = captureLogger();
    const dir = `/tmp/knd-lock-abort-${process.pid}`;
    const held = await acquireInstanceLock(dir, { logger });
    const ac = new AbortController();
    const waiting = acquireInstanceLock(dir, { logger, retryMs: 10, signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toThrow();
    await held.release();
  });
});
