// Validation of NetworkDeviceClass / NetworkProfile documents beyond what admission guarantees:
// the full schema (for `knd render`, which has no apiserver), the strict NetworkConfig validator
// (unknown fields, CIDRs, cross-field rules) and CEL syntax. Pure; never throws. Problems carry
// field paths such as `spec.cel[1]` or `spec.config.routes[0].gateway`.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../../../lib/api/network-config-schema.js';
import { compileSelector } from '../../../lib/cel/device-model.js';
import { networkDeviceClassSpecSchema } from '../../../lib/api/network-device-class.js';
import { networkProfileSpecSchema } from '../../../lib/api/network-profile.js';
import {
  pointerToPath,
  strictSchema,
  validateNetworkConfig,
  type FieldProblem,
} from '../../../lib/api/validate-network-config.js';

export type { FieldProblem };

/** The spec schema with `config` left to the NetworkConfig validator. */
function withoutConfig(spec: JsonSchema): JsonSchema {
  return { ...spec, properties: { ...spec.properties, config: { type: 'object' } } };
}

function compile(spec: JsonSchema): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword({ keyword: 'x-kubernetes-list-type' });
  ajv.addKeyword({ keyword: 'x-kubernetes-validations' });
  const schema = strictSchema(withoutConfig(spec));
  // config stays an open object here
  if (schema.properties?.['config']) schema.properties['config'] = { type: 'object' };
  return ajv.compile(schema);
}

let ndcValidator: ValidateFunction | undefined;
let profileValidator: ValidateFunction | undefined;

function describe(e: ErrorObject, base: string): FieldProblem {
  const at = pointerToPath(e.instancePath);
  const path = [base, at]
    .filter((s) => s !== '')
    .join('.')
    .replace(/\.\[/g, '[');
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: `${path}.${String(p['additionalProperty'])}`, message: 'unknown field' };
    case 'required':
      return { path: `${path}.${String(p['missingProperty'])}`, message: 'required field is missing' };
    case 'pattern': {
      const pat = String(p['pattern']);
      const known: [string, string][] = [
        ['^0x[0-9a-f]{4}$', 'must be a PCI vendor ID in lower-case hex, such as "0x15b3"'],
        [
          '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
          'must be a DNS subdomain (lower case letters, digits, "-", ".")',
        ],
        ['^[A-Za-z0-9_.:@*?-]+$', 'must be a glob of letters, digits, "_.:@-" and the wildcards "*" and "?"'],
      ];
      const hit = known.find(([k]) => k === pat);
      return {
        path,
        message: hit
          ? hit[1]
          : pat.endsWith('[A-Za-z_][A-Za-z0-9_]*$')
            ? 'must be a fully qualified attribute name such as resource.kubernetes.io/pcieRoot'
            : `must match ${pat}`,
      };
    }
    case 'enum':
      return {
        path,
        message: `must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/** CEL syntax check with knd's selector model (Kubernetes type-checks again when the object is applied). */
export function celProblems(exprs: readonly string[] | undefined, path: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  (exprs ?? []).forEach((x, i) => {
    const c = compileSelector(x);
    if (!c.ok) out.push({ path: `${path}[${i}]`, message: c.error.message });
  });
  return out;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function metaProblems(doc: Record<string, unknown>, namespaced: boolean): FieldProblem[] {
  const meta = doc['metadata'] as Record<string, unknown> | undefined;
  const name = meta?.['name'];
  const out: FieldProblem[] = [];
  if (typeof name !== 'string' || name === '') {
    out.push({ path: 'metadata.name', message: 'required field is missing' });
  } else if (name.length > 253 || !NAME_RE.test(name)) {
    out.push({ path: 'metadata.name', message: 'must be a DNS subdomain (lower case, digits, "-", ".")' });
  }
  const ns = meta?.['namespace'];
  if (
    namespaced &&
    ns !== undefined &&
    (typeof ns !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))
  ) {
    out.push({ path: 'metadata.namespace', message: 'must be a DNS label' });
  }
  return out;
}

function specProblems(doc: Record<string, unknown>, v: ValidateFunction): FieldProblem[] {
  const spec = doc['spec'];
  if (spec === undefined) return [{ path: 'spec', message: 'required field is missing' }];
  const out: FieldProblem[] = v(spec) ? [] : (v.errors ?? []).map((e) => describe(e, 'spec'));
  if (spec === null || typeof spec !== 'object') return out;
  const config = (spec as Record<string, unknown>)['config'];
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    const r = validateNetworkConfig(config);
    if (!r.ok) {
      out.push(
        ...r.problems.map((p) => ({
          path: p.path ? `spec.config.${p.path}` : 'spec.config',
          message: p.message,
        })),
      );
    }
  }
  return out;
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;

/** `doc` as read (YAML document or informer object); every field is checked, none trusted. */
export function validateNetworkDeviceClass(input: object): FieldProblem[] {
  const doc = input as Record<string, unknown>;
  ndcValidator ??= compile(networkDeviceClassSpecSchema);
  const spec = (doc['spec'] ?? {}) as Record<string, unknown>;
  return [
    ...metaProblems(doc, false),
    ...specProblems(doc, ndcValidator),
    ...celProblems(strings(spec['cel']), 'spec.cel'),
  ];
}

/** `doc` as read (YAML document or informer object); every field is checked, none trusted. */
export function validateNetworkProfile(input: object): FieldProblem[] {
  const doc = input as Record<string, unknown>;
  profileValidator ??= compile(networkProfileSpecSchema);
  const spec = (doc['spec'] ?? {}) as Record<string, unknown>;
  const out = [...metaProblems(doc, true), ...specProblems(doc, profileValidator)];
  if (spec['count'] !== undefined && spec['allocationMode'] === 'All') {
    out.push({ path: 'spec.count', message: 'count cannot be combined with allocationMode All' });
  }
  return [...out, ...celProblems(strings(spec['selectors']), 'spec.selectors')];
}
