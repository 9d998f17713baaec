// Labels and ownerReferences that tie a generated object to its source CR. Pure.
import { createHash } from 'node:crypto';
import {
  API_GROUP_VERSION,
  LABEL_MANAGED_BY,
  LABEL_SOURCE_KIND,
  LABEL_SOURCE_NAME,
  MANAGED_BY_VALUE,
} from '../../../lib/api/constants.js';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
}

/** A label value (<= 63 chars); longer names keep a prefix and a hash suffix. */
export function labelValue(name: string): string {
  if (name.length <= 63) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  return `${name.slice(0, 52).replace(/[-_.]+$/, '')}-${hash}`;
}

export function generatedLabels(kind: string, name: string): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_SOURCE_KIND]: kind,
    [LABEL_SOURCE_NAME]: labelValue(name),
  };
}

/** Owner reference to the source CR; absent when rendering offline (no uid). */
export function ownerRefs(kind: string, name: string, uid: string | undefined): OwnerReference[] {
  return uid ? [{ apiVersion: API_GROUP_VERSION, kind, name, uid, controller: true }] : [];
}
