// /healthz (process alive), /readyz (caches synced, or standing by as a non-leader) and /metrics
// (Prometheus text). Plain node:http; each response is computed on request, no caching.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../../../lib/util/metrics.js';

export interface HealthServerOptions {
  port: number;
  host?: string;
  metrics: Metrics;
  ready: () => boolean;
}

export async function startHealthServer(
  opts: HealthServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ok = opts.ready();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'caches not synced');
    } else if (path === '/metrics') {
      opts.metrics.exposition().then(
        ({ body, contentType }) => res.writeHead(200, { 'Content-Type': contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}
