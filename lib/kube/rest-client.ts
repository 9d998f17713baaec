// A small JSON REST client for the Kubernetes API on top of a KubeEndpoint (server, auth, TLS):
// client-node's KubeConfig, or the agent's lighter kube-endpoint.ts.
//
// Contract: callers are controllers (operator) and tools. Bodies are plain JSON objects exactly as
// on the wire (no client-node model classes, which rename fields such as DeviceAttribute.int).
// Every request is abandoned after timeoutMs (default 30 s) from its start, whatever the server
// sends meanwhile; no retries here (the caller's queue or loop retries).
// Credentials (TLS material, bearer token) are re-read from the endpoint at most every
// credentialsTtlMs (default 60 s, as client-go caches a token file), so a rotated service account
// token is picked up; a failed read is retried by the next request.
// Non-2xx responses reject with KubeApiError carrying the status code and the apiserver's message;
// read errors only through errors.ts (isNotFound, isConflict, ...).
// apply() is server-side apply with a fixed field manager and force=true (idempotent).
// watch() streams one watch connection: each event ({type, object}) goes to onEvent in order; it
// resolves when the server ends the stream (its timeoutSeconds) or the signal aborts, rejects with
// KubeApiError on a non-2xx answer (410 Gone: resourceVersion too old) or on a network error, or
// when nothing (not even a bookmark) arrived for idleTimeoutMs. No retries (the informer re-watches).
// Every request is reported to `onRequest` (verb, path, status), which metrics and tests use to
// count writes.
import * as http from 'node:http';
import * as https from 'node:https';
import { JsonLines } from './json-lines.js';
import type { KubeEndpoint } from './kube-endpoint.js';

export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string;
  constructor(statusCode: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete';
export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'apply', 'delete']);

export interface RequestRecord {
  verb: Verb;
  method: string;
  path: string;
  statusCode: number;
  durationMs: number;
}

export interface RestClientOptions {
  fieldManager: string;
  timeoutMs?: number;
  onRequest?: (r: RequestRecord) => void;
  /** How long credentials read from the endpoint are reused. Default 60 000. */
  credentialsTtlMs?: number;
}

export interface JsonObject {
  [k: string]: unknown;
}

export interface ListSelectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** A whole collection, all pages read, and the resourceVersion to watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

export class KubeRestClient<K extends KubeEndpoint = KubeEndpoint> {
  private readonly server: URL;
  private readonly timeoutMs: number;
  readonly fieldManager: string;
  private readonly onRequest: ((r: RequestRecord) => void) | undefined;
  private agentOpts: Promise<https.RequestOptions> | undefined;
  private agentOptsAtMs = 0;
  private readonly credentialsTtlMs: number;
  readonly kubeConfig: K;

