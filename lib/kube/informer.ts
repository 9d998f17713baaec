// An informer: list, then watch from the list's resourceVersion, keeping a local cache of typed
// objects and calling handlers on every change. Every object (list item or watch event) goes
// through the caller's `decode` (lib/kube/decode.ts); one that does not decode is reported via
// onError and left out of the cache.
//
// Contract: start() resolves once the first list is cached (hasSynced). Watch ends (server timeout,
// network error) re-watch from the last seen resourceVersion after a jittered backoff; "410 Gone"
// (resourceVersion too old) relists and emits the difference as add/update/delete, so handlers see
// every change at least once (deletes missed during an outage arrive as deletes after the relist).
// Handlers must not throw (they are wrapped; a throw is logged via onError). stop() aborts the watch.
// The cache keeps objects without metadata.managedFields (dropManagedFields).
// (Named Informer, not ListWatch, so it is not confused with client-node's class of that name.)
import { Backoff, sleep, type BackoffOptions } from '../util/backoff.js';
import type { Decode, KubeObject } from './decode.js';
import { isGone } from './errors.js';
import type { KubeRestClient } from './rest-client.js';

export type InformerEventType = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubeObject> {
  /** Collection path, e.g. /apis/knd.dev/v1alpha1/networkprofiles (all namespaces). */
  path: string;
  decode: Decode<T>;
  labelSelector?: string;
  onEvent: (type: InformerEventType, obj: T, old: T | undefined) => void;
  onError?: (err: unknown) => void;
  /** Re-list/re-watch backoff; default 200 ms .. 10 s. */
  backoff?: BackoffOptions;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 200, maxMs: 10_000 };

export const objectKey = (o: KubeObject): string =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;

