// Offline rendering of a multi-document input (`knd render -f FILE`): the same render functions
// the operator uses, with no cluster. A profile whose class is not in the input renders using the
// class name as given. Pure.
import {
  API_GROUP_VERSION,
  KIND_NETWORK_DEVICE_CLASS,
  KIND_NETWORK_PROFILE,
} from '../../../lib/api/constants.js';
import { decodeNetworkDeviceClass, decodeNetworkProfile } from '../informed-kinds.js';
import { renderClaimTemplate } from './claim-template.js';
import { renderDeviceClass } from './device-class.js';
import type { DeviceClass, ResourceClaimTemplate } from './dra-objects.js';
import { validateNetworkDeviceClass, validateNetworkProfile, type FieldProblem } from './validate-spec.js';

export interface DocumentProblem extends FieldProblem {
  /** e.g. `NetworkProfile/web (document 2)` */
  where: string;
}

export interface RenderOutput {
  objects: (DeviceClass | ResourceClaimTemplate)[];
  problems: DocumentProblem[];
  /** Documents of other kinds, passed over. */
  skipped: number;
}

/** Offline, a NetworkProfile without metadata.namespace renders into this one (like kubectl). */
export function renderDocuments(docs: readonly unknown[], defaultNamespace = 'default'): RenderOutput {
  const out: RenderOutput = { objects: [], problems: [], skipped: 0 };
  docs.forEach((raw, i) => {
    if (raw === null || raw === undefined) return;
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      out.problems.push({ where: `document ${i + 1}`, path: '', message: 'not a YAML mapping' });
      return;
    }
    const doc = raw as Record<string, unknown>;
    const kind = doc['kind'];
    const name = (doc['metadata'] as Record<string, unknown> | undefined)?.['name'];
    const where = `${String(kind)}${typeof name === 'string' ? `/${name}` : ''} (document ${i + 1})`;
    if (kind !== KIND_NETWORK_DEVICE_CLASS && kind !== KIND_NETWORK_PROFILE) {
      out.skipped++;
      return;
    }
    const problems: FieldProblem[] = [];
    if (doc['apiVersion'] !== API_GROUP_VERSION) {
      problems.push({ path: 'apiVersion', message: `must be ${API_GROUP_VERSION}` });
    }
    problems.push(
      ...(kind === KIND_NETWORK_DEVICE_CLASS ? validateNetworkDeviceClass(doc) : validateNetworkProfile(doc)),
    );
    if (problems.length > 0) {
      out.problems.push(...problems.map((p) => ({ ...p, where })));
      return;
    }
    // the same decoding as the operator's informers (metadata types the validators do not cover)
    try {
      out.objects.push(
        kind === KIND_NETWORK_DEVICE_CLASS
          ? renderDeviceClass(decodeNetworkDeviceClass(doc))
          : renderClaimTemplate(decodeNetworkProfile(doc), defaultNamespace),
      );
    } catch (e) {
      out.problems.push({ where, path: '', message: (e as Error).message });
    }
  });
  return out;
}
