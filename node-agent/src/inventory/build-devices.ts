// Policy over raw facts: which netdevs and PCI functions become DRA devices, under what names, with
// which attributes. Pure (facts in, devices out), so every rule is table-tested on fixture trees.
//
// Rules (docs/discovery.md):
// - Every PCI function of class 0x02, and every PCI function backing an RDMA device, is a device
//   named by PCI address, with or without a netdev in the host namespace right now.
// - Netdevs without a PCI function: hardware ones (not under devices/virtual) are devices; virtual
//   ones only when their type is in `optInVirtualTypes` (veth, macvlan, ...).
// - Excluded: loopback; every interface carrying a default route plus everything stacked on or
//   enslaved to it, transitively (lower_/upper_/master links); bridges and bridge ports; CNI plumbing
//   by name (CNI_NAME_PATTERNS) or kind (openvswitch). A PCI function whose netdev is excluded is
//   excluded with it.
import { LIMITS } from '../../../lib/api/constants.js';
import { ATTR, bool, fitAttributeLimits, int, joinWithinLimit, str, type Attributes } from './attributes.js';
import { netdevDeviceName } from './device-name.js';
import type {
  CharDevice,
  NetdevFacts,
  NetlinkFacts,
  PciFunctionFacts,
  RdmaFacts,
  SysfsFacts,
} from './facts.js';
import { pciDeviceName, pcieRootFromBusLink, validatePciBusId } from './pci-address.js';
import { nearestPcieSwitch } from './pcie-switch.js';

/** Where the device is on the host right now; what DRA prepare needs to find it. */
export interface DeviceHostInfo {
  ifName?: string;
  ifindex?: number;
  pciAddress?: string;
  mac?: string;
  rdmaDevice?: string;
  /** uverbsN and rdma_cm when the device has RDMA; empty otherwise. */
  charDevices: CharDevice[];
}

export interface InventoryDevice {
  /** DNS label, unique in the node's pool, stable while the netdev is in a pod. */
  name: string;
  attributes: Attributes;
  host: DeviceHostInfo;
}

export interface Exclusion {
  subject: string;
  reason: string;
}

export interface BuildOptions {
  /** Link kinds of non-PCI virtual netdevs to publish (e.g. ['veth', 'macvlan']). Default none. */
  optInVirtualTypes?: readonly string[];
}

export interface BuildResult {
  devices: InventoryDevice[];
  excluded: Exclusion[];
  /** Attributes dropped for exceeding API limits, per device. */
  warnings: string[];
}

/** CNI plumbing excluded by name (Flannel, Calico, Cilium, Weave, Docker, kube-proxy IPVS, OVS, ...). */
export const CNI_NAME_PATTERNS: readonly RegExp[] = [
  /^cni\d*$/,
  /^flannel[.-]/,
  /^cali/,
  /^vxlan[.-]calico/,
  /^tunl\d+$/,
  /^cilium_/,
  /^lxc/,
  /^docker\d*$/,
  /^weave/,
  /^datapath$/,
  /^kube-ipvs\d*$/,
  /^kube-bridge$/,
  /^nodelocaldns$/,
  /^genev_sys_/,
  /^vxlan_sys_/,
  /^ovs-system$/,
  /^antrea-/,
];

const ARPHRD_LOOPBACK = 772;

function cniReason(n: NetdevFacts, kind: string | undefined): string | undefined {
  if (kind === 'openvswitch') return 'CNI plumbing (openvswitch)';
  const p = CNI_NAME_PATTERNS.find((re) => re.test(n.ifName));
  return p ? `CNI plumbing (name matches ${p.source})` : undefined;
}

/** Default-route interfaces and everything stacked on or enslaved to them, transitively. */
export function uplinkClosure(
  netdevs: readonly NetdevFacts[],
  defaultRouteIfNames: ReadonlySet<string>,
): Set<string> {
  const byName = new Map(netdevs.map((n) => [n.ifName, n]));
  const out = new Set<string>();
  const queue = [...defaultRouteIfNames];
  while (queue.length > 0) {
    const name = queue.pop() ?? '';
    if (out.has(name)) continue;
    out.add(name);
    const n = byName.get(name);
    if (!n) continue;
    queue.push(...n.lowers, ...n.uppers);
    if (n.master) queue.push(n.master);
    for (const m of netdevs) if (m.master === name) queue.push(m.ifName);
  }
  return out;
}

