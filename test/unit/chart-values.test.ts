// charts/knd/values.schema.json covers every value: each key of values.yaml (at any depth, down to
// free-form maps and lists) has a schema entry with a description, the defaults validate, and every
// object schema rejects unknown keys. Helm enforces the schema at install; this keeps it complete.
import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { Ajv } from 'ajv';

const chart = join(import.meta.dirname, '..', '..', 'charts', 'knd');
const values = load(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as Schema;

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
}

/** [path, schema | undefined] for every key of `v`, descending while the schema lists properties. */
function entries(v: unknown, s: Schema | undefined, path: string): [string, Schema | undefined][] {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !s?.properties) return [];
  return Object.entries(v).flatMap(([k, child]) => {
    const cs = s.properties?.[k];
    const p = path ? `${path}.${k}` : k;
    return [[p, cs] as [string, Schema | undefined], ...entries(child, cs, p)];
  });
}

function objectSchemas(s: Schema, path: string): [string, Schema][] {
  if (!s.properties) return [];
  return [
    [path || '(root)', s],
    ...Object.entries(s.properties).flatMap(([k, c]) => objectSchemas(c, path ? `${path}.${k}` : k)),
  ];
}

const all = entries(values, schema, '');

describe('charts/knd/values.schema.json', () => {
  it('sees the whole values tree', () => {
    expect(all.length).toBeGreaterThan(60);
  });

  it.each(all.map(([p, s]) => [p, s] as const))('%s has a schema entry with a description', (_p, s) => {
    expect(s).toBeDefined();
    expect(s?.description ?? '').not.toBe('');
  });

  it.each(objectSchemas(schema, ''))('%s rejects unknown keys', (_p, s) => {
    expect(s.additionalProperties).toBe(false);
  });

  it('accepts the default values and rejects a wrong type', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(values)).toBe(true);
    const bad = structuredClone(values) as { operator: { replicas: unknown } };
    bad.operator.replicas = 'two';
    expect(validate(bad)).toBe(false);
  });
});
