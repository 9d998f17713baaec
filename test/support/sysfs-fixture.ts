// Builds sysfs trees shaped like the kernel's (real directories, relative symlinks), for discovery
// tests and benchmarks:
//   devices/pci0000:00/0000:00:01.0/0000:01:00.0/{class,vendor,device,numa_node,config,driver->,...}
//   bus/pci/devices/<BDF> -> ../../../devices/pci0000:00/.../<BDF>
//   devices/.../<BDF>/net/<if>/{ifindex,address,mtu,operstate,type,speed,uevent,device->}
//   class/net/<if> -> ../../devices/.../net/<if>
//   devices/.../<BDF>/infiniband/<ib>, class/infiniband/<ib> -> ..., <ib>/device -> ../../../<BDF>
//   devices/.../<BDF>/infiniband_verbs/uverbsN/{ibdev,dev}, class/infiniband_verbs/uverbsN -> ...
//   devices/virtual/misc/rdma_cm/dev, class/misc/rdma_cm -> ...
// The scenario presets are in sysfs-fixture-scenarios.ts (re-exported here).
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

export type PortType = 'root' | 'upstream' | 'downstream' | 'endpoint';

export interface PciSpec {
  address: string;
  /** Parent PCI function (bridge) address, or omitted when directly under the root complex. */
  parent?: string;
  /** Root complex directory when `parent` is omitted; default `pci<domain>:<bus>` of the address. */
  root?: string;
  /** e.g. '0x020000' (Ethernet), '0x060400' (PCI bridge), '0x030200' (3D controller). */
  classCode: string;
  vendor?: string;
  device?: string;
  numaNode?: number;
  driver?: string;
  sriovTotalVfs?: number;
  sriovNumVfs?: number;
  /** PF address when this is a VF. */
  physfn?: string;
  /** Writes a config space with a PCI Express capability of this port type. */
  portType?: PortType;
}

export interface NetdevSpec {
  name: string;
  /** PCI function the netdev sits under; omitted = virtual (devices/virtual/net). */
  pci?: string;
  /** Intermediate bus device between the PCI function and net/, e.g. 'virtio2'. */
  via?: { name: string; driver: string };
  ifindex: number;
  mac: string;
  mtu?: number;
  operstate?: string;
  /** ARPHRD (1 ether, 32 infiniband, 772 loopback). */
  arpType?: number;
  speedMbps?: number;
  devtype?: string;
  bridge?: boolean;
  /** Name of the bridge this netdev is a port of. */
  bridgePortOf?: string;
  master?: string;
  lowers?: string[];
  uppers?: string[];
}

export interface RdmaSpec {
  name: string;
  pci: string;
  uverbs?: { index: number; major: number; minor: number };
  netdevs?: string[];
}

export interface SysfsSpec {
  pci?: PciSpec[];
  netdevs?: NetdevSpec[];
  rdma?: RdmaSpec[];
  rdmaCm?: { major: number; minor: number };
}

const PORT_TYPE_CODE: Record<PortType, number> = { endpoint: 0x0, root: 0x4, upstream: 0x5, downstream: 0x6 };

/** 256-byte config space with a capability list holding one PCI Express capability. */
export function pcieConfig(vendor: string, device: string, portType: PortType): Buffer {
  const b = Buffer.alloc(256);
  b.writeUInt16LE(Number.parseInt(vendor, 16), 0);
  b.writeUInt16LE(Number.parseInt(device, 16), 2);
  b.writeUInt16LE(0x0010, 6); // status: capabilities list
  b[0x34] = 0x40;
  b[0x40] = 0x05; // MSI capability first, to exercise the list walk
  b[0x41] = 0x60;
  b[0x60] = 0x10; // PCI Express
  b[0x61] = 0x00;
  b.writeUInt16LE(0x0002 | (PORT_TYPE_CODE[portType] << 4), 0x62);
  return b;
}

function rootOf(address: string): string {
  return `pci${address.slice(0, 7)}`;
}

async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

async function link(target: string, at: string): Promise<void> {
  await mkdir(dirname(at), { recursive: true });
  await symlink(relative(dirname(at), target), at);
}

/** Like link(), but a link that already exists (shared parent) is left as is. */
async function linkOnce(target: string, at: string): Promise<void> {
  try {
    await lstat(at);
    return;
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
  }
  await link(target, at);
}

