// Conversion between knd's ResourceSlice JSON (slice-builder.ts; `int` attributes as on the wire)
// and @kubernetes/client-node 1.4 models, whose V1DeviceAttribute names the int field `_int` (its
// serializer maps `_int` <-> `int`). Passing wire-shaped objects straight to the typed client would
// silently drop every int attribute. Pure.

import type { V1ResourceSlice } from '@kubernetes/client-node';
import type { AttributeValue, Attributes } from '../inventory/attributes.js';
import { RESOURCE_API_VERSION, type ResourceSlice } from './slice-builder.js';

/** A client-node model attribute (`_int`) or a wire one (`int`, what KubeRestClient returns). */
type ModelAttribute = { bool?: boolean; _int?: number; int?: number; string?: string };

function toModelAttr(v: AttributeValue): ModelAttribute {
  if ('int' in v) return { _int: v.int };
  return v;
}

function fromModelAttr(v: ModelAttribute): AttributeValue | undefined {
  const int = v._int ?? v.int;
  if (typeof int === 'number') return { int };
  if (typeof v.bool === 'boolean') return { bool: v.bool };
  if (typeof v.string === 'string') return { string: v.string };
  return undefined;
}

export function toModel(s: ResourceSlice): V1ResourceSlice {
  return {
    apiVersion: s.apiVersion,
    kind: s.kind,
    metadata: { ...s.metadata },
    spec: {
      ...s.spec,
      pool: { ...s.spec.pool },
      devices: s.spec.devices.map((d) => ({
        name: d.name,
        attributes: Object.fromEntries(
          Object.entries<AttributeValue>(d.attributes).map(([k, v]) => [k, toModelAttr(v)]),
        ),
      })),
    },
  };
}

/**
 * Existing slice from the apiserver (a client-node model, or the wire JSON, whose int attributes
 * are named `int`), reduced to the fields knd manages.
 */
export function fromModel(m: V1ResourceSlice): ResourceSlice {
  const owners = (m.metadata?.ownerReferences ?? []).filter(
    (o) => o.kind === 'Node' && o.apiVersion === 'v1',
  );
  return {
    apiVersion: RESOURCE_API_VERSION,
    kind: 'ResourceSlice',
    metadata: {
      name: m.metadata?.name ?? '',
      labels: { ...(m.metadata?.labels ?? {}) },
      ...(owners.length > 0
        ? {
            ownerReferences: owners.map((o) => ({
              apiVersion: 'v1' as const,
              kind: 'Node' as const,
              name: o.name,
              uid: o.uid,
              controller: true as const,
            })),
          }
        : {}),
      ...(m.metadata?.resourceVersion ? { resourceVersion: m.metadata.resourceVersion } : {}),
    },
    spec: {
      driver: m.spec.driver,
      nodeName: m.spec.nodeName ?? '',
      pool: {
        name: m.spec.pool.name,
        generation: m.spec.pool.generation,
        resourceSliceCount: m.spec.pool.resourceSliceCount ?? 0,
      },
      devices: (m.spec.devices ?? []).map((d) => {
        const attributes: Attributes = {};
        for (const [k, v] of Object.entries(d.attributes ?? {})) {
          const a = fromModelAttr(v);
          if (a) (attributes as Record<string, AttributeValue>)[k] = a;
        }
        return { name: d.name, attributes };
      }),
    },
  };
}
