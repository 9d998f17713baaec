// KubeRestClient.watch against a local HTTP server that streams watch events the way the apiserver
// does (chunked, one JSON event per line, cut at arbitrary places).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isGone } from './errors.js';
import { KubeRestClient, type RequestRecord } from './rest-client.js';

let server: Server;
let url = '';
let handler: (path: string, res: ServerResponse) => void = () => undefined;
const paths: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    handler(req.url ?? '', res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const records: RequestRecord[] = [];
const client = (): KubeRestClient =>
  new KubeRestClient(
    { getCurrentCluster: () => ({ server: url }), applyToHTTPSOptions: () => Promise.resolve() },
    { fieldManager: 't', onRequest: (r) => records.push(r) },
  );

describe('KubeRestClient.watch', () => {
  it('delivers every event in order, across chunk boundaries, and resolves when the server ends', async () => {
    handler = (_p, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD');
      setTimeout(() => {
        res.write('IFIED","object":{"metadata":{"name":"a","resourceVersion":"7"}}}\n');
        res.end('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}\n');
      }, 20);
    };
    const events: [string, unknown][] = [];
    records.length = 0;
    await client().watch('/apis/x/v1/widgets?resourceVersion=5', (t, o) => events.push([t, o]), {
      signal: new AbortController().signal,
      idleTimeoutMs: 5000,
    });
    expect(events).toEqual([
      ['ADDED', { metadata: { name: 'a' } }],
      ['MODIFIED', { metadata: { name: 'a', resourceVersion: '7' } }],
      ['BOOKMARK', { metadata: { resourceVersion: '9' } }],
    ]);
    expect(paths.at(-1)).toBe('/apis/x/v1/widgets?resourceVersion=5&watch=true');
    expect(records.map((r) => [r.verb, r.statusCode])).toEqual([['watch', 200]]);
  });

  it('rejects a 410 with a KubeApiError that isGone() recognises', async () => {
    handler = (_p, res) => {
      res.writeHead(410, { 'Content-Type': 'application/json' });
      res.end('{"kind":"Status","reason":"Expired","message":"too old resource version"}');
    };
    const w = client().watch('/w', () => undefined, {
      signal: new AbortController().signal,
      idleTimeoutMs: 5000,
    });
    await expect(w).rejects.toThrow('WATCH /w: 410 too old resource version');
    expect(isGone(await w.catch((e: unknown) => e))).toBe(true);
  });

  it('resolves at once when aborted mid-stream', async () => {
    handler = (_p, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{}}\n');
    };
    const ctl = new AbortController();
    const events: string[] = [];
    const w = client().watch(
      '/w',
      (t) => {
        events.push(t);
        ctl.abort();
      },
      { signal: ctl.signal, idleTimeoutMs: 5000 },
    );
    await expect(w).resolves.toBeUndefined();
    expect(events).toEqual(['ADDED']);
  });

  it('rejects a silent connection after idleTimeoutMs, and a line that is not JSON', async () => {
    handler = (_p, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('\n');
    };
    const opts = { signal: new AbortController().signal, idleTimeoutMs: 100 };
    await expect(client().watch('/w', () => undefined, opts)).rejects.toThrow(
      'WATCH /w: nothing received for 100 ms',
    );
    handler = (_p, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('<html>\n');
    };
    await expect(client().watch('/w', () => undefined, { ...opts, idleTimeoutMs: 5000 })).rejects.toThrow(
      /watch stream: a line is not JSON/,
    );
  });
});
