// PCI addresses and the two standard attributes computed from them, exactly as the upstream
// helpers do (kubernetes/dynamic-resource-allocation deviceattribute/pci_linux.go):
// - resource.kubernetes.io/pciBusID: the extended BDF `dddd:bb:dd.f`, lower-case hex, validated by
//   the upstream regular expression.
// - resource.kubernetes.io/pcieRoot: read the symlink /sys/bus/pci/devices/<BDF> (one level, as the
//   kernel creates it: `../../../devices/pci0000:00/0000:00:01.0/<BDF>`); the target must lie under
//   `devices/pci` and end with the BDF; the root is the first element under `devices/`.
// Pure functions; the caller reads the link.
import { posix } from 'node:path';
import { err, ok, type Result } from '../../../lib/util/result.js';

/** Upstream's validation of a PCI bus ID (deviceattribute.GetPCIBusIDAttribute). */
export const PCI_BUS_ID_RE = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-9a-f]{1})$/;
/** A path element that is a PCI function (the kernel may print upper case nowhere; be strict). */
export const BDF_ELEMENT_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
/** A PCI root complex directory under /sys/devices (`pci<domain>:<bus>`). */
export const PCIE_ROOT_RE = /^pci[0-9a-f]{4}:[0-9a-f]{2}$/;

export function validatePciBusId(busId: string): Result<string> {
  if (busId === '') return err(new Error('PCI Bus ID cannot be empty'));
  if (!PCI_BUS_ID_RE.test(busId)) return err(new Error(`invalid PCI Bus ID format: ${busId}`));
  return ok(busId);
}

/** Device name for a PCI function: `0000:3b:00.0` -> `pci-0000-3b-00-0` (a DNS label). */
export function pciDeviceName(busId: string): string {
  return `pci-${busId.replace(/[:.]/g, '-')}`;
}

/**
 * The sysfs-root-relative path a /sys/bus/pci/devices/<BDF> link points at, e.g.
 * `devices/pci0000:00/0000:00:01.0/0000:01:00.0`.
 */
export function resolveBusLink(linkTarget: string): string {
  return posix.normalize(posix.join('bus/pci/devices', linkTarget));
}

/**
 * pcieRoot from the raw target of the /sys/bus/pci/devices/<BDF> symlink (upstream algorithm:
 * target must start with `devices/pci` once resolved against the bus directory, and end with the BDF).
 */
export function pcieRootFromBusLink(busId: string, linkTarget: string): Result<string> {
  const v = validatePciBusId(busId);
  if (!v.ok) return v;
  const resolved = resolveBusLink(linkTarget);
  if (!resolved.startsWith('devices/pci')) {
    return err(
      new Error(
        `symlink target for PCI Bus ID ${busId} is invalid: it must start with devices/pci: ${linkTarget}`,
      ),
    );
  }
  if (!resolved.endsWith(`/${busId}`)) {
    return err(
      new Error(
        `symlink target for PCI Bus ID ${busId} is invalid: it must end with ${busId}: ${linkTarget}`,
      ),
    );
  }
  const root = resolved.split('/')[1] ?? '';
  if (!PCIE_ROOT_RE.test(root)) {
    return err(
      new Error(`symlink target for PCI Bus ID ${busId} has no pci<domain>:<bus> root: ${linkTarget}`),
    );
  }
  return ok(root);
}

/** The PCI function a sysfs device path sits under (the last BDF element), e.g. for a netdev. */
export function nearestPciFunction(resolvedPath: string): string | undefined {
  const parts = resolvedPath.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i] ?? '';
    if (BDF_ELEMENT_RE.test(p)) return p;
  }
  return undefined;
}

/** The BDF elements above a PCI function, top-down (root port first), excluding the function itself. */
export function pciAncestors(resolvedPath: string): string[] {
  const parts = resolvedPath.split('/');
  const bdfs = parts.filter((p) => BDF_ELEMENT_RE.test(p));
  return bdfs.slice(0, -1);
}
