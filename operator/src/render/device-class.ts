// NetworkDeviceClass -> resource.k8s.io/v1 DeviceClass of the same name. Pure; used by the
// operator's reconciler and by `knd render`.
import {
  API_GROUP_VERSION,
  DRIVER_NAME,
  KIND_NETWORK_CONFIG,
  KIND_NETWORK_DEVICE_CLASS,
} from '../../../lib/api/constants.js';
import type { NetworkConfig } from '../../../lib/api/network-config.js';
import type { NetworkDeviceClass } from '../../../lib/api/network-device-class.js';
import { generatedLabels, ownerRefs } from './labels.js';
import { RESOURCE_API_VERSION, type DeviceClass, type OpaqueConfig } from './dra-objects.js';
import { classExpressions } from '../../../lib/cel/selector-cel.js';

/** Opaque config for driver knd.dev: {apiVersion, kind, ...config} (apiVersion/kind always set). */
export function opaqueConfig(config: NetworkConfig, requests?: string[]): OpaqueConfig {
  const rest: NetworkConfig = { ...config };
  delete rest.apiVersion;
  delete rest.kind;
  return {
    ...(requests ? { requests } : {}),
    opaque: {
      driver: DRIVER_NAME,
      parameters: { apiVersion: API_GROUP_VERSION, kind: KIND_NETWORK_CONFIG, ...rest },
    },
  };
}

/**
 * A shared class allocates only devices the agent published as shared (attribute knd.dev/shared),
 * so a claim of the class always gets a share (a child), never a whole NIC that happens to match
 * its selector. An attribute, not `device.allowMultipleAllocations`: that field does not compile
 * where consumable capacity is off (1.35), and the DeviceClass would be refused.
 */
export const SHARED_DEVICE_SELECTOR = `"shared" in device.attributes["${DRIVER_NAME}"] && device.attributes["${DRIVER_NAME}"].shared == true`;

export function renderDeviceClass(ndc: NetworkDeviceClass): DeviceClass {
  const name = ndc.metadata.name;
  const owners = ownerRefs(KIND_NETWORK_DEVICE_CLASS, name, ndc.metadata.uid);
  return {
    apiVersion: RESOURCE_API_VERSION,
    kind: 'DeviceClass',
    metadata: {
      name,
      labels: generatedLabels(KIND_NETWORK_DEVICE_CLASS, name),
      ...(owners.length > 0 ? { ownerReferences: owners } : {}),
    },
    spec: {
      selectors: [...classExpressions(ndc), ...(ndc.spec.shared ? [SHARED_DEVICE_SELECTOR] : [])].map(
        (expression) => ({ cel: { expression } }),
      ),
      ...(ndc.spec.config ? { config: [opaqueConfig(ndc.spec.config)] } : {}),
    },
  };
}
