import { describe, expect, it } from '@jest/globals';
import { objectDecoder, type KubeObject } from './decode.js';
import { Informer, dropManagedFields } from './informer.js';
import type { KubeRestClient } from './rest-client.js';

interface Widget extends KubeObject {
  apiVersion: 'example.com/v1';
  kind: 'Widget';
  spec: { size: number };
}

function informer(errors: unknown[]): Informer<Widget> {
  // upsertRawIfNewer never calls the client
  const client = {} as KubeRestClient;
  return new Informer<Widget>(client, {
    path: '/apis/example.com/v1/widgets',
    decode: objectDecoder<Widget>('example.com/v1', 'Widget'),
    onEvent: () => undefined,
    onError: (e) => errors.push(e),
  });
}

const widget = (name: string, rv: string, size: number) => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  spec: { size },
});

describe('Informer write-through (upsertRawIfNewer)', () => {
  it('caches decoded objects, newer resourceVersions only', () => {
    const errors: unknown[] = [];
    const inf = informer(errors);
    inf.upsertRawIfNewer(widget('a', '5', 1));
    inf.upsertRawIfNewer(widget('a', '4', 2));
    expect(inf.store.get('ns/a')).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      ...widget('a', '5', 1),
    });
    inf.upsertRawIfNewer(widget('a', '6', 3));
    expect(inf.store.get('ns/a')?.spec.size).toBe(3);
    expect(errors).toEqual([]);
  });

  it('reports a malformed object with the path and leaves it out of the cache', () => {
    const errors: unknown[] = [];
    const inf = informer(errors);
    inf.upsertRawIfNewer({ metadata: { name: 'b', namespace: 'ns' }, spec: 'big' });
    expect(inf.list()).toEqual([]);
    expect(errors.map((e) => (e as Error).message)).toEqual([
      '/apis/example.com/v1/widgets: Widget b: spec: must be an object',
    ]);
  });
});

describe('the informer cache keeps no managedFields', () => {
  it('drops metadata.managedFields before decoding, leaves everything else', () => {
    const inf = informer([]);
    const raw = widget('c', '1', 4);
    const withFields = {
      ...raw,
      metadata: {
        ...raw.metadata,
        labels: { a: 'b' },
        managedFields: [{ manager: 'kubectl', fieldsV1: {} }],
      },
    };
    inf.upsertRawIfNewer(withFields);
    expect(inf.store.get('ns/c')).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'c', namespace: 'ns', resourceVersion: '1', labels: { a: 'b' } },
      spec: { size: 4 },
    });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'x'],
    ['no metadata', { spec: {} }],
    ['metadata not an object', { metadata: 3 }],
  ])('leaves %s alone', (_name, raw) => {
    expect(dropManagedFields(raw)).toEqual(raw);
  });
});
