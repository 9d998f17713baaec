// One agent per state directory per node: the lock an agent takes before it touches its durable
// state, the kubelet's sockets or NRI.
//
// Why: two agents over one state directory would both attach and detach the same NICs. That
// happens for real: a DaemonSet pod deleted with --force lets the DaemonSet start its successor at
// once while the kubelet may still restart (or not yet have killed) the old pod's container.
//
// How: an abstract Unix socket named after the state directory. The agent runs in the host network
// namespace (hostNetwork in the chart), where abstract socket names are unique; the kernel releases
// the name the moment the holder exits, however it exits (SIGKILL included), so there is no stale
// lock file to clean up. A second agent waits, polling every `retryMs`, logging once, until the
// holder is gone; it is not Ready meanwhile (main.ts starts nothing before the lock).
//
// Contract: called once by main.ts before the plan store is opened. Resolves with the held lock;
// rejects only if `signal` aborts (shutdown while waiting) or on an error other than EADDRINUSE.
// release() is idempotent.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from '../../lib/util/logger.js';
import { sleep } from '../../lib/util/backoff.js';

export interface InstanceLock {
  readonly name: string;
  release(): Promise<void>;
}

/** The abstract socket name for a state directory (hashed: abstract names are at most 107 bytes). */
export function instanceLockName(stateDir: string): string {
  return `\0knd-agent-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 24)}`;
}

function listen(server: net.Server, name: string): Promise<void> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(name, () => {
      server.off('error', fail);
      ok();
    });
  });
}

export async function acquireInstanceLock(
  stateDir: string,
  opts: { logger: Logger; retryMs?: number; signal?: AbortSignal },
): Promise<InstanceLock> {
  const name = instanceLockName(stateDir);
  let waitedSince: number | undefined;
  for (;;) {
    const server = net.createServer((socket) => socket.destroy());
    try {
      await listen(server, name);
      if (waitedSince !== undefined)
        opts.logger.info('the other agent is gone; this one takes over the state directory', {
          stateDir,
          waitedMs: Date.now() - waitedSince,
        });
      let closed: Promise<void> | undefined;
      return {
        name,
        release: () =>
          (closed ??= new Promise<void>((done) => {
            server.close(() => {
              done();
            });
          })),
      };
    } catch (err) {
      server.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      if (waitedSince === undefined) {
        waitedSince = Date.now();
        opts.logger.warn(
          'another knd agent is running on this node with the same state directory; waiting for it to exit',
          {
            stateDir,
          },
        );
      }
      if (opts.signal?.aborted) throw new Error(`stopped while waiting for the state directory ${stateDir}`);
      await sleep(opts.retryMs ?? 500, opts.signal);
    }
  }
}
