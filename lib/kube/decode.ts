// Typed decoding of objects read from the apiserver (lists, watch events, GETs). Pure.
//
// The apiserver validates its objects, so decoding checks the envelope knd relies on (metadata)
// and the outline of the kind (spec is an object), not every field: field validation of knd's own
// kinds is the reconcile decision's job (lib/api validators -> Ready=False with field paths).
// A malformed object throws an Error naming the field path.

import type { ObjectMetaLite } from '../api/network-device-class.js';

/** The metadata every stored object has, typed as knd reads it. */
export interface ObjectMeta extends ObjectMetaLite {
  ownerReferences?: { apiVersion?: string; kind: string; name?: string; uid: string; controller?: boolean }[];
}

export interface KubeObject {
  metadata: ObjectMeta;
}

/** raw -> T, throwing on a malformed object. */
export type Decode<T> = (raw: unknown) => T;

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function optional(o: Json, key: string, type: 'string' | 'number' | 'boolean', path: string): void {
  const v = o[key];
  if (v !== undefined && typeof v !== type) throw new Error(`${path}.${key}: must be a ${type}`);
}

function stringMap(o: Json, key: string, path: string): void {
  const v = o[key];
  if (v === undefined) return;
  if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string'))
    throw new Error(`${path}.${key}: must be a map of strings`);
}

/** The object with its metadata checked; other fields untouched. */
export function decodeKubeObject(raw: unknown): KubeObject & Json {
  if (!isRecord(raw)) throw new Error('object: must be a JSON object');
  const m = raw['metadata'];
  if (!isRecord(m)) throw new Error('metadata: must be an object');
  if (typeof m['name'] !== 'string' || m['name'] === '')
    throw new Error('metadata.name: must be a non-empty string');
  for (const k of ['namespace', 'uid', 'resourceVersion', 'deletionTimestamp'])
    optional(m, k, 'string', 'metadata');
  optional(m, 'generation', 'number', 'metadata');
  stringMap(m, 'labels', 'metadata');
  stringMap(m, 'annotations', 'metadata');
  const refs = m['ownerReferences'];
  if (refs !== undefined) {
    if (!Array.isArray(refs)) throw new Error('metadata.ownerReferences: must be a list');
    refs.forEach((r: unknown, i) => {
      const p = `metadata.ownerReferences[${i}]`;
      if (!isRecord(r) || typeof r['kind'] !== 'string' || typeof r['uid'] !== 'string')
        throw new Error(`${p}: must have string kind and uid`);
      optional(r, 'controller', 'boolean', p);
    });
  }
  return raw as KubeObject & Json;
}

/**
 * Decoder for a kind whose `spec` must be an object (when `specRequired`) or absent. Sets apiVersion
 * and kind, which list items of built-in types do not carry.
 */
export function objectDecoder<T extends KubeObject & { apiVersion: string; kind: string }>(
  apiVersion: T['apiVersion'],
  kind: T['kind'],
  specRequired = true,
): Decode<T> {
  return (raw) => {
    const o = decodeKubeObject(raw);
    const spec = o['spec'];
    if (specRequired ? !isRecord(spec) : spec !== undefined && !isRecord(spec))
      throw new Error(`${kind} ${o.metadata.name}: spec: must be an object`);
    if (o['apiVersion'] !== undefined && o['apiVersion'] !== apiVersion)
      throw new Error(`${kind} ${o.metadata.name}: apiVersion: must be ${apiVersion}`);
    if (o['kind'] !== undefined && o['kind'] !== kind)
      throw new Error(`${kind} ${o.metadata.name}: kind: must be ${kind}`);
    return { ...o, apiVersion, kind } as T;
  };
}