/** resourceVersion of a raw watch object, if it has one (bookmarks carry nothing else). */
function rawResourceVersion(raw: unknown): string | undefined {
  const m = (raw as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return typeof m?.resourceVersion === 'string' ? m.resourceVersion : undefined;
}

/**
 * The object without metadata.managedFields (server-side apply bookkeeping: one entry per field
 * manager listing every field it set, often larger than the object itself). knd never reads it, and
 * every cached object would otherwise keep it for the life of the process (docs/operator.md,
 * "Memory"). Mutates and returns `raw`, which is freshly parsed JSON nobody else holds.
 */
export function dropManagedFields(raw: unknown): unknown {
  const m = (raw as { metadata?: unknown } | null)?.metadata;
  if (typeof m === 'object' && m !== null && 'managedFields' in m)
    delete (m as { managedFields?: unknown }).managedFields;
  return raw;
}

export class Informer<T extends KubeObject> {
  readonly store = new Map<string, T>();
  private resourceVersion = '';
  private synced = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private watchCtl: AbortController | undefined;
  private readonly client: KubeRestClient;
  private readonly opts: InformerOptions<T>;

  constructor(client: KubeRestClient, opts: InformerOptions<T>) {
    this.client = client;
    this.opts = opts;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /**
   * Put an object returned by one of our own writes into the cache when it is newer than the cached
   * copy (resourceVersions compared as integers, which etcd-backed apiservers use). The watch event
   * for it arrives later as a no-change update.
   */
  upsertIfNewer(o: T): void {
    const k = objectKey(o);
    const cur = this.store.get(k);
    const n = (rv: string | undefined): bigint => (rv && /^\d+$/.test(rv) ? BigInt(rv) : -1n);
    if (!cur || n(o.metadata.resourceVersion) > n(cur.metadata.resourceVersion)) this.store.set(k, o);
  }

  /** upsertIfNewer() of an object as the apiserver returned it (decoded first; reported if malformed). */
  upsertRawIfNewer(raw: unknown): void {
    const o = this.decode(raw);
    if (o) this.upsertIfNewer(o);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  private emit(type: InformerEventType, obj: T, old: T | undefined): void {
    try {
      this.opts.onEvent(type, obj, old);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  /** decode, or report and skip; metadata.managedFields is dropped first (see dropManagedFields) */
  private decode(raw: unknown): T | undefined {
    try {
      return this.opts.decode(dropManagedFields(raw));
    } catch (err) {
      this.opts.onError?.(new Error(`${this.opts.path}: ${(err as Error).message}`, { cause: err }));
      return undefined;
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.listAll(
      this.opts.path,
      (raw) => this.decode(raw),
      this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {},
    );
    const seen = new Set<string>();
    for (const o of items) {
      if (!o) continue;
      const k = objectKey(o);
      seen.add(k);
      const old = this.store.get(k);
      this.store.set(k, o);
      if (!old) this.emit('add', o, undefined);
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit('update', o, old);
    }
    for (const [k, o] of [...this.store]) {
      if (!seen.has(k)) {
        this.store.delete(k);
        this.emit('delete', o, o);
      }
    }
    this.resourceVersion = resourceVersion;
  }

  /** Runs until stop(); resolves when the first list is in the cache. */
  async start(): Promise<void> {
    const backoff = new Backoff(this.opts.backoff ?? DEFAULT_BACKOFF);
    for (;;) {
      if (this.stopped) return;
      try {
        await this.relist();
        break;
      } catch (err) {
        this.opts.onError?.(err);
        await sleep(backoff.next(), this.abort.signal);
      }
    }
    this.synced = true;
    void this.watchLoop();
  }

  private async watchLoop(): Promise<void> {
    const backoff = new Backoff(this.opts.backoff ?? DEFAULT_BACKOFF);
    while (!this.stopped) {
      const result = await this.watchOnce();
      if (this.stopped) return;
      if (result === 'gone' || result === 'error') {
        if (result === 'error') await sleep(backoff.next(), this.abort.signal);
        try {
          await this.relist();
          backoff.reset();
        } catch (err) {
          this.opts.onError?.(err);
          await sleep(backoff.next(), this.abort.signal);
        }
      } else {
        backoff.reset();
      }
    }
  }

  private onWatchEvent(type: string, raw: unknown): 'gone' | undefined {
    if (type === 'ERROR') {
      // raw is a metav1.Status
      if (isGone(raw)) return 'gone';
      this.opts.onError?.(new Error(`watch ${this.opts.path}: ${JSON.stringify(raw)}`));
      return undefined;
    }
    const rv = rawResourceVersion(raw);
    if (rv) this.resourceVersion = rv;
    if (type === 'BOOKMARK') return undefined;
    const obj = this.decode(raw);
    if (!obj) return undefined;
    const k = objectKey(obj);
    const old = this.store.get(k);
    if (type === 'DELETED') {
      this.store.delete(k);
      this.emit('delete', obj, old);
    } else {
      this.store.set(k, obj);
      this.emit(old ? 'update' : 'add', obj, old);
    }
    return undefined;
  }

  /** One watch connection; resolves how it ended. */
  private async watchOnce(): Promise<'closed' | 'gone' | 'error'> {
    let gone = false;
    const timeoutSeconds = 240 + Math.floor(Math.random() * 120);
    const q = new URLSearchParams({
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
    });
    if (this.opts.labelSelector) q.set('labelSelector', this.opts.labelSelector);
    const ctl = new AbortController();
    this.watchCtl = ctl;
    if (this.stopped) ctl.abort();
    try {
      await this.client.watch(
        `${this.opts.path}?${q.toString()}`,
        (type, raw) => {
          if (this.onWatchEvent(type, raw) === 'gone') gone = true;
        },
        // the server ends the stream after timeoutSeconds; silence well past that is a dead connection
        { signal: ctl.signal, idleTimeoutMs: (timeoutSeconds + 60) * 1000 },
      );
      return gone ? 'gone' : 'closed';
    } catch (err) {
      if (isGone(err)) return 'gone';
      if (!this.stopped) this.opts.onError?.(err);
      return 'error';
    } finally {
      this.watchCtl = undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.watchCtl?.abort();
  }
}
