// The raw facts discovery reads from the kernel, before any policy (naming, exclusion, attributes)
// is applied. scan-sysfs.ts and netlink-facts.ts produce them; build-devices.ts consumes them.

export interface PciFunctionFacts {
  /** Extended BDF, e.g. `0000:3b:00.0`. */
  address: string;
  /** Raw target of /sys/bus/pci/devices/<BDF> (what upstream's pcieRoot helper reads). */
  busLinkTarget: string;
  /** The link resolved relative to the sysfs root, e.g. `devices/pci0000:00/0000:00:01.0/0000:01:00.0`. */
  path: string;
  /** 24-bit class code, e.g. 0x020000. */
  classCode: number;
  /** Hex IDs as sysfs prints them: `0x15b3`. */
  vendor: string;
  device: string;
  /** Undefined when sysfs says -1 or has no numa_node file. */
  numaNode?: number;
  driver?: string;
  sriovTotalVfs?: number;
  sriovNumVfs?: number;
  /** The PF's address when this function is a VF (has a `physfn` link). */
  physfn?: string;
  /** PCI functions between the root complex and this one, top-down, with PCIe port types if readable. */
  ancestors: { address: string; portType?: number }[];
}

export interface NetdevFacts {
  ifName: string;
  ifindex: number;
  mac: string;
  mtu: number;
  /** operstate: up, down, unknown, dormant, lowerlayerdown, notpresent, testing. */
  operstate: string;
  /** ARPHRD_* from the `type` file (1 ether, 32 infiniband, 772 loopback). */
  arpType: number;
  /** /sys/class/net/<if> resolved relative to the sysfs root. */
  path: string;
  /** Under devices/virtual (no backing hardware). */
  virtual: boolean;
  /** The PCI function the netdev sits under, if any. */
  pciAddress?: string;
  /** Kernel driver bound to the netdev's parent device (`device/driver`). */
  driver?: string;
  /** DEVTYPE from uevent (vlan, bridge, bond, wlan, ...), if any. */
  devtype?: string;
  speedMbps?: number;
  isBridge: boolean;
  /** Enslaved to a bridge (has `brport`). */
  isBridgePort: boolean;
  /** Name of the master device (bond, bridge, VRF...), from the `master` link. */
  master?: string;
  /** Names from `lower_*` / `upper_*` links (stacking: vlan, macvlan, bond members...). */
  lowers: string[];
  uppers: string[];
}

export interface CharDevice {
  /** Path in the container and on the host, e.g. /dev/infiniband/uverbs0. */
  path: string;
  major: number;
  minor: number;
}

export interface RdmaFacts {
  /** RDMA device name, e.g. `mlx5_0`. */
  name: string;
  pciAddress?: string;
  /** Netdevs bound to this RDMA device's ports (from ports/N/gid_attrs/ndevs, when readable). */
  netdevs: string[];
  uverbs?: CharDevice;
}

export interface SysfsFacts {
  /** PCI functions of class 0x02 plus any PCI function backing an RDMA device. */
  pci: PciFunctionFacts[];
  netdevs: NetdevFacts[];
  rdma: RdmaFacts[];
  /** /dev/infiniband/rdma_cm (misc device), shared by every RDMA device. */
  rdmaCm?: CharDevice;
}

export interface NetlinkLinkFacts {
  /** IFLA_INFO_KIND (veth, macvlan, vlan, bond, bridge, ...), absent for plain hardware netdevs. */
  kind?: string;
  /** Global-scope addresses in CIDR form. */
  ipv4: string[];
  ipv6: string[];
}

export interface NetlinkFacts {
  links: Map<string, NetlinkLinkFacts>;
  /** Interfaces that carry a default route (IPv4 or IPv6) in the main table. */
  defaultRouteIfNames: Set<string>;
}

export const EMPTY_NETLINK_FACTS: NetlinkFacts = { links: new Map(), defaultRouteIfNames: new Set() };
