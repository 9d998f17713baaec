import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { NetworkDeviceClassSpec } from '../../../lib/api/network-device-class.js';
import { captureLogger } from '../../../test/support/capture-logger.js';
import { ClassList, classListKey, decodeClassItem, type ClassItem } from './class-list.js';

const raw = (name: string, spec: NetworkDeviceClassSpec, status: unknown = {}): unknown => ({
  apiVersion: 'knd.dev/v1alpha1',
  kind: 'NetworkDeviceClass',
  metadata: { name, resourceVersion: JSON.stringify(status) },
  spec,
  status,
});

/** A ClassList on a fake apiserver whose answer the test sets before each refresh. */
function setup() {
  const { logger, entries } = captureLogger();
  let answer: unknown[] | Error = [];
  const paths: string[] = [];
  const list = new ClassList({
    logger,
    client: {
      listAll: <T>(path: string, decode: (r: unknown) => T) => {
        paths.push(path);
        const a = answer;
        return a instanceof Error
          ? Promise.reject(a)
          : Promise.resolve({ items: a.map(decode), resourceVersion: '1' });
      },
    },
  });
  const calls: { who: string; items: readonly ClassItem[] }[] = [];
  const record = (who: string) => (items: readonly ClassItem[]) => {
    calls.push({ who, items });
    return Promise.resolve();
  };
  return {
    list,
    paths,
    calls,
    record,
    answer: (a: unknown[] | Error) => {
      answer = a;
    },
    warnings: () => entries.filter((e) => e.level === 'warn').map((e) => e['error']),
    errors: () => entries.filter((e) => e.level === 'error').map((e) => e['error']),
  };
}

describe('decodeClassItem', () => {
  it.each<[string, unknown, ClassItem | string]>([
    [
      'name and spec',
      raw('a', { taintEffect: 'None' }, { matchedDevices: 2 }),
      { name: 'a', spec: { taintEffect: 'None' } },
    ],
    ['no metadata', { spec: {} }, 'metadata: must be an object'],
    ['no name', { metadata: {}, spec: {} }, 'metadata.name: must be a non-empty string'],
    ['no spec', { metadata: { name: 'b' } }, 'NetworkDeviceClass b: spec: must be an object'],
    ['spec a list', { metadata: { name: 'c' }, spec: [] }, 'NetworkDeviceClass c: spec: must be an object'],
  ])('%s', (_name, input, want) => {
    if (typeof want === 'string') expect(() => decodeClassItem(input)).toThrow(want);
    else expect(decodeClassItem(input)).toEqual(want);
  });
});

describe('classListKey', () => {
  const a = { name: 'a', spec: { selector: { rdma: true } } };
  it.each<[string, ClassItem[], ClassItem[], boolean]>([
    ['same classes', [a], [{ name: 'a', spec: { selector: { rdma: true } } }], true],
    ['a spec field changed', [a], [{ name: 'a', spec: { selector: { rdma: false } } }], false],
    ['a class added', [a], [a, { name: 'b', spec: {} }], false],
    ['a class renamed', [a], [{ ...a, name: 'b' }], false],
    ['none before and after', [], [], true],
  ])('%s', (_name, before, after, equal) => {
    expect(classListKey(before) === classListKey(after)).toBe(equal);
  });
});

describe('ClassList', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('lists once per tick for every subscriber and calls them only when the classes change', async () => {
    const t = setup();
    t.list.subscribe(t.record('effects'));
    t.list.subscribe(t.record('shared'));
    t.answer([raw('a', { taintEffect: 'NoExecute' }), raw('b', { shared: { maxChildren: 4 } })]);
    await t.list.refresh();
    expect(t.paths).toEqual(['/apis/knd.dev/v1alpha1/networkdeviceclasses']);
    const first = [
      { name: 'a', spec: { taintEffect: 'NoExecute' } },
      { name: 'b', spec: { shared: { maxChildren: 4 } } },
    ];
    expect(t.calls).toEqual([
      { who: 'effects', items: first },
      { who: 'shared', items: first },
    ]);
    // only a class's status (and resourceVersion) moved: not a change
    t.answer([
      raw('a', { taintEffect: 'NoExecute' }, { matchedDevices: 3 }),
      raw('b', { shared: { maxChildren: 4 } }),
    ]);
    await t.list.refresh();
    expect(t.paths).toHaveLength(2);
    expect(t.calls).toHaveLength(2);
    t.answer([raw('a', { taintEffect: 'None' })]);
    await t.list.refresh();
    expect(t.paths).toHaveLength(3);
    expect(t.calls.slice(2)).toEqual([
      { who: 'effects', items: [{ name: 'a', spec: { taintEffect: 'None' } }] },
      { who: 'shared', items: [{ name: 'a', spec: { taintEffect: 'None' } }] },
    ]);
  });

  it('keeps the last good list when a list fails, and logs each distinct error once', async () => {
    const t = setup();
    t.list.subscribe(t.record('effects'));
    t.answer(new Error('connection refused'));
    await t.list.refresh();
    expect(t.calls).toEqual([]); // nothing known yet: the consumers keep their defaults
    t.answer([raw('a', {})]);
    await t.list.refresh();
    expect(t.calls).toEqual([{ who: 'effects', items: [{ name: 'a', spec: {} }] }]);
    t.answer(new Error('connection refused'));
    await t.list.refresh();
    await t.list.refresh();
    t.answer(new Error('forbidden'));
    await t.list.refresh();
    t.answer([{ metadata: { name: 'bad' } }]); // a malformed item fails the whole list
    await t.list.refresh();
    expect(t.calls).toHaveLength(1); // the failures changed nothing
    expect(t.warnings()).toEqual([
      'connection refused',
      'connection refused', // again: a good list came in between
      'forbidden',
      'NetworkDeviceClass bad: spec: must be an object',
    ]);
    t.answer([raw('a', {})]);
    await t.list.refresh();
    expect(t.calls).toHaveLength(1); // the same classes as the last good list
  });

  it('calls a failing subscriber again on the next tick without holding up the others', async () => {
    const t = setup();
    let failures = 2;
    t.list.subscribe((items) => {
      if (failures-- > 0) return Promise.reject(new Error('CEL module did not load'));
      return t.record('shared')(items);
    });
    t.list.subscribe(t.record('effects'));
    t.answer([raw('a', {})]);
    await t.list.refresh();
    await t.list.refresh();
    expect(t.calls.map((c) => c.who)).toEqual(['effects']);
    await t.list.refresh();
    await t.list.refresh();
    expect(t.calls.map((c) => c.who)).toEqual(['effects', 'shared']);
    expect(t.errors()).toEqual(['CEL module did not load']);
  });

  it('shares a list already running, and stops calling an unsubscribed listener', async () => {
    const t = setup();
    const off = t.list.subscribe(t.record('effects'));
    t.answer([raw('a', {})]);
    await Promise.all([t.list.refresh(), t.list.refresh()]);
    expect(t.paths).toHaveLength(1);
    expect(t.calls).toHaveLength(1);
    off();
    t.answer([raw('b', {})]);
    await t.list.refresh();
    expect(t.calls).toHaveLength(1);
  });

  it('start() lists at once, then every intervalMs until stop()', async () => {
    jest.useFakeTimers();
    const t = setup();
    t.list.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(t.paths).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(9_999);
    expect(t.paths).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.paths).toHaveLength(2);
    t.list.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.paths).toHaveLength(2);
  });
});
