// Validates a NetworkConfig against the one schema (network-config-schema.ts). Used by the agent at
// NodePrepareResources, by the operator for profiles and classes, and by `knd validate-config`.
// Pure: no I/O. Never throws on any JSON input; returns every problem with its field path in the
// form users read in pod events: `routes[0].destination: must be a CIDR such as 10.0.0.0/24`.
// Two stages: the schema (with its CEL rules, the same the apiserver evaluates), then, when the shape
// is right, the address-arithmetic rules of network-config-semantics.ts that CEL cannot express.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isCelError, parse, plan, celEnv } from '@bufbuild/cel';
import { networkConfigSchema, type CelRule, type JsonSchema } from './network-config-schema.js';
import type { NetworkConfig } from './network-config.js';
import { isCidr } from './ip.js';
import { semanticProblems } from './network-config-semantics.js';

const addFormats = addFormatsModule.default;

export interface FieldProblem {
  /** Field path such as `routes[0].destination`; empty for the document itself. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; value: NetworkConfig } | { ok: false; problems: FieldProblem[] };

/** Deep copy of the schema with `additionalProperties: false` on every object without a map schema. */
export function strictSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, strictSchema(v)]),
    );
    if (schema.additionalProperties === undefined) out.additionalProperties = false;
  }
  if (schema.items) out.items = strictSchema(schema.items);
  if (schema.anyOf) out.anyOf = schema.anyOf.map(strictSchema);
  if (typeof schema.additionalProperties === 'object')
    out.additionalProperties = strictSchema(schema.additionalProperties);
  return out;
}

type CelProgram = (input: Record<string, unknown>) => unknown;
const celCache = new Map<string, CelProgram>();
function compileCel(rule: string): CelProgram {
  let p = celCache.get(rule);
  if (!p) {
    p = plan(celEnv(), parse(rule)) as CelProgram;
    celCache.set(rule, p);
  }
  return p;
}

/** JSON -> CEL values: integral numbers become int (bigint), objects become maps. */
export function toCelValue(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toCelValue);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCelValue(x)]));
  }
  return v;
}

function buildValidator(schema: JsonSchema): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: false });
  addFormats(ajv, ['ipv4', 'ipv6']);
  ajv.addFormat('cidr', { type: 'string', validate: isCidr });
  ajv.addKeyword({ keyword: 'x-kubernetes-list-type' });
  ajv.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields' });
  ajv.addKeyword({
    keyword: 'x-kubernetes-validations',
    errors: true,
    validate: function celRules(
      this: unknown,
      rules: CelRule[],
      data: unknown,
      _parent?: unknown,
      ctx?: { instancePath: string },
    ): boolean {
      const errors: Partial<ErrorObject>[] = [];
      for (const r of rules) {
        const result = compileCel(r.rule)({ self: toCelValue(data) });
        if (result !== true) {
          const extra = isCelError(result) ? ` (rule error: ${result.message})` : '';
          const sub = r.fieldPath ? r.fieldPath.replace(/^\./, '/').replace(/\./g, '/') : '';
          errors.push({
            keyword: 'x-kubernetes-validations',
            instancePath: (ctx?.instancePath ?? '') + sub,
            message: r.message + extra,
            params: { rule: r.rule },
          });
        }
      }
      (celRules as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
      return errors.length === 0;
    },
  });
  return ajv.compile(strictSchema(schema));
}

/** `/routes/0/destination` -> `routes[0].destination` */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function describe(e: ErrorObject): FieldProblem {
  const base = pointerToPath(e.instancePath);
  const join = (child: string): string => (base ? `${base}.${child}` : child);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: join(String(p['additionalProperty'])), message: 'unknown field' };
    case 'required':
      return { path: join(String(p['missingProperty'])), message: 'required field is missing' };
    case 'format': {
      const examples: Record<string, string> = {
        cidr: 'a CIDR such as 10.0.0.0/24 or 2001:db8::/64',
        ipv4: 'an IPv4 address',
        ipv6: 'an IPv6 address',
      };
      return { path: base, message: `must be ${examples[String(p['format'])] ?? String(p['format'])}` };
    }
    case 'anyOf':
      return { path: base, message: 'must be an IPv4 or IPv6 address' };
    case 'pattern':
      return {
        path: base,
        message: String(p['pattern']).includes('[0-9A-Fa-f]{2}')
          ? 'must be a MAC address such as 02:00:00:00:00:01'
          : `must match ${String(p['pattern'])}`,
      };
    case 'enum':
      return {
        path: base,
        message: `must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { path: base, message: e.message ?? e.keyword };
  }
}

/**
 * A validator of untrusted JSON against `schema` (strict: unknown fields are errors; CEL rules
 * evaluated), compiled on first use. Never throws; returns every problem with its field path. Used
 * for the NetworkConfig here and for IPPool specs (validate-ip-pool.ts).
 */
export function schemaValidator(schema: JsonSchema): (input: unknown) => FieldProblem[] {
  let validator: ValidateFunction | undefined;
  return (input) => {
    validator ??= buildValidator(schema);
    try {
      if (validator(input)) return [];
    } catch (err) {
      return [{ path: '', message: `cannot validate: ${(err as Error).message}` }];
    }
    const problems: FieldProblem[] = [];
    const seen = new Set<string>();
    for (const e of validator.errors ?? []) {
      // anyOf reports each failed branch too; keep the anyOf summary only
      if (e.keyword === 'format' && /\/anyOf\/\d+\/format$/.test(e.schemaPath)) continue;
      const d = describe(e);
      const key = `${d.path}\u0000${d.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(d);
      }
    }
    return problems;
  };
}

const networkConfigProblems = schemaValidator(networkConfigSchema);

/** Validate untrusted JSON as a NetworkConfig. Never throws. */
export function validateNetworkConfig(input: unknown): ValidationResult {
  const problems = networkConfigProblems(input);
  if (problems.length > 0) return { ok: false, problems };
  const value = input as NetworkConfig;
  const semantic = semanticProblems(value);
  return semantic.length === 0 ? { ok: true, value } : { ok: false, problems: semantic };
}

/** One line per problem, as the CLI and pod events print them. */
export function formatProblems(problems: readonly FieldProblem[], prefix = ''): string[] {
  return problems.map((p) => {
    const path = [prefix, p.path].filter((s) => s !== '').join('.');
    return path ? `${path}: ${p.message}` : p.message;
  });
}
