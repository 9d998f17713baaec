// Pieces shared by the two CRD schemas: the NetworkConfig schema converted to a Kubernetes
// structural schema, and the standard conditions list. Pure.
import { networkConfigSchema, type JsonSchema } from './network-config-schema.js';

/**
 * The one NetworkConfig schema (network-config-schema.ts), converted for a CRD: structural schemas
 * forbid `additionalProperties: false` (unknown fields are pruned/rejected by the apiserver instead),
 * and `anyOf` branches may carry only value validations. x-kubernetes-validations are kept as they are.
 */
export function toStructural(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, toStructural(v)]),
    );
  }
  if (schema.items) out.items = toStructural(schema.items);
  if (schema.additionalProperties === false || schema.additionalProperties === true) {
    delete out.additionalProperties;
  } else if (schema.additionalProperties) {
    out.additionalProperties = toStructural(schema.additionalProperties);
  }
  if (schema.anyOf) {
    out.anyOf = schema.anyOf.map((b) => {
      const rest: JsonSchema = { ...b };
      delete rest.type;
      delete rest.description;
      delete rest.default;
      return rest;
    });
  }
  return out;
}

export function crdNetworkConfigSchema(): JsonSchema {
  return toStructural(networkConfigSchema);
}

/** JsonSchema plus the CRD-only list-map keys. */
export type CrdSchema = JsonSchema & { 'x-kubernetes-list-map-keys'?: string[] };

export const conditionsSchema: CrdSchema = {
  type: 'array',
  description: 'Ready: the generated object matches the spec. Reasons: see docs/operator.md.',
  maxItems: 8,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
    properties: {
      type: { type: 'string', maxLength: 316 },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      reason: { type: 'string', maxLength: 1024 },
      message: { type: 'string', maxLength: 32768 },
      observedGeneration: { type: 'integer', minimum: 0 },
      lastTransitionTime: { type: 'string', format: 'date-time' },
    },
  },
};
