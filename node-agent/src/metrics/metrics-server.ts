// The agent's HTTP endpoint: /metrics (Prometheus text from the agent's registry), /healthz (the
// process is serving), /readyz (every readiness check passes; 503 with the failing names otherwise).
// Contract: callers are the kubelet probes and Prometheus; each request is answered from memory
// (readiness checks must be cheap and synchronous). close() stops accepting and resolves.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../../../lib/util/metrics.js';

export interface MetricsServerOptions {
  metrics: Metrics;
  host: string;
  port: number;
  /** name -> check; ready when all return true. */
  readiness: Record<string, () => boolean>;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      opts.metrics.exposition().then(
        ({ body, contentType }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics: ${(err as Error).message}\n`);
        },
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (path === '/readyz') {
      const failing = Object.entries(opts.readiness)
        .filter(([, check]) => !check())
        .map(([name]) => name);
      res.writeHead(failing.length === 0 ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(failing.length === 0 ? 'ok\n' : `not ready: ${failing.join(', ')}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
