// knd.dev/pcieSwitch: the nearest PCIe switch above a device, identified by the BDF of the switch's
// upstream port. A PCIe switch appears in sysfs as an upstream-port bridge whose children are
// downstream-port bridges; the device hangs below one of those downstream ports. Pure functions.
//
// Method (docs/attributes.md):
// 1. Preferred: the PCI Express capability (capability ID 0x10) of each bridge above the device, read
//    from its sysfs `config` file, gives the Device/Port Type (PCIe base spec §7.5.3.2, bits 7:4 of
//    the PCI Express Capabilities register): 0x4 root port, 0x5 switch upstream port, 0x6 switch
//    downstream port. The nearest ancestor of type 0x5 is the switch.
// 2. Fallback when a bridge's config cannot be read (non-root reader: only 64 bytes are readable):
//    in a PCIe hierarchy the bridges above a device alternate root port, upstream port, downstream
//    port, upstream port, ... so the upstream ports sit at odd depths (1, 3, ...) below the root
//    complex, provided the chain ends at a downstream port. PCI(-X) bridges break this rule; the
//    fallback is reported as such in the result.

/** PCI Express Device/Port Type values (PCIe base spec, PCI Express Capabilities register). */
export const PCIE_PORT_TYPE = {
  endpoint: 0x0,
  legacyEndpoint: 0x1,
  rootPort: 0x4,
  upstreamPort: 0x5,
  downstreamPort: 0x6,
  pcieToPciBridge: 0x7,
  pciToPcieBridge: 0x8,
  rcIntegratedEndpoint: 0x9,
  rcEventCollector: 0xa,
} as const;

const PCI_STATUS = 0x06;
const PCI_STATUS_CAP_LIST = 0x10;
const PCI_CAPABILITY_LIST = 0x34;
const PCI_CAP_ID_EXP = 0x10;

/** The Device/Port Type from a function's config space, or undefined if it has no PCIe capability. */
export function pciePortTypeFromConfig(config: Uint8Array): number | undefined {
  if (config.length < 0x40) return undefined;
  const status = (config[PCI_STATUS] ?? 0) | ((config[PCI_STATUS + 1] ?? 0) << 8);
  if ((status & PCI_STATUS_CAP_LIST) === 0) return undefined;
  let ptr = (config[PCI_CAPABILITY_LIST] ?? 0) & 0xfc;
  // The list lives in the first 256 bytes; at most 48 capabilities fit, which bounds the walk.
  for (let hops = 0; ptr >= 0x40 && ptr + 3 < config.length && hops < 48; hops++) {
    const id = config[ptr] ?? 0;
    if (id === PCI_CAP_ID_EXP) {
      const flags = (config[ptr + 2] ?? 0) | ((config[ptr + 3] ?? 0) << 8);
      return (flags >> 4) & 0xf;
    }
    ptr = (config[ptr + 1] ?? 0) & 0xfc;
  }
  return undefined;
}

export interface BridgeFacts {
  address: string;
  /** From config space; undefined when unreadable or not PCIe. */
  portType?: number;
}

export type SwitchResult =
  | { found: true; switchAddress: string; method: 'port-type' | 'depth' }
  | { found: false; method: 'port-type' | 'depth' };

/**
 * The nearest switch above a device. `ancestors` are the PCI functions between the root complex
 * and the device, top-down (see pciAncestors).
 */
export function nearestPcieSwitch(ancestors: readonly BridgeFacts[]): SwitchResult {
  if (ancestors.length > 0 && ancestors.every((a) => a.portType !== undefined)) {
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const a = ancestors[i];
      if (a?.portType === PCIE_PORT_TYPE.upstreamPort) {
        const child = ancestors[i + 1];
        // A switch = upstream port whose child on the path is a downstream port.
        if (child === undefined || child.portType === PCIE_PORT_TYPE.downstreamPort) {
          return { found: true, switchAddress: a.address, method: 'port-type' };
        }
      }
    }
    return { found: false, method: 'port-type' };
  }
  // Depth rule: root port at depth 0, upstream ports at odd depths; the device's parent must be a
  // downstream port (even depth >= 2), so the switch is its parent's parent.
  const n = ancestors.length;
  if (n >= 3 && (n - 1) % 2 === 0) {
    const usp = ancestors[n - 2];
    if (usp) return { found: true, switchAddress: usp.address, method: 'depth' };
  }
  return { found: false, method: 'depth' };
}