/** Write the tree into `root` (which must exist or be creatable). */
export async function buildSysfsTree(root: string, spec: SysfsSpec): Promise<void> {
  const pciDir = new Map<string, string>();
  const byAddr = new Map((spec.pci ?? []).map((p) => [p.address, p]));
  const dirOf = (addr: string): string => {
    const known = pciDir.get(addr);
    if (known) return known;
    const p = byAddr.get(addr);
    if (!p) throw new Error(`fixture: unknown PCI function ${addr}`);
    const d = p.parent ? join(dirOf(p.parent), addr) : join(root, 'devices', p.root ?? rootOf(addr), addr);
    pciDir.set(addr, d);
    return d;
  };
  for (const p of spec.pci ?? []) {
    const d = dirOf(p.address);
    const vendor = p.vendor ?? '0x8086';
    const device = p.device ?? '0x1572';
    await put(join(d, 'class'), `${p.classCode}\n`);
    await put(join(d, 'vendor'), `${vendor}\n`);
    await put(join(d, 'device'), `${device}\n`);
    await put(join(d, 'numa_node'), `${p.numaNode ?? -1}\n`);
    if (p.portType) await put(join(d, 'config'), pcieConfig(vendor, device, p.portType));
    if (p.driver) {
      await mkdir(join(root, 'bus/pci/drivers', p.driver), { recursive: true });
      await link(join(root, 'bus/pci/drivers', p.driver), join(d, 'driver'));
    }
    if (p.sriovTotalVfs !== undefined) {
      await put(join(d, 'sriov_totalvfs'), `${p.sriovTotalVfs}\n`);
      await put(join(d, 'sriov_numvfs'), `${p.sriovNumVfs ?? 0}\n`);
    }
    await link(d, join(root, 'bus/pci/devices', p.address));
  }
  for (const p of spec.pci ?? []) {
    if (!p.physfn) continue;
    const d = dirOf(p.address);
    await link(dirOf(p.physfn), join(d, 'physfn'));
    const vfs = (spec.pci ?? []).filter((v) => v.physfn === p.physfn).map((v) => v.address);
    await link(d, join(dirOf(p.physfn), `virtfn${vfs.indexOf(p.address)}`));
  }
  const netDir = new Map<string, string>();
  for (const n of spec.netdevs ?? []) {
    let parent: string;
    if (n.pci) {
      parent = dirOf(n.pci);
      if (n.via) {
        parent = join(parent, n.via.name);
        await mkdir(join(root, 'bus/virtio/drivers', n.via.driver), { recursive: true });
        await mkdir(parent, { recursive: true });
        await linkOnce(join(root, 'bus/virtio/drivers', n.via.driver), join(parent, 'driver'));
      }
    } else {
      parent = join(root, 'devices/virtual');
    }
    const d = join(parent, 'net', n.name);
    netDir.set(n.name, d);
    await put(join(d, 'ifindex'), `${n.ifindex}\n`);
    await put(join(d, 'address'), `${n.mac}\n`);
    await put(join(d, 'mtu'), `${n.mtu ?? 1500}\n`);
    await put(join(d, 'operstate'), `${n.operstate ?? 'up'}\n`);
    await put(join(d, 'type'), `${n.arpType ?? 1}\n`);
    await put(
      join(d, 'uevent'),
      `${n.devtype ? `DEVTYPE=${n.devtype}\n` : ''}INTERFACE=${n.name}\nIFINDEX=${n.ifindex}\n`,
    );
    if (n.speedMbps !== undefined) await put(join(d, 'speed'), `${n.speedMbps}\n`);
    if (n.pci) await link(parent, join(d, 'device'));
    if (n.bridge) await mkdir(join(d, 'bridge'), { recursive: true });
    await link(d, join(root, 'class/net', n.name));
  }
  for (const n of spec.netdevs ?? []) {
    const d = netDir.get(n.name) ?? '';
    const to = (name: string): string => {
      const t = netDir.get(name);
      if (!t) throw new Error(`fixture: unknown netdev ${name}`);
      return t;
    };
    if (n.bridgePortOf) {
      await mkdir(join(d, 'brport'), { recursive: true });
      await link(to(n.bridgePortOf), join(d, 'master'));
      await link(to(n.bridgePortOf), join(d, `upper_${n.bridgePortOf}`));
      await linkOnce(d, join(to(n.bridgePortOf), `lower_${n.name}`));
    }
    if (n.master) await link(to(n.master), join(d, 'master'));
    for (const l of n.lowers ?? []) await link(to(l), join(d, `lower_${l}`));
    for (const u of n.uppers ?? []) await link(to(u), join(d, `upper_${u}`));
  }
  for (const r of spec.rdma ?? []) {
    const pd = dirOf(r.pci);
    const ib = join(pd, 'infiniband', r.name);
    await mkdir(ib, { recursive: true });
    await link(pd, join(ib, 'device'));
    for (const [i, nd] of (r.netdevs ?? []).entries())
      await put(join(ib, 'ports/1/gid_attrs/ndevs', String(i)), `${nd}\n`);
    await link(ib, join(root, 'class/infiniband', r.name));
    if (r.uverbs) {
      const uv = join(pd, 'infiniband_verbs', `uverbs${r.uverbs.index}`);
      await put(join(uv, 'ibdev'), `${r.name}\n`);
      await put(join(uv, 'dev'), `${r.uverbs.major}:${r.uverbs.minor}\n`);
      await link(pd, join(uv, 'device'));
      await link(uv, join(root, 'class/infiniband_verbs', `uverbs${r.uverbs.index}`));
    }
  }
  if (spec.rdmaCm) {
    const cm = join(root, 'devices/virtual/misc/rdma_cm');
    await put(join(cm, 'dev'), `${spec.rdmaCm.major}:${spec.rdmaCm.minor}\n`);
    await link(cm, join(root, 'class/misc/rdma_cm'));
  }
  await mkdir(join(root, 'class/net'), { recursive: true });
  await mkdir(join(root, 'bus/pci/devices'), { recursive: true });
}

/** Build the tree in a fresh temp directory; returns its path and a cleanup function. */
export async function makeSysfsFixture(
  spec: SysfsSpec,
  opts: { parentDir?: string } = {},
): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'knd-sysfs-'));
  await buildSysfsTree(root, spec);
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

// Scenario presets live in sysfs-fixture-scenarios.ts; re-exported for one import path.
export * from './sysfs-fixture-scenarios.js';
