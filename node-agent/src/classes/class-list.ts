// The node agent's one list of the cluster's NetworkDeviceClasses, for every part that depends on
// them: the health taints' effects (health/class-source.ts) and the shared devices with their
// consumable-capacity probe (publish/shared-classes.ts).
//
// Contract:
// - Caller: node-agent main. start() lists at once, then again intervalMs (default 10 s) after each
//   list ends: a poll, not a watch (classes change rarely, an effect or share change only matters
//   for the next taint or publish, a missed change heals on the next list, no connection is held).
//   Time limit per request: the client's timeoutMs (main: 10 s). refresh() lists now; a call while
//   a list runs shares that list, so there is at most one list in flight.
// - Each item is decoded once (name and spec; status and metadata changes are not changes). A
//   malformed item fails the whole list.
// - A failed list (apiserver down, no RBAC, CRD not installed) keeps the last good list, is logged
//   once per distinct error (again after a list succeeded in between) and is retried on the next
//   tick; nothing is thrown to the caller.
// - Subscribers get the decoded items after the first good list and whenever a list differs from
//   the one they last took (so one added later gets the current list on the next tick). They are
//   called concurrently, and the next list waits for all of them (a subscriber's slow request, e.g.
//   the shared classes' probe, delays the next list, never another subscriber). A subscriber that
//   rejects is logged once per distinct error and called again with the same items on the next
//   tick. Until the first good list nobody is called (the consumers keep their defaults).
import { API_GROUP_VERSION } from '../../../lib/api/constants.js';
import type { NetworkDeviceClassSpec } from '../../../lib/api/network-device-class.js';
import { decodeKubeObject } from '../../../lib/kube/decode.js';
import { resourcePath, type KubeRestClient } from '../../../lib/kube/rest-client.js';
import type { Logger } from '../../../lib/util/logger.js';

/** A NetworkDeviceClass as the agent uses it. */
export interface ClassItem {
  name: string;
  spec: NetworkDeviceClassSpec;
}

export type ClassListener = (items: readonly ClassItem[]) => Promise<void>;

export interface ClassListOptions {
  client: Pick<KubeRestClient, 'listAll'>;
  logger: Logger;
  intervalMs?: number;
}

export const CLASS_LIST_INTERVAL_MS = 10_000;

/** One listed object -> ClassItem; throws with the field path on a malformed object. */
export function decodeClassItem(raw: unknown): ClassItem {
  const o = decodeKubeObject(raw);
  const spec = o['spec'];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new Error(`NetworkDeviceClass ${o.metadata.name}: spec: must be an object`);
  return { name: o.metadata.name, spec };
}

/** Equal keys: the same classes in the same order with the same specs. */
export function classListKey(items: readonly ClassItem[]): string {
  return JSON.stringify(items.map((c) => [c.name, c.spec]));
}

interface Subscriber {
  listener: ClassListener;
  /** The classListKey of the items it last took without throwing. */
  taken: string | undefined;
  lastError: string;
}

export class ClassList {
  private items: readonly ClassItem[] | undefined;
  private key = '';
  private lastError = '';
  private readonly subscribers = new Set<Subscriber>();
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly path = resourcePath(API_GROUP_VERSION, 'networkdeviceclasses');
  private readonly o: ClassListOptions;

  constructor(o: ClassListOptions) {
    this.o = o;
  }

  /** Called with the items after the next good list that differs from what it took; returns unsubscribe. */
  subscribe(listener: ClassListener): () => void {
    const s: Subscriber = { listener, taken: undefined, lastError: '' };
    this.subscribers.add(s);
    return () => {
      this.subscribers.delete(s);
    };
  }

  start(): void {
    const tick = async (): Promise<void> => {
      await this.refresh();
      if (!this.stopped) {
        this.timer = setTimeout(() => void tick(), this.o.intervalMs ?? CLASS_LIST_INTERVAL_MS);
        this.timer.unref();
      }
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One list now, then the subscribers whose items changed; shares a list already running. */
  refresh(): Promise<void> {
    this.inFlight ??= this.listAndNotify().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async listAndNotify(): Promise<void> {
    try {
      const list = await this.o.client.listAll(this.path, decodeClassItem);
      this.lastError = '';
      const key = classListKey(list.items);
      if (this.items === undefined || key !== this.key)
        this.o.logger.info('NetworkDeviceClasses listed', { classes: list.items.map((c) => c.name) });
      this.items = list.items;
      this.key = key;
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError)
        this.o.logger.warn('listing NetworkDeviceClasses failed; the last listed classes stay in use', {
          error: msg,
          listed: this.items !== undefined,
        });
      this.lastError = msg;
    }
    const items = this.items;
    if (items === undefined) return;
    const key = this.key;
    await Promise.all(
      [...this.subscribers].filter((s) => s.taken !== key).map((s) => this.deliver(s, items, key)),
    );
  }

  /** One subscriber's call; never rejects (a failure is logged and retried on the next tick). */
  private async deliver(s: Subscriber, items: readonly ClassItem[], key: string): Promise<void> {
    try {
      await s.listener(items);
      s.taken = key;
      s.lastError = '';
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== s.lastError)
        this.o.logger.error('a NetworkDeviceClass consumer failed; it gets the classes again next time', {
          error: msg,
        });
      s.lastError = msg;
    }
  }
}