  constructor(kc: K, opts: RestClientOptions) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.kubeConfig = kc;
    this.server = new URL(cluster.server);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fieldManager = opts.fieldManager;
    this.onRequest = opts.onRequest;
    this.credentialsTtlMs = opts.credentialsTtlMs ?? 60_000;
  }

  /** TLS and auth options from the endpoint, re-read after credentialsTtlMs or a failed read. */
  private requestOptions(): Promise<https.RequestOptions> {
    const now = performance.now();
    if (this.agentOpts === undefined || now - this.agentOptsAtMs >= this.credentialsTtlMs) {
      this.agentOptsAtMs = now;
      const loading = (async () => {
        const o: https.RequestOptions = {};
        await this.kubeConfig.applyToHTTPSOptions(o);
        return o;
      })();
      loading.catch(() => {
        if (this.agentOpts === loading) this.agentOpts = undefined;
      });
      this.agentOpts = loading;
    }
    return this.agentOpts;
  }

  async request<T = JsonObject>(
    verb: Verb,
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const base = await this.requestOptions();
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      ...((base.headers ?? {}) as Record<string, string>),
      Accept: 'application/json',
    };
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(payload.length);
    }
    const started = performance.now();
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = lib.request(url, { ...base, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(deadline);
          const statusCode = res.statusCode ?? 0;
          this.onRequest?.({ verb, method, path, statusCode, durationMs: performance.now() - started });
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? {} : JSON.parse(text);
          } catch {
            json = { message: text };
          }
          if (statusCode >= 200 && statusCode < 300) {
            resolve(json as T);
          } else {
            const j = json as { message?: string; reason?: string };
            reject(
              new KubeApiError(
                statusCode,
                j.reason ?? '',
                `${method} ${path}: ${statusCode} ${j.message ?? text}`,
              ),
            );
          }
        });
      });
      const deadline = setTimeout(() => {
        req.destroy(new Error(`${method} ${path}: no response within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      req.on('close', () => {
        clearTimeout(deadline);
      });
      req.on('error', (e) => {
        this.onRequest?.({ verb, method, path, statusCode: 0, durationMs: performance.now() - started });
        reject(e);
      });
      if (payload) req.write(payload);
      req.end();
    });
  }

  get<T = JsonObject>(path: string): Promise<T> {
    return this.request<T>('get', 'GET', path);
  }

  list<T = JsonObject>(path: string): Promise<T> {
    return this.request<T>('list', 'GET', path);
  }

  /**
   * Every item of the collection at `path` (pages of 500 followed through `continue`), each passed
   * through `decode` (which throws on a malformed object), and the list's resourceVersion.
   */
  async listAll<T>(
    path: string,
    decode: (raw: unknown) => T,
    sel: ListSelectors = {},
  ): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont = '';
    let resourceVersion = '';
    do {
      const q = new URLSearchParams({ limit: '500' });
      if (sel.labelSelector) q.set('labelSelector', sel.labelSelector);
      if (sel.fieldSelector) q.set('fieldSelector', sel.fieldSelector);
      if (cont) q.set('continue', cont);
      const page = await this.list<ListPage>(`${path}?${q.toString()}`);
      for (const raw of page.items ?? []) items.push(decode(raw));
      cont = page.metadata?.continue ?? '';
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (cont !== '');
    return { items, resourceVersion };
  }

  /** One watch connection on `path` (query included); see the contract above. */
  async watch(
    path: string,
    onEvent: (type: string, object: unknown) => void,
    opts: { signal: AbortSignal; idleTimeoutMs: number },
  ): Promise<void> {
    const base = await this.requestOptions();
    const url = new URL(withQuery(path, 'watch=true'), this.server);
    const headers = { ...((base.headers ?? {}) as Record<string, string>), Accept: 'application/json' };
    const started = performance.now();
    const lib = url.protocol === 'https:' ? https : http;
    let reported = false;
    const report = (statusCode: number): void => {
      if (reported) return;
      reported = true;
      this.onRequest?.({
        verb: 'watch',
        method: 'GET',
        path,
        statusCode,
        durationMs: performance.now() - started,
      });
    };
    if (opts.signal.aborted) return;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        opts.signal.removeEventListener('abort', onAbort);
        if (err && !opts.signal.aborted) reject(err);
        else resolve();
      };
      const onAbort = (): void => {
        req.destroy();
        finish();
      };
      const req = lib.request(url, { ...base, method: 'GET', headers }, (res) => {
        const statusCode = res.statusCode ?? 0;
        if (statusCode < 200 || statusCode >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            report(statusCode);
            const text = Buffer.concat(chunks).toString('utf8');
            let j: { message?: string; reason?: string } = {};
            try {
              j = JSON.parse(text) as typeof j;
            } catch {
              j = { message: text };
            }
            finish(
              new KubeApiError(
                statusCode,
                j.reason ?? '',
                `WATCH ${path}: ${statusCode} ${j.message ?? text}`,
              ),
            );
          });
          return;
        }
        const lines = new JsonLines();
        const deliver = (docs: unknown[]): void => {
          for (const d of docs) {
            const e = d as { type?: unknown; object?: unknown };
            if (typeof e.type !== 'string') throw new Error(`WATCH ${path}: an event without a type`);
            onEvent(e.type, e.object);
          }
        };
        res.on('data', (c: Buffer) => {
          try {
            deliver(lines.push(c));
          } catch (err) {
            req.destroy();
            finish(err as Error);
          }
        });
        res.on('error', (err) => {
          finish(err);
        });
        res.on('end', () => {
          report(statusCode);
          try {
            deliver(lines.end());
            finish();
          } catch (err) {
            finish(err as Error);
          }
        });
      });
      req.setTimeout(opts.idleTimeoutMs, () => {
        req.destroy(new Error(`WATCH ${path}: nothing received for ${opts.idleTimeoutMs} ms`));
      });
      req.on('error', (err) => {
        report(0);
        finish(err);
      });
      opts.signal.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  }

  create<T = JsonObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('create', 'POST', path, body);
  }

  update<T = JsonObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('update', 'PUT', path, body);
  }

  /** DELETE, optionally with DeleteOptions (e.g. a uid precondition). */
  delete(path: string, options?: JsonObject): Promise<JsonObject> {
    return this.request('delete', 'DELETE', path, options);
  }

  /** JSON merge patch (RFC 7386) of `body` at `path`, with this client's field manager. */
  mergePatch<T = JsonObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>(
      'patch',
      'PATCH',
      withQuery(path, `fieldManager=${encodeURIComponent(this.fieldManager)}`),
      body,
      'application/merge-patch+json',
    );
  }

  /** Server-side apply (force) of `body` at `path` (the object's URL, or its /status). */
  apply<T = JsonObject>(path: string, body: unknown): Promise<T> {
    const q = `fieldManager=${encodeURIComponent(this.fieldManager)}&force=true`;
    return this.request<T>('apply', 'PATCH', withQuery(path, q), body, 'application/apply-patch+yaml');
  }
}

const withQuery = (path: string, q: string): string => `${path}${path.includes('?') ? '&' : '?'}${q}`;

/** URL path of a resource: apiVersion "v1" -> /api/v1, "g/v" -> /apis/g/v. */
export function resourcePath(apiVersion: string, plural: string, namespace?: string, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** The resource (plural, plus "/status" for the subresource) a request path addresses, for metrics. */
export function resourceOfPath(path: string): string {
  const parts = (path.split('?')[0] ?? '').split('/').filter((x) => x !== '');
  let i = parts[0] === 'api' ? 2 : 3; // skip api/v1 or apis/group/version
  if (parts[i] === 'namespaces' && parts.length > i + 2) i += 2;
  const plural = parts[i] ?? '';
  return parts[i + 2] === 'status' ? `${plural}/status` : plural;
}
