// Reconcile decision for one NetworkProfile. Pure: inputs are the CR, its NetworkDeviceClass, the
// live DeviceClasses (for the alignment class), the live ResourceClaimTemplate and the slices.
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import type { NetworkProfile } from '../../../lib/api/network-profile.js';
import type { ResourceSliceJson } from '../../../lib/cel/device-model.js';
import type { DeviceMatcher } from '../match/device-matcher.js';
import { profileExpressions, renderClaimTemplate } from '../render/claim-template.js';
import { classExpressions } from '../../../lib/cel/selector-cel.js';
import type { ResourceClaimTemplate } from '../render/dra-objects.js';
import { validateNetworkProfile } from '../render/validate-spec.js';
import { Reason } from '../status/conditions.js';
import { drift, ownedBy, type LiveObject } from './ownership.js';
import { invalid, NONE, refuse, type Decision } from './decision.js';

export interface ProfileInputs {
  profile: NetworkProfile;
  networkClass: NetworkDeviceClass | undefined;
  deviceClassExists: (name: string) => boolean;
  liveTemplate: LiveObject | undefined;
  slices: Iterable<ResourceSliceJson>;
  matcher: Pick<DeviceMatcher, 'count'>;
}

export function decideProfile(inp: ProfileInputs): Decision<ResourceClaimTemplate> {
  const p = inp.profile;
  const name = p.metadata.name;
  const zero = { devices: 0, nodes: 0 };
  const problems = validateNetworkProfile(p);
  if (problems.length > 0)
    return { action: NONE, ready: invalid(problems), generatedName: name, counts: zero };
  if (!inp.networkClass) {
    return refuse(
      name,
      zero,
      Reason.ClassNotFound,
      `spec.deviceClassName: NetworkDeviceClass ${p.spec.deviceClassName} not found; create it or fix the name`,
    );
  }
  if (p.spec.share !== undefined && inp.networkClass.spec.shared === undefined) {
    return refuse(
      name,
      zero,
      Reason.InvalidSpec,
      `spec.share: NetworkDeviceClass ${p.spec.deviceClassName} has no spec.shared; a share needs a shared class (or drop spec.share for a whole NIC)`,
    );
  }
  const align = p.spec.alignment?.deviceClassName;
  if (align !== undefined && !inp.deviceClassExists(align)) {
    return refuse(
      name,
      zero,
      Reason.ClassNotFound,
      `spec.alignment.deviceClassName: DeviceClass ${align} not found; install the other driver's DeviceClass or fix the name`,
    );
  }
  const counts = inp.matcher.count(profileExpressions(classExpressions(inp.networkClass), p), inp.slices);
  const live = inp.liveTemplate;
  if (live && !ownedBy(live, p.metadata.uid)) {
    return refuse(
      name,
      counts,
      Reason.TemplateConflict,
      `ResourceClaimTemplate ${p.metadata.namespace ?? ''}/${name} already exists and is not owned by this NetworkProfile; knd never overwrites it. Delete it or rename the profile.`,
    );
  }
  const desired = renderClaimTemplate(p);
  const ready = {
    ready: true,
    reason: Reason.Reconciled,
    message: `ResourceClaimTemplate ${name} matches the spec`,
  } as const;
  if (!live) return { action: { kind: 'create', object: desired }, generatedName: name, counts, ready };
  const d = drift(desired, live);
  // ResourceClaimTemplate.spec is immutable: a changed spec means delete and create
  const action =
    d === 'none'
      ? NONE
      : d === 'spec'
        ? { kind: 'replace' as const, object: desired, liveUid: live.metadata.uid ?? '' }
        : { kind: 'apply' as const, object: desired };
  return { action, generatedName: name, counts, ready };
}
