import { describe, expect, it } from '@jest/globals';
import { decodeKubeObject, objectDecoder, type KubeObject } from './decode.js';

interface Widget extends KubeObject {
  apiVersion: 'example.com/v1';
  kind: 'Widget';
  spec: { size?: number };
}

const decodeWidget = objectDecoder<Widget>('example.com/v1', 'Widget');

describe('decodeKubeObject', () => {
  it.each<[string, unknown, string]>([
    ['not an object', 'x', 'object: must be a JSON object'],
    ['a list', [], 'object: must be a JSON object'],
    ['no metadata', {}, 'metadata: must be an object'],
    ['no name', { metadata: {} }, 'metadata.name: must be a non-empty string'],
    ['empty name', { metadata: { name: '' } }, 'metadata.name: must be a non-empty string'],
    [
      'numeric resourceVersion',
      { metadata: { name: 'a', resourceVersion: 5 } },
      'metadata.resourceVersion: must be a string',
    ],
    [
      'string generation',
      { metadata: { name: 'a', generation: '1' } },
      'metadata.generation: must be a number',
    ],
    [
      'label not a string',
      { metadata: { name: 'a', labels: { x: 1 } } },
      'metadata.labels: must be a map of strings',
    ],
    [
      'ownerReferences not a list',
      { metadata: { name: 'a', ownerReferences: {} } },
      'metadata.ownerReferences: must be a list',
    ],
    [
      'ownerReference without uid',
      { metadata: { name: 'a', ownerReferences: [{ kind: 'Node' }] } },
      'metadata.ownerReferences[0]: must have string kind and uid',
    ],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => decodeKubeObject(raw)).toThrow(message);
  });

  it('keeps every field of a well-formed object', () => {
    const raw = {
      metadata: {
        name: 'a',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        generation: 2,
        labels: { k: 'v' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'nu', controller: true }],
      },
      spec: { x: 1 },
      extra: true,
    };
    expect(decodeKubeObject(raw)).toBe(raw);
  });
});

describe('objectDecoder', () => {
  it.each<[string, unknown, Widget | string]>([
    [
      'list item without apiVersion/kind gets them',
      { metadata: { name: 'w' }, spec: { size: 1 } },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } },
    ],
    [
      'watch object with its own apiVersion/kind',
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} },
    ],
    ['missing spec', { metadata: { name: 'w' } }, 'Widget w: spec: must be an object'],
    ['spec a string', { metadata: { name: 'w' }, spec: 'big' }, 'Widget w: spec: must be an object'],
    [
      'another apiVersion',
      { apiVersion: 'example.com/v2', metadata: { name: 'w' }, spec: {} },
      'Widget w: apiVersion: must be example.com/v1',
    ],
    ['another kind', { kind: 'Gadget', metadata: { name: 'w' }, spec: {} }, 'Widget w: kind: must be Widget'],
  ])('%s', (_name, raw, want) => {
    if (typeof want === 'string') expect(() => decodeWidget(raw)).toThrow(want);
    else expect(decodeWidget(raw)).toEqual(want);
  });

  it('spec optional when not required', () => {
    const d = objectDecoder<KubeObject & { apiVersion: 'v1'; kind: 'Thing' }>('v1', 'Thing', false);
    expect(d({ metadata: { name: 't' } })).toEqual({
      apiVersion: 'v1',
      kind: 'Thing',
      metadata: { name: 't' },
    });
    expect(() => d({ metadata: { name: 't' }, spec: 3 })).toThrow('Thing t: spec: must be an object');
  });
});
