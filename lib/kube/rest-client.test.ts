import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeEndpoint } from './kube-endpoint.js';
import { KubeRestClient } from './rest-client.js';

let server: Server;
let url = '';
const seen: (string | undefined)[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.setHeader('Content-Type', 'application/json');
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

/** An endpoint whose token is the next of `tokens` at each read; a null entry fails the read. */
function rotating(tokens: (string | null)[]): KubeEndpoint & { reads: number } {
  const e = {
    reads: 0,
    getCurrentCluster: () => ({ server: url }),
    applyToHTTPSOptions(o: { headers?: unknown }) {
      const t = tokens[Math.min(e.reads++, tokens.length - 1)];
      if (t === null || t === undefined) return Promise.reject(new Error('token file missing'));
      o.headers = { Authorization: `Bearer ${t}` };
      return Promise.resolve();
    },
  };
  return e;
}

describe('KubeRestClient credentials', () => {
  it('reuses credentials within the TTL', async () => {
    seen.length = 0;
    const e = rotating(['a', 'b']);
    const c = new KubeRestClient(e, { fieldManager: 't' });
    await c.get('/x');
    await c.get('/x');
    expect(seen).toEqual(['Bearer a', 'Bearer a']);
    expect(e.reads).toBe(1);
  });

  it('re-reads them after the TTL (a rotated token)', async () => {
    seen.length = 0;
    const c = new KubeRestClient(rotating(['a', 'b']), { fieldManager: 't', credentialsTtlMs: 0 });
    await c.get('/x');
    await c.get('/x');
    expect(seen).toEqual(['Bearer a', 'Bearer b']);
  });

  it('retries a failed read at the next request, within the TTL', async () => {
    seen.length = 0;
    const c = new KubeRestClient(rotating([null, 'a']), { fieldManager: 't' });
    await expect(c.get('/x')).rejects.toThrow('token file missing');
    await c.get('/x');
    expect(seen).toEqual(['Bearer a']);
  });
});
