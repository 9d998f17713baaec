// An in-memory apiserver for the IPAM unit tests (allocator, agent prepare, operator GC): IPPools
// and IPAllocations with the semantics the allocator relies on: create of an existing name is a 409,
// delete honours a uid precondition, lists filter by `key=value` label selectors. Failures can be
// injected per verb. Not used by production code.
import { KubeApiError, type ListResult, type ListSelectors } from '../kube/rest-client.js';
import type { IpamApi } from './ip-allocator.js';

interface Stored {
  metadata: { name: string; uid?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

export class FakeIpamApi implements IpamApi {
  readonly objects = new Map<string, Stored>();
  readonly calls: { verb: string; path: string }[] = [];
  /** Thrown (once each) by the next calls of that verb. */
  readonly failNext: Partial<Record<'get' | 'create' | 'delete' | 'list', Error[]>> = {};
  /** Called before a create is stored (tests race other writers in here). */
  beforeCreate: ((path: string, name: string) => void) | undefined;
  private uidSeq = 0;

  private fail(verb: 'get' | 'create' | 'delete' | 'list'): void {
    const e = this.failNext[verb]?.shift();
    if (e) throw e;
  }

  /** Store an object at the collection path `path` as a create would, without the checks. */
  put(path: string, obj: Stored): void {
    this.objects.set(`${path}/${obj.metadata.name}`, {
      ...obj,
      metadata: { ...obj.metadata, uid: `uid-${String(++this.uidSeq)}` },
    });
  }

  get<T>(path: string): Promise<T> {
    this.calls.push({ verb: 'get', path });
    this.fail('get');
    const o = this.objects.get(path);
    if (!o) return Promise.reject(new KubeApiError(404, 'NotFound', `GET ${path}: 404 not found`));
    return Promise.resolve(structuredClone(o) as T);
  }

  create<T>(path: string, body: unknown): Promise<T> {
    this.calls.push({ verb: 'create', path });
    this.fail('create');
    const o = structuredClone(body) as Stored;
    this.beforeCreate?.(path, o.metadata.name);
    const key = `${path}/${o.metadata.name}`;
    if (this.objects.has(key)) {
      return Promise.reject(new KubeApiError(409, 'AlreadyExists', `POST ${path}: 409 already exists`));
    }
    o.metadata.uid = `uid-${String(++this.uidSeq)}`;
    this.objects.set(key, o);
    return Promise.resolve(structuredClone(o) as T);
  }

  delete(path: string, options?: Record<string, unknown>): Promise<unknown> {
    this.calls.push({ verb: 'delete', path });
    this.fail('delete');
    const o = this.objects.get(path);
    if (!o) return Promise.reject(new KubeApiError(404, 'NotFound', `DELETE ${path}: 404 not found`));
    const want = (options?.['preconditions'] as { uid?: string } | undefined)?.uid;
    if (want !== undefined && want !== o.metadata.uid) {
      return Promise.reject(new KubeApiError(409, 'Conflict', `DELETE ${path}: 409 precondition failed`));
    }
    this.objects.delete(path);
    return Promise.resolve({});
  }

  listAll<T>(path: string, decode: (raw: unknown) => T, sel: ListSelectors = {}): Promise<ListResult<T>> {
    this.calls.push({ verb: 'list', path });
    this.fail('list');
    const want = (sel.labelSelector ?? '')
      .split(',')
      .filter((s) => s !== '')
      .map((s) => s.split('=') as [string, string]);
    const items = [...this.objects.entries()]
      .filter(([k]) => k.startsWith(`${path}/`) && !k.slice(path.length + 1).includes('/'))
      .map(([, o]) => o)
      .filter((o) => want.every(([k, v]) => o.metadata.labels?.[k] === v))
      .map((o) => decode(structuredClone(o)));
    return Promise.resolve({ items, resourceVersion: String(this.uidSeq) });
  }

  /** Objects under the collection `path`. */
  list(path: string): Stored[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${path}/`)).map(([, o]) => o);
  }
}
