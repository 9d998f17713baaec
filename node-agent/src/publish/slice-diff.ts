// What to send to make the apiserver's slices of one pool equal to the desired ones. Pure.
// Order: creates and updates first, deletes last, so the pool never looks empty mid-update.
// A slice whose immutable fields (driver, nodeName, pool name) differ is deleted and recreated.
import { canonicalJson, type ResourceSlice } from './slice-builder.js';

export type SliceAction =
  | { op: 'create'; slice: ResourceSlice }
  | { op: 'replace'; slice: ResourceSlice; resourceVersion: string }
  | { op: 'delete'; name: string };

function comparable(s: ResourceSlice): string {
  return canonicalJson({ labels: s.metadata.labels, owners: s.metadata.ownerReferences ?? [], spec: s.spec });
}

export function diffSlices(
  desired: readonly ResourceSlice[],
  existing: readonly ResourceSlice[],
): SliceAction[] {
  const byName = new Map(existing.map((s) => [s.metadata.name, s]));
  const wanted = new Set(desired.map((s) => s.metadata.name));
  const upserts: SliceAction[] = [];
  const deletes: SliceAction[] = [];
  for (const d of desired) {
    const e = byName.get(d.metadata.name);
    if (!e) {
      upserts.push({ op: 'create', slice: d });
    } else if (
      e.spec.driver !== d.spec.driver ||
      e.spec.nodeName !== d.spec.nodeName ||
      e.spec.pool.name !== d.spec.pool.name
    ) {
      deletes.unshift({ op: 'delete', name: e.metadata.name });
      upserts.push({ op: 'create', slice: d });
    } else if (comparable(e) !== comparable(d)) {
      upserts.push({ op: 'replace', slice: d, resourceVersion: e.metadata.resourceVersion ?? '' });
    }
  }
  for (const e of existing)
    if (!wanted.has(e.metadata.name)) deletes.push({ op: 'delete', name: e.metadata.name });
  // Recreations must delete before creating under the same name.
  const recreate = new Set(
    upserts
      .filter((a) => a.op === 'create' && byName.has(a.slice.metadata.name))
      .map((a) => (a.op === 'create' ? a.slice.metadata.name : '')),
  );
  return [
    ...deletes.filter((a) => a.op === 'delete' && recreate.has(a.name)),
    ...upserts,
    ...deletes.filter((a) => a.op === 'delete' && !recreate.has(a.name)),
  ];
}

/** Highest pool generation among existing slices (0 when none). */
export function maxGeneration(existing: readonly ResourceSlice[]): number {
  return existing.reduce((m, s) => Math.max(m, s.spec.pool.generation), 0);
}