function netdevType(n: NetdevFacts, kind: string | undefined): string {
  if (kind) return kind;
  if (!n.virtual) return 'device';
  return n.devtype ?? 'unknown';
}

function netdevAttributes(n: NetdevFacts, nl: NetlinkFacts): Attributes {
  const link = nl.links.get(n.ifName);
  const a: Attributes = {
    [ATTR.ifName]: str(n.ifName),
    [ATTR.mac]: str(n.mac),
    [ATTR.mtu]: int(n.mtu),
    [ATTR.state]: str(n.operstate),
    [ATTR.type]: str(netdevType(n, link?.kind)),
    [ATTR.virtual]: bool(n.virtual),
  };
  if (n.driver) a[ATTR.driver] = str(n.driver);
  if (n.speedMbps !== undefined) a[ATTR.linkSpeedMbps] = int(n.speedMbps);
  const v4 = joinWithinLimit(link?.ipv4 ?? [], LIMITS.maxAttributeStringLength);
  const v6 = joinWithinLimit(link?.ipv6 ?? [], LIMITS.maxAttributeStringLength);
  if (v4) a[ATTR.ipv4] = str(v4);
  if (v6) a[ATTR.ipv6] = str(v6);
  return a;
}

function pciAttributes(p: PciFunctionFacts, warnings: string[]): Attributes {
  const a: Attributes = {
    [ATTR.pciAddress]: str(p.address),
    [ATTR.pciVendor]: str(p.vendor),
    [ATTR.pciDevice]: str(p.device),
    [ATTR.virtual]: bool(false),
    [ATTR.type]: str('device'),
  };
  if (p.numaNode !== undefined) a[ATTR.numaNode] = int(p.numaNode);
  if (p.driver) a[ATTR.driver] = str(p.driver);
  const total = p.sriovTotalVfs ?? 0;
  a[ATTR.sriov] = bool(total > 0);
  if (total > 0) {
    a[ATTR.sriovTotalVfs] = int(total);
    a[ATTR.sriovNumVfs] = int(p.sriovNumVfs ?? 0);
  }
  a[ATTR.isSriovVf] = bool(p.physfn !== undefined);
  const busId = validatePciBusId(p.address);
  if (busId.ok) a[ATTR.pciBusID] = str(busId.value);
  else warnings.push(`${p.address}: no pciBusID: ${busId.error.message}`);
  const root = pcieRootFromBusLink(p.address, p.busLinkTarget);
  if (root.ok) a[ATTR.pcieRoot] = str(root.value);
  else warnings.push(`${p.address}: no pcieRoot: ${root.error.message}`);
  const sw = nearestPcieSwitch(p.ancestors);
  if (sw.found) a[ATTR.pcieSwitch] = str(sw.switchAddress);
  return a;
}

function rdmaParts(
  r: RdmaFacts | undefined,
  cm: CharDevice | undefined,
): { attrs: Attributes; chars: CharDevice[] } {
  if (!r) return { attrs: { [ATTR.rdma]: bool(false) }, chars: [] };
  const chars = [...(r.uverbs ? [r.uverbs] : []), ...(cm ? [cm] : [])];
  return { attrs: { [ATTR.rdma]: bool(true), [ATTR.rdmaDevice]: str(r.name) }, chars };
}

function hostInfo(
  n: NetdevFacts | undefined,
  pciAddress: string | undefined,
  r: RdmaFacts | undefined,
  chars: CharDevice[],
): DeviceHostInfo {
  return {
    ...(n ? { ifName: n.ifName, ifindex: n.ifindex, mac: n.mac } : {}),
    ...(pciAddress ? { pciAddress } : {}),
    ...(r ? { rdmaDevice: r.name } : {}),
    charDevices: chars,
  };
}

