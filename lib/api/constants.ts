// Names that form knd's public API: the DRA driver name, the CRD group, labels and annotations.
// Changing any of them breaks users' CEL, GitOps repositories or running claims.

/** DRA driver name: ResourceSlice.spec.driver, opaque config driver, attribute domain, CDI vendor prefix. */
export const DRIVER_NAME = 'knd.dev';

/** API group and version of knd's own custom resources and of the NetworkConfig opaque parameters. */
export const API_GROUP = 'knd.dev';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}` as const;

export const KIND_NETWORK_CONFIG = 'NetworkConfig';
export const KIND_NETWORK_DEVICE_CLASS = 'NetworkDeviceClass';
export const KIND_NETWORK_PROFILE = 'NetworkProfile';

/** Standard attribute domains (KEP-4381) published next to knd's own. */
export const STANDARD_ATTRIBUTE_DOMAIN = 'resource.kubernetes.io';
export const ATTR_PCIE_ROOT = `${STANDARD_ATTRIBUTE_DOMAIN}/pcieRoot`;
export const ATTR_PCI_BUS_ID = `${STANDARD_ATTRIBUTE_DOMAIN}/pciBusID`;

/** Labels put on every object knd generates, pointing back at its source. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'knd-operator';
export const LABEL_SOURCE_KIND = 'knd.dev/source-kind';
export const LABEL_SOURCE_NAME = 'knd.dev/source-name';

/** Field manager names for server-side apply (fixed, so GitOps tools see a stable owner). */
export const FIELD_MANAGER_OPERATOR = 'knd-operator';
export const FIELD_MANAGER_AGENT = 'knd-agent';

/** DRA API limits (resource.k8s.io/v1 validation of ResourceSlices and of claim device status). */
export const LIMITS = {
  maxDevicesPerSlice: 128,
  maxAttributesAndCapacitiesPerDevice: 32,
  maxAttributeStringLength: 64,
  maxOpaqueParametersBytes: 10 * 1024,
  maxCelSelectorBytes: 10 * 1024,
  maxNetworkDataIps: 16,
  maxDeviceStatusConditions: 8,
  maxDeviceStatusDataBytes: 10 * 1024,
  maxInterfaceNameLength: 15,
} as const;
