// Scenario presets for the sysfs fixture builder (sysfs-fixture.ts): the trees the discovery tests need
// (one-NIC VM, 8-GPU/8-NIC server, SR-IOV PF, mlx5 RDMA NIC, virtual-only host) and a many-NIC tree
// for benchmarks and the slice split.
import type { NetdevSpec, PciSpec, PortType, SysfsSpec } from './sysfs-fixture.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const mac = (a: number, b: number): string => `02:00:00:00:${hex2(a)}:${hex2(b)}`;

/** A VM with one virtio NIC (PCI 0000:00:03.0 -> virtio2 -> eth0) and loopback. */
export function oneNicVm(): SysfsSpec {
  return {
    pci: [
      { address: '0000:00:00.0', classCode: '0x060000', vendor: '0x8086', device: '0x1237' },
      {
        address: '0000:00:03.0',
        classCode: '0x020000',
        vendor: '0x1af4',
        device: '0x1000',
        driver: 'virtio-pci',
      },
    ],
    netdevs: [
      { name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', mtu: 65536, operstate: 'unknown', arpType: 772 },
      {
        name: 'eth0',
        pci: '0000:00:03.0',
        via: { name: 'virtio2', driver: 'virtio_net' },
        ifindex: 2,
        mac: '52:54:00:12:34:56',
      },
    ],
  };
}

export interface GpuServerLayout {
  /** Root complex bus per switch pair: pci0000:00, pci0000:40, pci0000:80, pci0000:c0. */
  rootBuses: number[];
}

/** Expected topology facts of gpuServer8x8(), for assertions. */
export interface GpuServerExpect {
  nic: string;
  gpu: string;
  pcieRoot: string;
  switchUpstreamPort: string;
  numaNode: number;
  ifName: string;
}

/**
 * An 8-GPU / 8-NIC server: each GPU/NIC pair sits under its own PCIe switch (upstream port with two
 * downstream ports), two switches per root complex, four root complexes, NUMA 0 for the first two.
 * `withConfig: false` leaves out config space (unprivileged reader), exercising the depth fallback.
 */
export function gpuServer8x8(opts: { withConfig?: boolean } = {}): {
  spec: SysfsSpec;
  expect: GpuServerExpect[];
} {
  const withConfig = opts.withConfig ?? true;
  const pci: PciSpec[] = [];
  const netdevs: NetdevSpec[] = [
    { name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', mtu: 65536, operstate: 'unknown', arpType: 772 },
  ];
  const expect: GpuServerExpect[] = [];
  const rootBuses = [0x00, 0x40, 0x80, 0xc0];
  const pt = (t: PortType): { portType?: PortType } => (withConfig ? { portType: t } : {});
  for (let s = 0; s < 8; s++) {
    const rc = Math.floor(s / 2);
    const rb = rootBuses[rc] ?? 0;
    const numaNode = rc < 2 ? 0 : 1;
    const rp = `0000:${hex2(rb)}:${hex2(1 + (s % 2))}.0`;
    const b1 = rb + 1 + (s % 2) * 4;
    const usp = `0000:${hex2(b1)}:00.0`;
    const dspGpu = `0000:${hex2(b1 + 1)}:00.0`;
    const dspNic = `0000:${hex2(b1 + 1)}:01.0`;
    const gpu = `0000:${hex2(b1 + 2)}:00.0`;
    const nic = `0000:${hex2(b1 + 3)}:00.0`;
    const bridge = { classCode: '0x060400', vendor: '0x1000', device: '0xc030', numaNode };
    pci.push(
      { address: rp, ...bridge, vendor: '0x8086', device: '0x347a', ...pt('root') },
      { address: usp, parent: rp, ...bridge, ...pt('upstream') },
      { address: dspGpu, parent: usp, ...bridge, ...pt('downstream') },
      { address: dspNic, parent: usp, ...bridge, ...pt('downstream') },
      {
        address: gpu,
        parent: dspGpu,
        classCode: '0x030200',
        vendor: '0x10de',
        device: '0x2330',
        numaNode,
        driver: 'nvidia',
      },
      {
        address: nic,
        parent: dspNic,
        classCode: '0x020000',
        vendor: '0x15b3',
        device: '0x1021',
        numaNode,
        driver: 'mlx5_core',
        ...pt('endpoint'),
      },
    );
    const ifName = `ens${s}np0`;
    netdevs.push({ name: ifName, pci: nic, ifindex: 10 + s, mac: mac(1, s), mtu: 9000, speedMbps: 400000 });
    expect.push({ nic, gpu, pcieRoot: `pci0000:${hex2(rb)}`, switchUpstreamPort: usp, numaNode, ifName });
  }
  return { spec: { pci, netdevs }, expect };
}

/** An SR-IOV PF (Intel E810, 8 VFs possible, 2 enabled) directly under a root port; VF 1 bound to vfio-pci. */
export function sriovPf(): SysfsSpec {
  return {
    pci: [
      {
        address: '0000:17:00.0',
        classCode: '0x060400',
        vendor: '0x8086',
        device: '0x2030',
        numaNode: 0,
        portType: 'root',
        root: 'pci0000:17',
      },
      {
        address: '0000:18:00.0',
        parent: '0000:17:00.0',
        classCode: '0x020000',
        vendor: '0x8086',
        device: '0x1592',
        numaNode: 0,
        driver: 'ice',
        sriovTotalVfs: 8,
        sriovNumVfs: 2,
        portType: 'endpoint',
      },
      {
        address: '0000:18:01.0',
        parent: '0000:17:00.0',
        classCode: '0x020000',
        vendor: '0x8086',
        device: '0x1889',
        numaNode: 0,
        driver: 'iavf',
        physfn: '0000:18:00.0',
      },
      {
        address: '0000:18:01.1',
        parent: '0000:17:00.0',
        classCode: '0x020000',
        vendor: '0x8086',
        device: '0x1889',
        numaNode: 0,
        driver: 'vfio-pci',
        physfn: '0000:18:00.0',
      },
    ],
    netdevs: [
      { name: 'ens1f0', pci: '0000:18:00.0', ifindex: 5, mac: mac(2, 0), speedMbps: 100000 },
      { name: 'ens1f0v0', pci: '0000:18:01.0', ifindex: 6, mac: mac(2, 1), operstate: 'down' },
    ],
  };
}

/** A ConnectX-6 (mlx5) RoCE NIC with uverbs char devices, plus an InfiniBand-class (0x0207) HCA. */
export function mlx5Rdma(): SysfsSpec {
  return {
    pci: [
      {
        address: '0000:3a:00.0',
        classCode: '0x060400',
        vendor: '0x8086',
        device: '0x2030',
        numaNode: 1,
        portType: 'root',
        root: 'pci0000:3a',
      },
      {
        address: '0000:3b:00.0',
        parent: '0000:3a:00.0',
        classCode: '0x020000',
        vendor: '0x15b3',
        device: '0x101b',
        numaNode: 1,
        driver: 'mlx5_core',
        sriovTotalVfs: 0,
        sriovNumVfs: 0,
        portType: 'endpoint',
      },
      {
        address: '0000:3b:00.1',
        parent: '0000:3a:00.0',
        classCode: '0x020700',
        vendor: '0x15b3',
        device: '0x101b',
        numaNode: 1,
        driver: 'mlx5_core',
        portType: 'endpoint',
      },
    ],
    netdevs: [
      { name: 'ens2f0np0', pci: '0000:3b:00.0', ifindex: 7, mac: mac(3, 0), mtu: 4200, speedMbps: 200000 },
    ],
    rdma: [
      {
        name: 'mlx5_0',
        pci: '0000:3b:00.0',
        uverbs: { index: 0, major: 231, minor: 192 },
        netdevs: ['ens2f0np0'],
      },
      { name: 'mlx5_1', pci: '0000:3b:00.1', uverbs: { index: 1, major: 231, minor: 193 } },
    ],
    rdmaCm: { major: 10, minor: 58 },
  };
}

/** Only virtual interfaces: lo, a veth pair, a macvlan on one veth, a bridge with a port (CNI), ifb. */
export function virtualOnly(): SysfsSpec {
  return {
    netdevs: [
      { name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', mtu: 65536, operstate: 'unknown', arpType: 772 },
      { name: 'veth-a', ifindex: 2, mac: mac(4, 1), uppers: ['mv0'] },
      { name: 'veth-b', ifindex: 3, mac: mac(4, 2) },
      { name: 'mv0', ifindex: 4, mac: mac(4, 3), lowers: ['veth-a'] },
      { name: 'cni0', ifindex: 5, mac: mac(4, 4), bridge: true, devtype: 'bridge' },
      { name: 'vethcafe01', ifindex: 6, mac: mac(4, 5), bridgePortOf: 'cni0' },
      { name: 'ifb0', ifindex: 7, mac: mac(4, 6), operstate: 'down' },
      { name: 'eth0.100', ifindex: 8, mac: mac(4, 7), devtype: 'vlan' },
    ],
  };
}

/** `count` (≤ 240) physical NICs for benchmarks and the slice split, over 4 root ports with one switch each. */
export function manyNics(count: number): SysfsSpec {
  if (count > 240) throw new Error('manyNics: at most 240 NICs (bus numbers per root complex)');
  const pci: PciSpec[] = [];
  const netdevs: NetdevSpec[] = [];
  for (let i = 0; i < count; i++) {
    const rb = (i % 4) * 0x40;
    const k = Math.floor(i / 4);
    const rp = `0000:${hex2(rb)}:01.0`;
    const usp = `0000:${hex2(rb + 1)}:00.0`;
    const dsp = `0000:${hex2(rb + 2)}:${hex2(k % 32)}.${Math.floor(k / 32)}`;
    const nic = `0000:${hex2(rb + 3 + k)}:00.0`;
    if (i < 4) {
      pci.push({ address: rp, classCode: '0x060400', portType: 'root' });
      pci.push({ address: usp, parent: rp, classCode: '0x060400', portType: 'upstream' });
    }
    pci.push({ address: dsp, parent: usp, classCode: '0x060400', portType: 'downstream' });
    pci.push({
      address: nic,
      parent: dsp,
      classCode: '0x020000',
      vendor: '0x15b3',
      device: '0x1021',
      driver: 'mlx5_core',
      numaNode: i % 2,
    });
    netdevs.push({ name: `ens${i}`, pci: nic, ifindex: 100 + i, mac: mac(5, i % 256), speedMbps: 100000 });
  }
  return { pci, netdevs };
}