export function buildDevices(sys: SysfsFacts, nl: NetlinkFacts, opts: BuildOptions = {}): BuildResult {
  const optIn = new Set(opts.optInVirtualTypes ?? []);
  const excluded: Exclusion[] = [];
  const warnings: string[] = [];
  const devices: InventoryDevice[] = [];
  const uplinks = uplinkClosure(sys.netdevs, nl.defaultRouteIfNames);

  const netdevExclusion = new Map<string, string>();
  for (const n of sys.netdevs) {
    const kind = nl.links.get(n.ifName)?.kind;
    let reason: string | undefined;
    if (n.arpType === ARPHRD_LOOPBACK || n.ifName === 'lo') reason = 'loopback';
    else if (nl.defaultRouteIfNames.has(n.ifName)) reason = 'carries the default route';
    else if (uplinks.has(n.ifName)) reason = 'stacked on or enslaved to a default-route interface';
    else if (n.isBridge || kind === 'bridge') reason = 'bridge';
    else if (n.isBridgePort) reason = `bridge port${n.master ? ` of ${n.master}` : ''}`;
    else reason = cniReason(n, kind);
    if (reason) netdevExclusion.set(n.ifName, reason);
  }

  const rdmaByPci = new Map<string, RdmaFacts>();
  const rdmaByNetdev = new Map<string, RdmaFacts>();
  for (const r of sys.rdma) {
    if (r.pciAddress && !rdmaByPci.has(r.pciAddress)) rdmaByPci.set(r.pciAddress, r);
    for (const nd of r.netdevs) if (!rdmaByNetdev.has(nd)) rdmaByNetdev.set(nd, r);
  }

  const netdevsByPci = new Map<string, NetdevFacts[]>();
  for (const n of sys.netdevs) {
    if (!n.pciAddress) continue;
    const list = netdevsByPci.get(n.pciAddress) ?? [];
    list.push(n);
    netdevsByPci.set(n.pciAddress, list);
  }
  const pciAddresses = new Set(sys.pci.map((p) => p.address));

  for (const p of sys.pci) {
    const name = pciDeviceName(p.address);
    const netdevs = (netdevsByPci.get(p.address) ?? []).sort((a, b) => a.ifindex - b.ifindex);
    const blocked = netdevs.find((n) => netdevExclusion.has(n.ifName));
    if (blocked) {
      excluded.push({
        subject: `${name} (${blocked.ifName})`,
        reason: netdevExclusion.get(blocked.ifName) ?? '',
      });
      continue;
    }
    const primary = netdevs[0];
    const r = rdmaByPci.get(p.address) ?? (primary ? rdmaByNetdev.get(primary.ifName) : undefined);
    const rd = rdmaParts(r, sys.rdmaCm);
    const attrs: Attributes = {
      ...(primary ? netdevAttributes(primary, nl) : {}),
      ...pciAttributes(p, warnings),
      ...rd.attrs,
    };
    // The netdev's driver (e.g. virtio_net under virtio-pci) and kind describe the interface better.
    if (primary?.driver) attrs[ATTR.driver] = str(primary.driver);
    const kind = primary ? nl.links.get(primary.ifName)?.kind : undefined;
    if (kind) attrs[ATTR.type] = str(kind);
    const fitted = fitAttributeLimits(attrs);
    warnings.push(...fitted.dropped.map((d) => `${name}: dropped ${d}`));
    devices.push({ name, attributes: fitted.attributes, host: hostInfo(primary, p.address, r, rd.chars) });
  }

  for (const n of sys.netdevs) {
    if (n.pciAddress && pciAddresses.has(n.pciAddress)) continue;
    const name = netdevDeviceName(n.ifName);
    const why = netdevExclusion.get(n.ifName);
    if (why) {
      excluded.push({ subject: n.ifName, reason: why });
      continue;
    }
    const kind = nl.links.get(n.ifName)?.kind;
    const type = netdevType(n, kind);
    if (n.virtual && !optIn.has(type)) {
      excluded.push({ subject: n.ifName, reason: `virtual type "${type}" not opted in` });
      continue;
    }
    const r = rdmaByNetdev.get(n.ifName);
    const rd = rdmaParts(r, sys.rdmaCm);
    const fitted = fitAttributeLimits({ ...netdevAttributes(n, nl), ...rd.attrs });
    warnings.push(...fitted.dropped.map((d) => `${name}: dropped ${d}`));
    devices.push({ name, attributes: fitted.attributes, host: hostInfo(n, undefined, r, rd.chars) });
  }

  devices.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { devices, excluded, warnings };
}
