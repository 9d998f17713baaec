// Netlink link/address change notifications for the inventory loop: a long-running
// `ip -o monitor link address` child process (one line per RTM_NEWLINK/DELLINK/NEWADDR/DELADDR
// event) until the native netlink binding offers a subscription. Each line only triggers a
// (rate-limited) rescan; the content is not parsed, so a format change cannot corrupt state.
// Retry policy: if the child exits, it is restarted after a backoff (1 s doubling to 30 s, jittered,
// lib/util/backoff.ts; reset after 60 s of healthy running); meanwhile the inventory's sysfs poll keeps rescans going.
import { spawn, type ChildProcess } from 'node:child_process';
import { Backoff } from '../../../lib/util/backoff.js';
import type { Logger } from '../../../lib/util/logger.js';

export interface LinkEventSource {
  start(onEvent: () => void): void;
  stop(): void;
}

export function ipMonitorEvents(opts: { logger: Logger; ipPath?: string }): LinkEventSource {
  let child: ChildProcess | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const backoff = new Backoff({ baseMs: 1000, maxMs: 30_000 });
  let startedAt = 0;
  const run = (onEvent: () => void): void => {
    if (stopped) return;
    startedAt = Date.now();
    const c = spawn(opts.ipPath ?? 'ip', ['-o', 'monitor', 'link', 'address'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout?.on('data', () => {
      onEvent();
    });
    c.on('error', (e) => {
      opts.logger.warn('ip monitor failed to start; relying on the sysfs poll', { error: e.message });
    });
    c.on('exit', (code, signal) => {
      child = undefined;
      if (stopped) return;
      if (Date.now() - startedAt > 60_000) backoff.reset();
      const delayMs = backoff.next();
      opts.logger.warn('ip monitor exited; restarting', { code, signal, delayMs });
      timer = setTimeout(() => {
        run(onEvent);
      }, delayMs);
      timer.unref();
    });
  };
  return {
    start(onEvent) {
      run(onEvent);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      child?.kill('SIGTERM');
    },
  };
}
