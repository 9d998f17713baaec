// NetworkProfile -> resource.k8s.io/v1 ResourceClaimTemplate of the same name and namespace. Pure;
// used by the operator's reconciler and by `knd render`.
//
// Shape: request "nic" (the profile's class, count or All, extra selectors); with alignment, request
// "aligned" (the other class, e.g. gpu.nvidia.com) plus a matchAttribute constraint over both, so
// the scheduler only picks pairs on the same PCIe root. The profile config applies to "nic" only.
// With spec.share, "nic" asks for that bandwidth (capacity.requests) of a shared device.
import { KIND_NETWORK_PROFILE } from '../../../lib/api/constants.js';
import {
  ALIGNED_REQUEST_NAME,
  DEFAULT_ALIGNMENT_ATTRIBUTE,
  NIC_REQUEST_NAME,
  type NetworkProfile,
} from '../../../lib/api/network-profile.js';
import { CAPACITY_BANDWIDTH, mbpsQuantity } from '../../../lib/api/shared-device.js';
import { opaqueConfig } from './device-class.js';
import { renderTolerations } from './tolerations.js';
import { generatedLabels, ownerRefs } from './labels.js';
import { RESOURCE_API_VERSION, type DeviceRequest, type ResourceClaimTemplate } from './dra-objects.js';

export function renderClaimTemplate(p: NetworkProfile, namespaceFallback = 'default'): ResourceClaimTemplate {
  const name = p.metadata.name;
  const namespace = p.metadata.namespace ?? namespaceFallback;
  const s = p.spec;
  const nic: DeviceRequest = {
    name: NIC_REQUEST_NAME,
    exactly: {
      deviceClassName: s.deviceClassName,
      ...(s.allocationMode === 'All'
        ? { allocationMode: 'All' as const }
        : { allocationMode: 'ExactCount' as const, count: s.count ?? 1 }),
      ...(s.selectors ? { selectors: s.selectors.map((expression) => ({ cel: { expression } })) } : {}),
      ...(s.tolerations ? { tolerations: renderTolerations(s.tolerations) } : {}),
      ...(s.share
        ? { capacity: { requests: { [CAPACITY_BANDWIDTH]: mbpsQuantity(s.share.bandwidthMbps) } } }
        : {}),
    },
  };
  const requests: DeviceRequest[] = [nic];
  const devices: ResourceClaimTemplate['spec']['spec']['devices'] = { requests };
  if (s.alignment) {
    requests.push({
      name: ALIGNED_REQUEST_NAME,
      exactly: {
        deviceClassName: s.alignment.deviceClassName,
        allocationMode: 'ExactCount',
        count: s.alignment.count ?? 1,
      },
    });
    devices.constraints = [
      {
        requests: [NIC_REQUEST_NAME, ALIGNED_REQUEST_NAME],
        matchAttribute: s.alignment.attribute ?? DEFAULT_ALIGNMENT_ATTRIBUTE,
      },
    ];
  }
  if (s.config) devices.config = [opaqueConfig(s.config, [NIC_REQUEST_NAME])];
  const owners = ownerRefs(KIND_NETWORK_PROFILE, name, p.metadata.uid);
  return {
    apiVersion: RESOURCE_API_VERSION,
    kind: 'ResourceClaimTemplate',
    metadata: {
      name,
      namespace,
      labels: generatedLabels(KIND_NETWORK_PROFILE, name),
      ...(owners.length > 0 ? { ownerReferences: owners } : {}),
    },
    spec: { spec: { devices } },
  };
}

/** Every CEL expression a NIC of the profile must satisfy: the class's then the profile's. */
export function profileExpressions(classExprs: readonly string[], p: Pick<NetworkProfile, 'spec'>): string[] {
  return [...classExprs, ...(p.spec.selectors ?? [])];
}
