// knd's published device attributes: the names (a public API: users' and the operator's CEL read them), their
// value shapes, and the DRA API limits they must fit (resource.k8s.io/v1 ResourceSlice validation; LIMITS in
// lib/api/constants.ts). Pure.
import { ATTR_PCI_BUS_ID, ATTR_PCIE_ROOT, DRIVER_NAME, LIMITS } from '../../../lib/api/constants.js';

/** One DRA DeviceAttribute: exactly one of int / bool / string (JSON shape of resource.k8s.io/v1). */
export type AttributeValue = { int: number } | { bool: boolean } | { string: string };

/** Fully qualified attribute names. Every knd attribute is in the driver's domain `knd.dev`. */
export const ATTR = {
  ifName: `${DRIVER_NAME}/ifName`,
  mac: `${DRIVER_NAME}/mac`,
  mtu: `${DRIVER_NAME}/mtu`,
  state: `${DRIVER_NAME}/state`,
  type: `${DRIVER_NAME}/type`,
  virtual: `${DRIVER_NAME}/virtual`,
  pciAddress: `${DRIVER_NAME}/pciAddress`,
  pciVendor: `${DRIVER_NAME}/pciVendor`,
  pciDevice: `${DRIVER_NAME}/pciDevice`,
  numaNode: `${DRIVER_NAME}/numaNode`,
  driver: `${DRIVER_NAME}/driver`,
  linkSpeedMbps: `${DRIVER_NAME}/linkSpeedMbps`,
  rdma: `${DRIVER_NAME}/rdma`,
  rdmaDevice: `${DRIVER_NAME}/rdmaDevice`,
  sriov: `${DRIVER_NAME}/sriov`,
  sriovTotalVfs: `${DRIVER_NAME}/sriovTotalVfs`,
  sriovNumVfs: `${DRIVER_NAME}/sriovNumVfs`,
  isSriovVf: `${DRIVER_NAME}/isSriovVf`,
  ipv4: `${DRIVER_NAME}/ipv4`,
  ipv6: `${DRIVER_NAME}/ipv6`,
  pcieSwitch: `${DRIVER_NAME}/pcieSwitch`,
  /** Published shared (a shared class selects it): set by publish/shared-devices.ts. */
  shared: `${DRIVER_NAME}/shared`,
  pcieRoot: ATTR_PCIE_ROOT,
  pciBusID: ATTR_PCI_BUS_ID,
} as const;

export type AttributeName = (typeof ATTR)[keyof typeof ATTR];

export type Attributes = Partial<Record<AttributeName, AttributeValue>>;

export const str = (v: string): AttributeValue => ({ string: v });
export const int = (v: number): AttributeValue => ({ int: v });
export const bool = (v: boolean): AttributeValue => ({ bool: v });

/**
 * Join values with commas, keeping whole values only, so the result stays within the 64-character
 * string limit (a cut CIDR would be a lie). Values are sorted first so the output is stable.
 */
export function joinWithinLimit(
  values: readonly string[],
  maxChars = LIMITS.maxAttributeStringLength,
): string {
  let out = '';
  for (const v of [...values].sort(compareAddresses)) {
    const next = out === '' ? v : `${out},${v}`;
    if (next.length > maxChars) continue;
    out = next;
  }
  return out;
}

function compareAddresses(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Enforce the per-device limits: strings longer than 64 characters are dropped (never cut: a cut
 * value would match the wrong thing), and the attribute count is capped at 32. Returns the kept
 * attributes and the names dropped with a reason, for logging.
 */
export function fitAttributeLimits(attrs: Attributes): { attributes: Attributes; dropped: string[] } {
  const attributes: Attributes = {};
  const dropped: string[] = [];
  let count = 0;
  for (const [name, value] of Object.entries(attrs) as [AttributeName, AttributeValue][]) {
    if ('string' in value && value.string.length > LIMITS.maxAttributeStringLength) {
      dropped.push(`${name}: value longer than ${LIMITS.maxAttributeStringLength} characters`);
      continue;
    }
    if (count >= LIMITS.maxAttributesAndCapacitiesPerDevice) {
      dropped.push(`${name}: more than ${LIMITS.maxAttributesAndCapacitiesPerDevice} attributes`);
      continue;
    }
    attributes[name] = value;
    count++;
  }
  return { attributes, dropped };
}
