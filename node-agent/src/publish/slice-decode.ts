// An existing ResourceSlice as the apiserver returns it (wire JSON), reduced to the fields knd
// manages, so slice-diff compares like with like (server-set metadata, fields of newer API
// versions and attribute kinds knd never writes, such as `version`, are left out). Pure; throws a
// field-path error on a malformed slice.
import { decodeKubeObject } from '../../../lib/kube/decode.js';
import type { AttributeValue } from '../inventory/attributes.js';
import { TAINT_EFFECTS, type DeviceTaint, type TaintEffect } from '../../../lib/api/device-taints.js';
import { CAPACITY_BANDWIDTH, CAPACITY_CHILDREN } from '../../../lib/api/shared-device.js';
import type { DeviceCapacity } from './shared-capacity.js';
import { RESOURCE_API_VERSION, type ResourceSlice } from './slice-builder.js';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function record(v: unknown, path: string): Json {
  if (!isRecord(v)) throw new Error(`${path}: must be an object`);
  return v;
}

function attributeValue(v: unknown): AttributeValue | undefined {
  if (!isRecord(v)) return undefined;
  if (typeof v['int'] === 'number') return { int: v['int'] };
  if (typeof v['bool'] === 'boolean') return { bool: v['bool'] };
  if (typeof v['string'] === 'string') return { string: v['string'] };
  return undefined;
}

/** Taints as the apiserver returns them; unknown effects read as None (the API's rule for consumers). */
function decodeTaints(v: unknown, path: string): DeviceTaint[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`${path}: must be a list`);
  return v.map((t: unknown, i) => {
    const o = record(t, `${path}[${i}]`);
    if (typeof o['key'] !== 'string') throw new Error(`${path}[${i}].key: must be a string`);
    const effect = (TAINT_EFFECTS as readonly unknown[]).includes(o['effect'])
      ? (o['effect'] as TaintEffect)
      : 'None';
    return {
      key: o['key'],
      value: typeof o['value'] === 'string' ? o['value'] : '',
      effect,
      timeAdded: typeof o['timeAdded'] === 'string' ? o['timeAdded'] : '',
    };
  });
}

const KND_CAPACITIES = new Set([CAPACITY_BANDWIDTH, CAPACITY_CHILDREN]);

function quantityText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Consumable capacities as knd writes them (value, request policy default/validValues/validRange). */
function capacityOf(raw: Json): Record<string, DeviceCapacity> {
  const out: Record<string, DeviceCapacity> = {};
  for (const [name, c] of Object.entries(raw)) {
    if (!KND_CAPACITIES.has(name) || !isRecord(c)) continue;
    const value = quantityText(c['value']);
    if (value === undefined) continue;
    const cap: DeviceCapacity = { value };
    const p = c['requestPolicy'];
    if (isRecord(p)) {
      const policy: NonNullable<DeviceCapacity['requestPolicy']> = {};
      const def = quantityText(p['default']);
      if (def !== undefined) policy.default = def;
      if (Array.isArray(p['validValues']))
        policy.validValues = p['validValues'].map(quantityText).filter((x): x is string => x !== undefined);
      const r = p['validRange'];
      if (isRecord(r)) {
        const range: NonNullable<typeof policy.validRange> = {};
        for (const k of ['min', 'max', 'step'] as const) {
          const q = quantityText(r[k]);
          if (q !== undefined) range[k] = q;
        }
        policy.validRange = range;
      }
      cap.requestPolicy = policy;
    }
    out[name] = cap;
  }
  return out;
}

function capacityField(raw: unknown): { capacity?: Record<string, DeviceCapacity> } {
  if (!isRecord(raw)) return {};
  const capacity = capacityOf(raw);
  return Object.keys(capacity).length > 0 ? { capacity } : {};
}

export function decodeManagedSlice(raw: unknown): ResourceSlice {
  const o = decodeKubeObject(raw);
  const name = o.metadata.name;
  const at = (p: string): string => `ResourceSlice ${name}: ${p}`;
  const spec = record(o['spec'], at('spec'));
  const pool = record(spec['pool'], at('spec.pool'));
  if (typeof spec['driver'] !== 'string') throw new Error(at('spec.driver: must be a string'));
  if (typeof pool['name'] !== 'string') throw new Error(at('spec.pool.name: must be a string'));
  if (typeof pool['generation'] !== 'number') throw new Error(at('spec.pool.generation: must be a number'));
  const devices = spec['devices'] ?? [];
  if (!Array.isArray(devices)) throw new Error(at('spec.devices: must be a list'));
  const owners = (o.metadata.ownerReferences ?? []).filter((r) => r.kind === 'Node' && r.apiVersion === 'v1');
  return {
    apiVersion: RESOURCE_API_VERSION,
    kind: 'ResourceSlice',
    metadata: {
      name,
      labels: { ...(o.metadata.labels ?? {}) },
      ...(owners.length > 0
        ? {
            ownerReferences: owners.map((r) => ({
              apiVersion: 'v1' as const,
              kind: 'Node' as const,
              name: r.name ?? '',
              uid: r.uid,
              controller: true as const,
            })),
          }
        : {}),
      ...(o.metadata.resourceVersion ? { resourceVersion: o.metadata.resourceVersion } : {}),
    },
    spec: {
      driver: spec['driver'],
      nodeName: typeof spec['nodeName'] === 'string' ? spec['nodeName'] : '',
      pool: {
        name: pool['name'],
        generation: pool['generation'],
        resourceSliceCount: typeof pool['resourceSliceCount'] === 'number' ? pool['resourceSliceCount'] : 0,
      },
      devices: devices.map((d: unknown, i) => {
        const dev = record(d, at(`spec.devices[${i}]`));
        if (typeof dev['name'] !== 'string') throw new Error(at(`spec.devices[${i}].name: must be a string`));
        const attributes: Partial<Record<string, AttributeValue>> = {};
        for (const [k, v] of Object.entries(isRecord(dev['attributes']) ? dev['attributes'] : {})) {
          const a = attributeValue(v);
          if (a) attributes[k] = a;
        }
        const taints = decodeTaints(dev['taints'], at(`spec.devices[${i}].taints`));
        return {
          name: dev['name'],
          attributes,
          ...(taints.length > 0 ? { taints } : {}),
          ...(dev['allowMultipleAllocations'] === true ? { allowMultipleAllocations: true as const } : {}),
          ...capacityField(dev['capacity']),
        };
      }),
    },
  };
}
